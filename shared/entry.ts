import { compareVersions, isVersion, type Version } from "./version";

/**
 * What a replica holds for one key: a value or a tombstone, each with the
 * version of the write that produced it.
 *
 * Values travel and rest as JSON text: the router serializes a client's value
 * once, replicas store and return the text untouched, and the router splices it
 * into its response without parsing it again.
 *
 * A delete is a tombstone rather than an absence so that it carries a version:
 * read repair and rebalancing compare versions, and a stale replica's old value
 * loses to the newer tombstone instead of being copied back.
 */
export type Entry = LiveEntry | Tombstone;

export interface LiveEntry {
  readonly kind: "value";
  readonly value: string;
  readonly version: Version;
  /** Unix seconds at which the value expires (see shared/expiry.ts); absent: never. */
  readonly expiresAt?: number;
}

export interface Tombstone {
  readonly kind: "tombstone";
  readonly version: Version;
}

/**
 * The merge rule every replica applies: an incoming entry replaces the current one
 * only if its version is strictly newer. This makes writes idempotent and their
 * order irrelevant; equal versions are the same write.
 */
export function supersedes(incoming: Entry, current: Entry | undefined): boolean {
  return current === undefined || compareVersions(incoming.version, current.version) > 0;
}

/**
 * Whether a replica's answer to a write says the write lost to a newer version
 * it holds (a coordinator whose clock runs ahead wrote the key), rather than
 * that it already had this one. Such a write is stamped again and sent once
 * more, by a single write and a batch alike.
 */
export function lostToNewer(written: Version, reply: { readonly applied: boolean; readonly version: Version }): boolean {
  return !reply.applied && compareVersions(reply.version, written) > 0;
}

/** The newest of some replicas' answers; `undefined` when none holds the key. */
export function newestOf(entries: Iterable<Entry | undefined>): Entry | undefined {
  let best: Entry | undefined;
  for (const entry of entries) {
    if (entry !== undefined && supersedes(entry, best)) best = entry;
  }
  return best;
}

/** Structural check at a node's boundary: the fetch transport hands it parsed JSON. */
export function isEntry(value: unknown): value is Entry {
  if (typeof value !== "object" || value === null) return false;
  const e = value as Record<string, unknown>;
  if (!isVersion(e.version)) return false;
  if (e.kind === "tombstone") return true;
  if (e.expiresAt !== undefined && !Number.isSafeInteger(e.expiresAt)) return false;
  return e.kind === "value" && typeof e.value === "string";
}
