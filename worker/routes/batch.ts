import type { Grant } from "../../shared/access";
import { formatVersion } from "../../shared/version";
import { MAX_BATCH_OPS } from "../../shared/wire";
import type { BatchOp, BatchOutcome } from "../batch-coordinator";
import { clusterFor } from "../cluster";
import { badRequest, HttpError, rawJson } from "../http";
import { checkKey, INEXACT, inexactNumber, parseJsonMarking, readBody, writeFromFields } from "../request";
import type { Limits } from "../../shared/config";
import { grantOf, permit, type AuthorizedRequest } from "../auth";
import { level, notFound, quorumFailure, storedOf } from "../operations";
import { admitted } from "../overload";
import { readAnswer } from "./store";

/**
 * `POST /s/batch {"ops": [{"op": "get"|"put"|"delete", "key", "value"?, "ttl"?, "expires_at"?}, ...]}`
 * (`?r=` for its gets, `?w=` for its puts and deletes). Answers
 * `{"results": [{"status", "body"}, ...]}` in the order of the operations, each
 * with the status and body a single request would have had.
 *
 * Every operation is checked before any is sent: one bad operation refuses the
 * whole batch (400, naming its index) and nothing is applied. A batch is not
 * atomic: each operation succeeds or fails on its own.
 */
export async function postBatch(request: AuthorizedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const cluster = clusterFor(env);
  const levels = {
    r: level(cluster, "r", request.query.r, cluster.config.readQuorum),
    w: level(cluster, "w", request.query.w, cluster.config.writeQuorum),
  };
  const ops = parseBatch(await readBody(request, cluster.config.limits.maxBodyBytes), cluster.config.limits, Date.now());
  permitAll(grantOf(request), ops);
  const outcomes = await admitted(cluster.admission, () => cluster.coordinator.batch(ops, levels, (p) => ctx.waitUntil(p)));
  const now = Date.now();
  const results = outcomes.map((o, i) => result(ops[i]!, o, ops[i]!.op === "get" ? levels.r : levels.w, now));
  return rawJson(`{"results":[${results.join(",")}]}`);
}

/** A token must cover every operation, or the batch is refused whole (403 naming the first it does not cover). */
function permitAll(grant: Grant, ops: readonly BatchOp[]): void {
  ops.forEach((op, index) => {
    try {
      permit(grant, op.op === "get" ? "read" : op.op === "put" ? "write" : "delete", op.key);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      throw new HttpError(error.status, error.code, `ops[${index}]: ${error.message}`, { ...error.details, index });
    }
  });
}

/** The body to validated operations; the first bad one refuses the batch. */
export function parseBatch(text: string, limits: Limits, nowMs: number): BatchOp[] {
  const { body, inexact } = parseJsonMarking(text);
  const ops = (body as { ops?: unknown } | null)?.ops;
  if (typeof body !== "object" || body === null || !Array.isArray(ops)) {
    throw badRequest('body must be {"ops": [...]}', "invalid_batch");
  }
  if (ops.length > MAX_BATCH_OPS) {
    throw badRequest(`a batch holds at most ${MAX_BATCH_OPS} operations; this one has ${ops.length}`, "invalid_batch");
  }
  return ops.map((op: unknown, index) => {
    try {
      if (inexact !== undefined && holds(op, INEXACT)) throw inexactNumber(inexact);
      return parseOp(op, limits, nowMs);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      throw new HttpError(400, error.code, `ops[${index}]: ${error.message}`, { index });
    }
  });
}

function parseOp(op: unknown, limits: Limits, nowMs: number): BatchOp {
  if (typeof op !== "object" || op === null || Array.isArray(op)) throw badRequest("an operation is a JSON object", "invalid_batch");
  const fields = op as Record<string, unknown>;
  switch (fields.op) {
    case "get":
      return { op: "get", key: checkKey(fields.key, limits) };
    case "delete":
      return { op: "delete", key: checkKey(fields.key, limits) };
    case "put":
      return { op: "put", ...writeFromFields(fields, limits, nowMs) };
    default:
      throw badRequest(`unknown op ${JSON.stringify(fields.op)}; expected get, put or delete`, "invalid_batch");
  }
}

/** Whether `value` holds `mark` anywhere (only on the error path: finds the operation with the inexact number). */
function holds(value: unknown, mark: symbol): boolean {
  if (value === mark) return true;
  if (typeof value !== "object" || value === null) return false;
  return Object.values(value).some((v) => holds(v, mark));
}

/** One operation's `{"status","body"}`, as JSON text: what the single request would have answered. */
function result(op: BatchOp, outcome: BatchOutcome, required: number, nowMs: number): string {
  try {
    return `{"status":200,"body":${answer(op, outcome, required, nowMs)}}`;
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return `{"status":${error.status},"body":${JSON.stringify(error.body())}}`;
  }
}

function answer(op: BatchOp, outcome: BatchOutcome, required: number, nowMs: number): string {
  if ("error" in outcome) throw quorumFailure(op.op === "get" ? "read" : op.op === "put" ? "write" : "delete", outcome.error);
  if (outcome.op === "get") {
    const stored = storedOf(op.key, outcome.entry, nowMs);
    if (stored === undefined) throw notFound(op.key);
    return readAnswer(stored);
  }
  const version = formatVersion(outcome.version);
  if (op.op === "delete") return JSON.stringify({ key: op.key, deleted: true, version, acked: outcome.acked, required });
  const expiry = op.op === "put" && op.expiresAt !== undefined ? { expires_at: op.expiresAt } : {};
  return JSON.stringify({ key: op.key, version, acked: outcome.acked, required, ...expiry });
}
