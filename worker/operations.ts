import type { Grant } from "../shared/access";
import type { Entry } from "../shared/entry";
import { isExpired } from "../shared/expiry";
import { fullNodes } from "../shared/failure";
import { QuorumError, requiredReplicas } from "../shared/quorum";
import { formatVersion } from "../shared/version";
import { permit } from "./auth";
import { admitted } from "./overload";
import type { Cluster } from "./cluster";
import type { Background } from "./coordinator";
import { badRequest, HttpError } from "./http";
import type { RequestTrace } from "./observe";
import { checkKey, type WriteInput } from "./request";

/**
 * The data operations, one function each, called by the HTTP routes
 * (routes/store.ts) and by the service binding (binding.ts) alike: the same
 * validation, grant check, coordinator and limits, and the same errors
 * (HttpError, whose status and code both callers report). Each validates its
 * key and consistency level and checks the caller's grant before it asks any
 * replica, so bad or refused input never changes data.
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
  readonly expires_at?: number;
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
  return expiresAt === undefined ? written : { ...written, expires_at: expiresAt };
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

export type Operation = "read" | "write" | "delete";

/** The answer to a quorum not reached: 507 when full nodes refused, else a 503 that says how far it got. */
export function quorumFailure(operation: Operation, error: QuorumError): HttpError {
  const full = fullNodes(error.failures);
  if (full.length > 0) return nodeFull(operation, error, full);
  const counts = `${error.acked} of ${error.replicas} replicas acknowledged; ${error.required} required`;
  const message =
    operation === "read"
      ? `read failed: ${counts}`
      : `${operation} failed: ${counts}. It may have been applied on fewer than ${error.required} replicas; ` +
        "retry it (a retry is a newer version of the same operation)";
  return new HttpError(
    503,
    "quorum_not_reached",
    message,
    {
      operation,
      acked: error.acked,
      required: error.required,
      replicas: error.replicas,
      failures: error.failures.map(({ node, reason }) => ({ node, reason })),
    },
    { "retry-after": "1" },
  );
}

/**
 * A write some replicas refused because it would take them past MAX_NODE_BYTES,
 * so the quorum could not be met: 507, naming the full nodes. They stored
 * nothing of it; a replica that acknowledged holds it (as after any failed write).
 */
function nodeFull(operation: string, error: QuorumError, nodes: readonly string[]): HttpError {
  return new HttpError(
    507,
    "node_full",
    `${operation} refused: ${nodes.join(", ")} ${nodes.length === 1 ? "is" : "are"} full (MAX_NODE_BYTES); ` +
      `${error.acked} of ${error.replicas} replicas acknowledged, ${error.required} required`,
    {
      operation,
      nodes,
      acked: error.acked,
      required: error.required,
      replicas: error.replicas,
      failures: error.failures.map(({ node, reason }) => ({ node, reason })),
    },
  );
}
