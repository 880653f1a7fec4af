import type { Grant } from "../shared/access";
import type { Entry } from "../shared/entry";
import { isExpired } from "../shared/expiry";
import { encodeCursor, mergePages, type NodePage } from "../shared/listing";
import { QuorumError, requiredReplicas, withTimeout } from "../shared/quorum";
import { timers } from "../shared/timers";
import { formatVersion } from "../shared/version";
import { permit } from "./auth";
import { admitted } from "./overload";
import type { BatchOp, BatchOutcome } from "./batch-coordinator";
import type { Cluster } from "./cluster";
import { FAN_OUT, inBatches } from "./fan-out";
import type { ListInput } from "./list-input";
import type { Background } from "./coordinator";
import { badRequest, HttpError } from "./http";
import { quorumFailure, type Operation } from "./quorum-failure";
import type { RequestTrace } from "./observe";
import { checkKey, type WriteInput } from "./request";

/**
 * The data operations, one function each, called by the HTTP routes
 * (routes/store.ts, routes/batch.ts, routes/list.ts) and by the service
 * binding (binding.ts) alike: the same
 * validation, grant check, coordinator and limits, and the same errors
 * (HttpError, whose status and code both callers report). Each validates its
 * key and consistency level and checks the caller's grant before it asks any
 * replica, so bad or refused input never changes data. Each caller only
 * turns its input into the operation's (`input`) and the result into its answer.
 */

/** Who is asking and where late work goes. */
export interface Caller {
  readonly grant: Grant;
  readonly background: Background;
  /** Where the operation notes the replicas that acknowledged (the request's metrics); absent for the binding. */
  readonly trace?: RequestTrace | undefined;
}

export interface Stored {
  readonly key: string;
  /** The value as JSON text, as stored. */
  readonly valueText: string;
  readonly version: string;
  /** Unix seconds after which the value reads as absent; undefined: it never expires. */
  readonly expiresAt?: number;
}

export interface Written {
  readonly key: string;
  readonly version: string;
  readonly acked: number;
  readonly required: number;
  /** The write's expiry, Unix seconds; undefined: it never expires. */
  readonly expiresAt?: number;
}

export interface Deleted extends Written {
  readonly deleted: true;
}

/** A level as a caller gives it: the query parameter's text, or the binding option's string or number. */
export type LevelInput = unknown;

/** The newest value of `key`, or undefined if it is absent or deleted; an expired value is a 404 that says so. */
export async function readKey(cluster: Cluster, caller: Caller, rawKey: unknown, r: LevelInput): Promise<Stored | undefined> {
  const key = checkKey(rawKey, cluster.config.limits);
  permit(caller.grant, "read", key);
  const required = level(cluster, "r", r, cluster.config.readQuorum);
  const { entry, acked } = await quorum("read", caller, () =>
    admitted(cluster.admission, () => cluster.coordinator.read(key, required, caller.background)),
  );
  note(caller, acked, required);
  return storedOf(key, entry, Date.now());
}

/**
 * What a read of `key` found: the newest entry among the replicas that answered,
 * as a value, or undefined when absent or deleted. An expired value throws the
 * 404 that says so, whichever replica answered (the expiry is in the entry).
 */
export function storedOf(key: string, entry: Entry | undefined, nowMs: number): Stored | undefined {
  if (entry === undefined || entry.kind === "tombstone") return undefined;
  if (isExpired(entry, nowMs)) {
    throw new HttpError(404, "not_found", `key ${JSON.stringify(key)} expired at ${entry.expiresAt}`, { key, expired: true });
  }
  const stored = { key, valueText: entry.value, version: formatVersion(entry.version) };
  return entry.expiresAt === undefined ? stored : { ...stored, expiresAt: entry.expiresAt };
}

/** Stores a value; `input` parses it (a request body, a binding's arguments) once the level and access are checked. */
export async function writeKey(
  cluster: Cluster,
  caller: Caller,
  input: () => WriteInput | Promise<WriteInput>,
  w: LevelInput,
): Promise<Written> {
  const required = level(cluster, "w", w, cluster.config.writeQuorum);
  permit(caller.grant, "write");
  const { key, value, expiresAt } = await input();
  permit(caller.grant, "write", key);
  const result = await quorum("write", caller, () =>
    admitted(cluster.admission, () => cluster.coordinator.write(key, value, required, caller.background, expiresAt)),
  );
  note(caller, result.acked, required);
  const written = { key, version: formatVersion(result.version), acked: result.acked, required };
  return expiresAt === undefined ? written : { ...written, expiresAt };
}

/** Deletes a key (a versioned tombstone); deleting an absent key succeeds. */
export async function deleteKey(cluster: Cluster, caller: Caller, rawKey: unknown, w: LevelInput): Promise<Deleted> {
  const key = checkKey(rawKey, cluster.config.limits);
  permit(caller.grant, "delete", key);
  const required = level(cluster, "w", w, cluster.config.writeQuorum);
  const result = await quorum("delete", caller, () =>
    admitted(cluster.admission, () => cluster.coordinator.delete(key, required, caller.background)),
  );
  note(caller, result.acked, required);
  return { key, deleted: true, version: formatVersion(result.version), acked: result.acked, required };
}

/** One operation's result in a batch: what its single call would have returned, or its error. */
export type BatchResult =
  | { readonly op: "get"; readonly stored: Stored }
  | { readonly op: "put"; readonly written: Written }
  | { readonly op: "delete"; readonly written: Deleted }
  | { readonly op: BatchOp["op"]; readonly error: HttpError };

/**
 * Runs a batch (`batch-coordinator.ts`): `r` for its gets, `w` for its puts
 * and deletes. The grant must cover every operation, or the batch is refused
 * whole (403 naming the first it does not cover); then each succeeds or fails
 * on its own, its result in the order of the operations.
 */
export async function batchKeys(
  cluster: Cluster,
  caller: Caller,
  input: () => BatchOp[] | Promise<BatchOp[]>,
  levels: { readonly r: LevelInput; readonly w: LevelInput },
): Promise<BatchResult[]> {
  const r = level(cluster, "r", levels.r, cluster.config.readQuorum);
  const w = level(cluster, "w", levels.w, cluster.config.writeQuorum);
  const ops = await input();
  permitAll(caller.grant, ops);
  const outcomes = await admitted(cluster.admission, () => cluster.coordinator.batch(ops, { r, w }, caller.background));
  const now = Date.now();
  return outcomes.map((outcome, i) => batchResult(ops[i]!, outcome, ops[i]!.op === "get" ? r : w, now));
}

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

function batchResult(op: BatchOp, outcome: BatchOutcome, required: number, nowMs: number): BatchResult {
  try {
    if ("error" in outcome) throw quorumFailure(op.op === "get" ? "read" : op.op === "put" ? "write" : "delete", outcome.error);
    if (outcome.op === "get") {
      const stored = storedOf(op.key, outcome.entry, nowMs);
      if (stored === undefined) throw notFound(op.key);
      return { op: "get", stored };
    }
    const version = formatVersion(outcome.version);
    if (op.op === "delete") return { op: "delete", written: { key: op.key, deleted: true, version, acked: outcome.acked, required } };
    const written = { key: op.key, version, acked: outcome.acked, required };
    return { op: "put", written: op.op === "put" && op.expiresAt !== undefined ? { ...written, expiresAt: op.expiresAt } : written };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return { op: op.op, error };
  }
}

/** One page of a listing: the newest version of each live key, `valueText` only when values were asked for. */
export interface Listing {
  readonly keys: readonly Listed[];
  /** Opaque, for the next page; null on the last. */
  readonly cursor: string | null;
  readonly complete: boolean;
  readonly unreachable: readonly string[];
}

export interface Listed {
  readonly key: string;
  readonly version: string;
  readonly expiresAt?: number;
  readonly valueText?: string;
}

/**
 * A page of the keys with a prefix, in UTF-8 byte order. Every node on the
 * ring is asked once for its keys after the cursor (`RingNode.list`), at most
 * 6 at a time; the pages are merged, the newest version of each key kept and
 * deleted or expired keys hidden (`shared/listing.ts`). A node that does not
 * answer is named in `unreachable` and the page is `complete: false`: some
 * keys may have had their only reachable copies there. When no node answers,
 * there is no page to give: 503 `list_unavailable`, naming them.
 */
export async function listKeys(cluster: Cluster, caller: Caller, input: () => ListInput): Promise<Listing> {
  const { prefix, limit, after, values } = input();
  // Every key a page can hold starts with the prefix: a token may list within its own prefix only.
  permit(caller.grant, "read", prefix);
  const view = await cluster.membership.view();
  const nodes = view.ring.members;
  // A member held dead (on the ring for its grace) is not asked, which would cost a timeout: it counts as unreachable.
  const answers = await admitted(cluster.admission, () =>
    inBatches(nodes, FAN_OUT, (node) => (view.dead.has(node) ? Promise.resolve(undefined) : askNode(cluster, node, prefix, after, limit))),
  );
  const pages: NodePage[] = [];
  const unreachable: string[] = [];
  answers.forEach((answer, i) => (answer === undefined ? unreachable.push(nodes[i]!) : pages.push(answer)));
  if (pages.length === 0) {
    throw new HttpError(503, "list_unavailable", `no node answered the listing (${unreachable.length} asked or held dead)`, {
      nodes: unreachable,
    });
  }
  const merged = mergePages(pages, limit, Date.now());
  const keys = merged.keys.map(({ key, entry }): Listed => {
    const listed: Listed = { key, version: formatVersion(entry.version) };
    if (entry.kind !== "value") return listed;
    const expiry = entry.expiresAt === undefined ? {} : { expiresAt: entry.expiresAt };
    return { ...listed, ...expiry, ...(values ? { valueText: entry.value } : {}) };
  });
  const cursor = merged.next === undefined ? null : encodeCursor(prefix, merged.next);
  return { keys, cursor, complete: unreachable.length === 0, unreachable };
}

/** One node's page, or undefined when it did not answer in time. */
async function askNode(cluster: Cluster, node: string, prefix: string, after: string, limit: number): Promise<NodePage | undefined> {
  try {
    const reply = await withTimeout(cluster.nodes.list(node, prefix, after, limit), cluster.config.replicaTimeoutMs, timers);
    cluster.membership.observe(reply.digest);
    return reply;
  } catch {
    return undefined;
  }
}

export function notFound(key: string): HttpError {
  return new HttpError(404, "not_found", `no value for key ${JSON.stringify(key)}`, { key });
}

export function level(cluster: Cluster, name: "r" | "w", raw: LevelInput, configured: number): number {
  if (Array.isArray(raw)) throw badRequest(`give ${name} once`, "invalid_consistency");
  // A number from the binding means the same as its digits in a query string.
  const text = typeof raw === "number" ? String(raw) : raw;
  if (text !== undefined && typeof text !== "string") {
    throw badRequest(`${name} must be one, quorum, all or a number`, "invalid_consistency");
  }
  const result = requiredReplicas(text, cluster.config.replicas, configured);
  if (!result.ok) throw badRequest(`${name}: ${result.message}`, "invalid_consistency");
  return result.required;
}

/** Turns a quorum failure into its HTTP answer (quorumFailure), noting how far it got. */
async function quorum<T>(operation: Operation, caller: Caller, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof QuorumError)) throw error;
    note(caller, error.acked, error.required);
    throw quorumFailure(operation, error);
  }
}

function note(caller: Caller, acked: number, required: number): void {
  if (caller.trace === undefined) return;
  caller.trace.acked = acked;
  caller.trace.required = required;
}
