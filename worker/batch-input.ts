import { utf8Bytes } from "../shared/storage/entry-bytes";
import { MAX_BATCH_OPS } from "../shared/wire";
import type { Limits } from "../shared/config";
import type { BatchOp } from "./batch-coordinator";
import { badRequest, HttpError } from "./http";
import { jsonValueProblem } from "../client/json-value";
import {
  bodyDepth,
  checkKey,
  INEXACT,
  MAX_BODY_DEPTH,
  inexactNumber,
  onlyFields,
  parseJsonMarking,
  WRITE_FIELDS,
  writeFromFields,
  writeFromValue,
} from "./request";

/**
 * The operations of a batch, checked as their single requests would be, from
 * a `POST /s/batch` body (batchFromText) or the binding's `batch` argument
 * (batchFromValues). The first bad operation refuses the whole batch with its
 * single request's status (400, or 413 for a key or value over its limit),
 * naming its `index`, before any node is called.
 */

/** A put's fields in a batch body: a single write's and `op`. */
const PUT_FIELDS = ["op", ...WRITE_FIELDS];

/** `{"ops": [...]}` as JSON text: values as sent, `ttl` or `expires_at`. */
export function batchFromText(text: string, limits: Limits, nowMs: number): BatchOp[] {
  const depth = bodyDepth(text);
  if (depth > MAX_BODY_DEPTH) refuseDeepOp(text);
  const { body, inexact, shallow } = parseJsonMarking(text, depth);
  const ops = (body as { ops?: unknown } | null)?.ops;
  if (typeof body !== "object" || body === null || !Array.isArray(ops)) {
    throw badRequest('body must be {"ops": [...]}', "invalid_batch");
  }
  // ?r= and ?w= are the batch's levels; in the body they would be dropped.
  onlyFields(body, ["ops"], "a batch body");
  return checkOps(ops, (op) => {
    if (inexact !== undefined && holds(op, INEXACT)) throw inexactNumber(inexact);
    return parseOp(op, (fields) => writeFromFields(fields, limits, nowMs, PUT_FIELDS, shallow), limits);
  });
}

/**
 * The binding's operations: JavaScript values, so a value JSON would store
 * changed is refused (`invalid_value`), and the expiry is `ttl` or `expiresAt`.
 */
export function batchFromValues(ops: unknown, limits: Limits, nowMs: number): BatchOp[] {
  if (!Array.isArray(ops)) throw badRequest('ops must be an array of {"op", "key", ...}', "invalid_batch");
  return withinBody(
    checkOps(ops, (op) =>
      parseOp(
        op,
        (fields) => {
          // HTTP's message, so that both say the same.
          if (!("value" in fields)) throw badRequest('body has no "value"', "missing_value");
          if (fields.expires_at !== undefined) throw badRequest("give expiresAt, not expires_at", "invalid_ttl");
          onlyFields(fields, ["op", "key", "value", "ttl", "expiresAt"], "a put");
          return writeFromValue(fields.key, fields.value, limits, { ttl: fields.ttl, expiresAt: fields.expiresAt }, nowMs);
        },
        limits,
      ),
    ),
    limits,
  );
}

/**
 * A binding's batch is bounded as an HTTP one is by its body: keys and values
 * together within MAX_BODY_BYTES (UTF-8), so neither path sends the nodes more.
 */
function withinBody(ops: BatchOp[], limits: Limits): BatchOp[] {
  let bytes = 0;
  for (const op of ops) bytes += utf8Bytes(op.key) + (op.op === "put" ? utf8Bytes(op.value) : 0);
  if (bytes > limits.maxBodyBytes) {
    throw new HttpError(
      413,
      "body_too_large",
      `a batch's keys and values take ${bytes} bytes; the limit is ${limits.maxBodyBytes} bytes (MAX_BODY_BYTES)`,
    );
  }
  return ops;
}

function checkOps(ops: readonly unknown[], parse: (op: unknown) => BatchOp): BatchOp[] {
  if (ops.length > MAX_BATCH_OPS) {
    throw badRequest(`a batch holds at most ${MAX_BATCH_OPS} operations; this one has ${ops.length}`, "invalid_batch");
  }
  return ops.map((op: unknown, index) => {
    try {
      return parse(op);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      throw new HttpError(error.status, error.code, `ops[${index}]: ${error.message}`, { index });
    }
  });
}

function parseOp(op: unknown, write: (fields: Record<string, unknown>) => ReturnType<typeof writeFromFields>, limits: Limits): BatchOp {
  if (typeof op !== "object" || op === null || Array.isArray(op)) throw badRequest("an operation is a JSON object", "invalid_batch");
  const fields = op as Record<string, unknown>;
  switch (fields.op) {
    case "get":
    case "delete":
      onlyFields(fields, ["op", "key"], `a ${fields.op}`);
      return { op: fields.op, key: checkKey(fields.key, limits) };
    case "put":
      return { op: "put", ...write(fields) };
    default:
      throw badRequest(`unknown op ${JSON.stringify(fields.op)}; expected get, put or delete`, "invalid_batch");
  }
}

/**
 * A body past the depth bound: names the first operation whose value nests too
 * deeply, by its index, as any bad operation is named. JSON.parse without a
 * reviver does not recurse, so parsing such a body is safe; one that does not
 * parse, or whose depth is elsewhere, is left to `parseJsonMarking` to refuse.
 */
function refuseDeepOp(text: string): void {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return;
  }
  const ops = (body as { ops?: unknown } | null)?.ops;
  if (!Array.isArray(ops)) return;
  ops.forEach((op: unknown, index) => {
    const value = (op as { value?: unknown } | null)?.value;
    const problem = value === undefined ? undefined : jsonValueProblem(value);
    if (problem !== undefined) throw new HttpError(400, "invalid_value", `ops[${index}]: ${problem}`, { index });
  });
}

/** Whether `value` holds `mark` anywhere (only on the error path: finds the operation with the inexact number). */
function holds(value: unknown, mark: symbol): boolean {
  if (value === mark) return true;
  if (typeof value !== "object" || value === null) return false;
  return Object.values(value).some((v) => holds(v, mark));
}
