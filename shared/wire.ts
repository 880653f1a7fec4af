/**
 * What travels between the router and the ring nodes. Both transports (Workers
 * RPC and the node's internal HTTP API) carry exactly these shapes.
 */
import type { Entry } from "./entry";
import type { Version } from "./version";

export interface ReadReply {
  /** `null` when this replica has never seen the key. */
  readonly entry: Entry | null;
}

export interface WriteReply {
  /** False when the replica already held this version or a newer one. */
  readonly applied: boolean;
  /** The version the replica holds for the key after the write. */
  readonly version: Version;
}

/** One key's entry, as shipped in bulk by stabilization (rebalancing and repair). */
export interface KeyedEntry {
  readonly key: string;
  readonly entry: Entry;
}

export interface StabilizationReply {
  readonly received: number;
  readonly applied: number;
}

export interface NodeStats {
  readonly name: string;
  /** Live keys this replica holds. */
  readonly keys: number;
  readonly tombstones: number;
  readonly fault: Fault;
}

/** Injected faults, for tests and experiments. */
export type Fault =
  | { readonly mode: "up" }
  /** Refuses every data operation, as an unreachable node. */
  | { readonly mode: "down" }
  /** Answers every data operation only after `delayMs`. */
  | { readonly mode: "slow"; readonly delayMs: number };

export type FaultMode = Fault["mode"];

/**
 * The replica operations every node offers, as Workers RPC methods on its stub
 * and as routes of its internal HTTP API (the seed's `d/...` names).
 */
export interface ReplicaOperations {
  read(key: string): Promise<ReadReply>;
  write(key: string, entry: Entry): Promise<WriteReply>;
  stabilize(entries: readonly KeyedEntry[]): Promise<StabilizationReply>;
}

/** Internal HTTP API paths of a node. Reachable only through its object stub. */
export const NodePaths = {
  read: "/d/read",
  write: "/d/write",
  delete: "/d/delete",
  stabilization: "/d/stabilization",
} as const;
