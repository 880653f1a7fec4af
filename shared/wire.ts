/**
 * What travels between the router and the ring nodes. Both transports (Workers
 * RPC and the node's internal HTTP API) carry exactly these shapes.
 */
import type { CatchUpProgress } from "./catch-up";
import type { Entry } from "./entry";
import type { RefusalCode } from "./node-api";
import type { RecentEvent } from "./recent-events";
import type { MemberStatus } from "./swim";
import type { Version } from "./version";

/**
 * Every data reply carries the digest of the ring the replica holds (`ringDigest`),
 * so a router whose cached view differs knows to refresh it early.
 */
export interface ReadReply {
  /** `null` when this replica has never seen the key. */
  readonly entry: Entry | null;
  readonly digest: string;
  /**
   * Set while the node is catching up (joining, or back after being declared
   * dead): it may lack writes, so its answer does not count toward a read quorum.
   */
  readonly catchingUp?: true;
}

export interface WriteReply {
  /** False when the replica already held this version or a newer one. */
  readonly applied: boolean;
  /** The version the replica holds for the key after the write. */
  readonly version: Version;
  readonly digest: string;
  /** As on `ReadReply`: a write to a node catching up counts, but the router learns to read it last. */
  readonly catchingUp?: true;
}

/** Writes kept for a replica that is down, to be handed to it when it is back (see durable/hints.ts). */
export interface HintReply {
  /**
   * How many of the call's writes the holder keeps (a newer one already held
   * counts as kept). Fewer than sent when it ran out of room; the replica's
   * catch-up brings the others instead.
   */
  readonly held: number;
  readonly digest: string;
}

/** One page of what a peer holds that a node catching up should have (see shared/catch-up.ts). */
export interface CatchUpPage {
  readonly entries: readonly KeyedEntry[];
  /** Where the next page starts; null when this part is done. */
  readonly next: string | null;
}

/** A catch-up page as a peer answers it: with the ring it holds, and for how long (in its protocol time). */
export interface CatchUpReply extends CatchUpPage {
  readonly digest: string;
  readonly ringAgeMs: number;
}

/** Which of a peer's holdings a catch-up page reads: its hints for the node, or its replicas of the node's keys. */
export type CatchUpPart = "hints" | "replicas";

/** A node's membership view, as the router fetches it. */
export interface MembershipReply {
  readonly node: string;
  readonly members: readonly MemberStatus[];
  /** The members on this node's ring, sorted: dead members within their grace included (see `ringMembers`). */
  readonly ring?: readonly string[];
  /** `ringDigest` of `ring`. */
  readonly digest: string;
  /** Set while the node catches up: it may hold stale verdicts (it was the one cut off), so its view is a last resort. */
  readonly catchingUp?: true;
}

/** Anti-entropy: one side's versions of some keys. */
export interface KeyVersion {
  readonly key: string;
  readonly version: Version;
}

/** What the other replica answers to a batch of key versions. */
export interface AntiEntropyReply {
  /** Entries the answering replica holds newer than the asker's. */
  readonly newer: readonly KeyedEntry[];
  /** Keys for which the asker's version is newer, or the answering replica has nothing. */
  readonly behind: readonly string[];
}

/** One key's entry, as shipped in bulk by `applyEntries` (anti-entropy and handoff). */
export interface KeyedEntry {
  readonly key: string;
  readonly entry: Entry;
}

export interface ApplyEntriesReply {
  readonly received: number;
  readonly applied: number;
}

export interface NodeStats {
  readonly name: string;
  /** Live keys this replica holds. */
  readonly keys: number;
  readonly tombstones: number;
  readonly fault: Fault;
  /** Writes this node keeps for replicas that were down (durable/hints.ts), in all and by replica. */
  readonly hints: {
    readonly entries: number;
    readonly bytes: number;
    readonly byReplica: Readonly<Record<string, { readonly entries: number; readonly bytes: number }>>;
  };
  /** Set while the node is joining or recovering: its reads count toward no quorum until it has caught up. */
  readonly catchUp: CatchUpProgress | null;
  /** Client and repair writes applied since the object started, and the commits they took (group commit). */
  readonly groupCommit: { readonly writes: number; readonly commits: number };
  /** Where the node's data lives: its database's bytes, its rows, its cache (see docs/architecture.md). */
  readonly storage: StorageStats;
  /** This node's own SWIM state and incarnation; undefined before it has started. */
  readonly swim?: { readonly state: string; readonly incarnation: number; readonly health: number };
  /** The digest of this node's ring (`ringDigest`). */
  readonly digest: string;
  /** The last membership events this node saw, oldest first (bounded: `RECENT_EVENTS`). */
  readonly events: readonly RecentEvent[];
}

export interface StorageStats {
  /** Bytes of the node's SQLite database (`ctx.storage.sql.databaseSize`). */
  readonly bytes: number;
  /** Entries held: live keys and tombstones. */
  readonly rows: number;
  readonly cache: { readonly bytes: number; readonly entries: number; readonly hits: number; readonly misses: number };
  /** Rows the store has read from SQLite since the object started: the work its reads and sweeps cost. */
  readonly rowsRead: number;
}

/** The outcome of a graceful leave: the node leaves only once every key it held was taken. */
export type LeaveResult =
  | { readonly left: true; readonly handedOff: number; readonly stats: NodeStats }
  /** `unconfirmed`: the nodes that did not take the keys sent them (none named: keys whose new replicas are unknown, or unplaced hints). */
  | { readonly left: false; readonly handedOff: number; readonly remaining: number; readonly unconfirmed: readonly string[] };

/** Injected faults, for tests and experiments. */
export type Fault =
  | { readonly mode: "up" }
  /** Refuses every data operation (SWIM still answers): a node whose storage path is broken. */
  | { readonly mode: "down" }
  /** Answers every data operation only after `delayMs`. */
  | { readonly mode: "slow"; readonly delayMs: number }
  /** Stops answering SWIM and data calls and loses its memory, as a crashed process. */
  | { readonly mode: "crash" }
  /** Drops every message to and from `peers`, both SWIM and replica traffic. */
  | { readonly mode: "partition"; readonly peers: readonly string[] };

export type FaultMode = Fault["mode"];

/**
 * What an operator asks of a node's fault switch: a fault to hold, or a restart,
 * which resets the object as the platform does on a deploy or an eviction (its
 * memory is gone; its storage, membership and fault are kept) and holds nothing.
 */
export type FaultRequest = Fault | { readonly mode: "restart" };

/**
 * One node's share of a client's batch (`POST /s/batch`): the operations on
 * keys it replicates, in the batch's order. The router sends each node one call
 * per batch, not one per key.
 */
export type BatchItem =
  { readonly op: "read"; readonly key: string } | { readonly op: "write"; readonly key: string; readonly entry: Entry };

/**
 * Per item, what `read` or `write` would have answered, or why this item failed
 * here (`refused`: the node's code for it, such as `node_full`).
 */
export type BatchItemReply =
  | { readonly entry: Entry | null }
  | { readonly applied: boolean; readonly version: Version }
  | { readonly error: string; readonly refused?: RefusalCode };

export interface BatchReply {
  readonly results: readonly BatchItemReply[];
  readonly digest: string;
  /** As on `ReadReply`: this node's read results do not count toward their quorums. */
  readonly catchingUp?: true;
}

/** One node's answer for a page of a listing (`GET /s/keys`): see shared/listing.ts. */
export interface ListReply {
  readonly entries: readonly KeyedEntry[];
  readonly exhausted: boolean;
  readonly digest: string;
}

/** Operations in one client batch, so in one node's share at most. */
export const MAX_BATCH_OPS = 100;

/** Keys in one anti-entropy call or entries in one applyEntries call (REPAIR_BATCH's bound). */
export const MAX_PEER_ITEMS = 10_000;

/** Writes in one hint call: a batch's writes for one replica and holder at most. */
export const MAX_HINT_WRITES = MAX_BATCH_OPS;

/** Internal HTTP API paths of a node. Reachable only through its object stub. */
export const NodePaths = {
  read: "/d/read",
  write: "/d/write",
  delete: "/d/delete",
  stabilization: "/d/stabilization",
  batch: "/d/batch",
  list: "/d/list",
} as const;
