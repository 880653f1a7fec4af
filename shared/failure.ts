/**
 * Why a call to a node failed, classified from structured data only: a node's
 * `Refusal` (a returned value), our own timeout, and the platform's error
 * flags (`.overloaded`, `.retryable`), never from message text.
 */
import { isRefusal, type Refusal, type RefusalCode } from "./node-api";

export type FailureKind =
  | RefusalCode
  /** It did not answer within the call's timeout (the call itself runs on). */
  | "timeout"
  /** The platform says the object is overloaded: failed for this request, never retried into it. */
  | "overloaded"
  /** A transient platform failure (`.retryable`), such as a reset object or a broken stub. */
  | "transient"
  /** Anything else: an exception in the node's code, a malformed reply. */
  | "error"
  /** The router's view says SWIM declared it dead: it is not asked, and its writes go to hints. */
  | "dead"
  /** It answered, but is still catching up: a read answer that does not count toward the quorum. */
  | "catching_up";

export interface Failure {
  readonly kind: FailureKind;
  readonly message: string;
}

/** A failed call to a node, raised on the caller's side (it never crosses RPC). */
export class NodeCallError extends Error {
  override readonly name = "NodeCallError";

  constructor(
    readonly node: string,
    readonly failure: Failure,
  ) {
    super(failure.message);
  }

  static refused(node: string, refusal: Refusal): NodeCallError {
    return new NodeCallError(node, { kind: refusal.refused, message: refusal.message });
  }
}

/** Raised by `withTimeout` and `gather` for a call that missed its deadline. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";

  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
  }
}

export function classify(error: unknown): Failure {
  if (error instanceof NodeCallError) return error.failure;
  if (isRefusal(error)) return { kind: error.refused, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof TimeoutError) return { kind: "timeout", message };
  const flags = (typeof error === "object" && error !== null ? error : {}) as { overloaded?: unknown; retryable?: unknown };
  if (flags.overloaded === true) return { kind: "overloaded", message };
  if (flags.retryable === true) return { kind: "transient", message };
  return { kind: "error", message };
}

/**
 * The nodes that refused a write for want of room (kind `node_full`): when any
 * did, a failed quorum is answered 507 `node_full` naming them, not 503.
 */
export function fullNodes(failures: readonly { readonly node: string; readonly kind: FailureKind }[]): string[] {
  return failures.filter((f) => f.kind === "node_full").map((f) => f.node);
}

/** Whether a failed idempotent call is worth one more try, on a fresh stub. */
export function worthRetrying(failure: Failure): boolean {
  return failure.kind === "transient";
}

export interface HttpFailure {
  readonly status: number;
  readonly code: string;
}

/**
 * Every failure of a node call, as HTTP. `internal`: the node's own internal
 * HTTP API answering a refusal. `operator`: an admin route's call to one node
 * (a crashed or departed node conflicts with what was asked; the rest could not
 * be reached). `proxy`: an admin route relaying one replica's internal API.
 * Data routes answer a failed quorum as a whole: `node_full` (507) when some
 * replica's failure is of that kind, else `quorum_not_reached` (503).
 */
export const FAILURE_HTTP: Readonly<Record<FailureKind, { readonly internal: HttpFailure; readonly operator: HttpFailure }>> = {
  not_member: { internal: { status: 503, code: "node_down" }, operator: { status: 409, code: "node_unavailable" } },
  crashed: { internal: { status: 503, code: "node_down" }, operator: { status: 409, code: "node_unavailable" } },
  down: { internal: { status: 503, code: "node_down" }, operator: { status: 503, code: "node_unreachable" } },
  partitioned: { internal: { status: 503, code: "node_down" }, operator: { status: 503, code: "node_unreachable" } },
  timeout: { internal: { status: 503, code: "node_down" }, operator: { status: 503, code: "node_unreachable" } },
  overloaded: { internal: { status: 503, code: "node_down" }, operator: { status: 503, code: "node_unreachable" } },
  transient: { internal: { status: 503, code: "node_down" }, operator: { status: 503, code: "node_unreachable" } },
  node_full: { internal: { status: 507, code: "node_full" }, operator: { status: 507, code: "node_full" } },
  error: { internal: { status: 500, code: "internal_error" }, operator: { status: 503, code: "node_unreachable" } },
  dead: { internal: { status: 503, code: "node_down" }, operator: { status: 503, code: "node_unreachable" } },
  catching_up: { internal: { status: 503, code: "node_down" }, operator: { status: 503, code: "node_unreachable" } },
};

/**
 * Whether a write that failed this way may have missed the replica, so a hint
 * should carry it there later. A refusal for membership (it left) or room is
 * not: that replica will never take the write.
 */
export function worthHinting(failure: Failure): boolean {
  return HINTED.has(failure.kind);
}

const HINTED: ReadonlySet<FailureKind> = new Set<FailureKind>([
  "dead",
  "timeout",
  "crashed",
  "partitioned",
  "down",
  "overloaded",
  "transient",
]);

/** An admin route relaying one replica's internal API: any failure is a bad gateway. */
export const PROXY_FAILURE: HttpFailure = { status: 502, code: "replica_unavailable" };
