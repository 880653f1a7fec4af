/**
 * The contract of a ring node: every method the router or another node calls
 * on it, with its reply types. The router and the peers depend on this
 * interface, never on the `RingNode` class.
 *
 * A node that will not serve a call returns a `Refusal` rather than throwing:
 * a returned value crosses Workers RPC intact (a thrown error keeps only its
 * name and message), and a thrown error is logged as uncaught by the runtime,
 * so an injected fault would flood the log with one line per call.
 */
import type { Entry } from "./entry";
import type { MetricFamily } from "./metrics";
import type { Envelope } from "./swim";
import type {
  AntiEntropyReply,
  ApplyEntriesReply,
  BatchItem,
  BatchReply,
  CatchUpReply,
  CatchUpPart,
  FaultRequest,
  HintReply,
  KeyedEntry,
  KeyVersion,
  LeaveResult,
  ListReply,
  MembershipReply,
  NodeStats,
  ReadReply,
  WriteReply,
} from "./wire";

/** Why a node refuses a call. */
export type RefusalCode =
  /** It left the cluster, or never joined. */
  | "not_member"
  /** An injected fault refuses data operations. */
  | "down"
  /** An injected crash: it refuses everything but the operator's console. */
  | "crashed"
  /** An injected partition drops messages between it and the caller. */
  | "partitioned"
  /** The write would take it past MAX_NODE_BYTES; it stored nothing of it. */
  | "node_full";

export interface Refusal {
  readonly refused: RefusalCode;
  readonly message: string;
}

/** A reply, or the node's refusal to give one. */
export type Refusable<T> = T | Refusal;

export function refusal(refused: RefusalCode, message: string): Refusal {
  return { refused, message };
}

/** Every refusal code, so that one read off the wire (the fetch transport's JSON) can be checked. */
const REFUSAL_CODES: Readonly<Record<RefusalCode, true>> = {
  not_member: true,
  down: true,
  crashed: true,
  partitioned: true,
  node_full: true,
};

export function isRefusalCode(value: unknown): value is RefusalCode {
  return typeof value === "string" && Object.hasOwn(REFUSAL_CODES, value);
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === "object" && value !== null && isRefusalCode((value as { refused?: unknown }).refused);
}

/** Why the router writes: a client's write, or a read repair (counted apart in the node's metrics). */
export type WriteOrigin = "client" | "repair";

/**
 * A call's arguments failed a node's boundary check. Its own class, so that
 * the node's internal HTTP API answers 400 for it alone: a TypeError from a
 * bug in node code is a 500, not the caller's fault.
 */
export class BadArgument extends Error {
  override readonly name = "BadArgument";
}

export interface NodeApi {
  // ---- replica operations (the router; `applyEntries` also peers) ----------
  read(key: string): Promise<Refusable<ReadReply>>;
  write(key: string, entry: Entry, origin?: WriteOrigin): Promise<Refusable<WriteReply>>;
  /** A client batch's operations on this node's keys, in order: one call per node per batch. */
  batch(items: readonly BatchItem[]): Promise<Refusable<BatchReply>>;
  /** This node's keys after `after` with `prefix`, until `limit` live ones (a page of a listing). */
  list(prefix: string, after: string, limit: number): Promise<Refusable<ListReply>>;
  /** Keeps writes for `target`, a home replica that is down, and hands them over when it is back (at most MAX_HINT_WRITES). */
  hint(target: string, writes: readonly KeyedEntry[]): Promise<Refusable<HintReply>>;
  /** Bulk apply, from anti-entropy and handoff; `from` is the sending node, if any. */
  applyEntries(entries: readonly KeyedEntry[], from?: string): Promise<Refusable<ApplyEntriesReply>>;
  // ---- peers ---------------------------------------------------------------
  /** Anti-entropy: a peer's versions of some keys against ours. */
  antiEntropy(items: readonly KeyVersion[], from: string): Promise<Refusable<AntiEntropyReply>>;
  /**
   * A page of what this node holds that `target` should have: its hints for
   * `target`, or its entries whose preference list under `ring` (the target's
   * ring members) names `target`. How a node joining or coming back catches up.
   */
  catchUpPage(target: string, ring: readonly string[], part: CatchUpPart, after: string): Promise<Refusable<CatchUpReply>>;
  /** A SWIM message; the replies addressed to the sender, or null when a fault drops it. */
  swim(envelope: Envelope): Promise<Envelope[] | null>;
  // ---- membership (the router, operators) ----------------------------------
  membership(): Promise<Refusable<MembershipReply>>;
  join(introducers: readonly string[]): Promise<Refusable<NodeStats>>;
  leave(): Promise<Refusable<LeaveResult>>;
  // ---- operators: inspect, stats and setFault answer whatever the fault ----
  inspect(key: string): Promise<ReadReply>;
  stats(): Promise<NodeStats>;
  /** The node's counters and histograms (shared/metrics.ts), for GET /metrics; a crashed node refuses, as it would not answer. */
  metrics(): Promise<Refusable<MetricFamily[]>>;
  setFault(fault: FaultRequest): Promise<NodeStats>;
}
