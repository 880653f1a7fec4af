import { supersedes, type Entry } from "../entry";
import { isPurgeable } from "../expiry";
import { invariant } from "../invariant";
import { refusal, type Refusal } from "../node-api";
import type { KeyedEntry } from "../wire";
import { EntryCache, type CacheStats } from "./entry-cache";
import { entryBytes } from "./entry-bytes";
import type { Rows, StoreCounts } from "./rows";

export interface StoreOptions {
  /** The node's name, for the refusal of a full node. */
  readonly node: string;
  /** The cache's bound (CACHE_BYTES); 0 turns it off. */
  readonly cacheBytes: number;
  /** The most bytes (`entryBytes` summed) the node holds (MAX_NODE_BYTES). */
  readonly maxBytes: number;
}

/** A replica's storage as the node, the rebalancer and the listing use it. */
export interface ReplicaStorage {
  /** What is held; a client's read, so a miss brings the key into the cache. */
  get(key: string): Entry | undefined;
  /** What is held, without bringing the key into the cache: bulk traffic (anti-entropy, handoff) does not evict the hot set. */
  peek(key: string): Entry | undefined;
  /** Applies `entry` if it is newer than what is held; returns whether it was. */
  apply(key: string, entry: Entry): boolean;
  /** Applies many entries in one transaction; returns how many were newer. */
  applyAll(batch: readonly KeyedEntry[]): number;
  /**
   * A client's many writes (a batch's share) in one transaction, in order; says
   * of each whether it was newer. Cached as `apply` caches.
   */
  applyEach(batch: readonly KeyedEntry[]): boolean[];
  /** Forgets a key entirely (a handed-off key, a purged tombstone); never for a client's delete. */
  remove(key: string): void;
  /**
   * Forgets `key` if its held `entry` is a tombstone or an expired value past the
   * tombstone TTL (`tombstoneTtlMs`, at `nowMs`); returns whether it did. The sweep's purge.
   */
  purge(key: string, entry: Entry, nowMs: number, tombstoneTtlMs: number): boolean;
  /** Up to `limit` held entries after `cursor` in key order: sweeps and listings resume where they stopped. */
  entriesAfter(cursor: string, limit: number): KeyedEntry[];
  /** Up to `limit` held entries after `cursor` whose key starts with `prefix`, in key order: a listing's page. */
  entriesWithPrefix(cursor: string, prefix: string, limit: number): KeyedEntry[];
  counts(): StoreCounts;
  readonly cacheStats: CacheStats;
  /** Rows read from storage so far (see `Rows.rowsRead`). */
  readonly rowsRead: number;
}

/**
 * A write refused because it would take the node past MAX_NODE_BYTES. The node
 * turns it into a `node_full` refusal (durable/ring-node.ts); its message is for people.
 */
export class NodeFullError extends Error {
  override readonly name = "NodeFullError";

  constructor(
    readonly node: string,
    readonly held: number,
    readonly needed: number,
    readonly max: number,
  ) {
    super(`${node} is full: it holds ${held} bytes, the write needs ${needed} more, MAX_NODE_BYTES is ${max}`);
  }
}

/**
 * Runs a store write, answering a write past MAX_NODE_BYTES with the node's
 * `node_full` refusal: a returned refusal crosses RPC with its code intact,
 * where a thrown error would reach the router as message text only.
 */
export function refuseWhenFull<T>(apply: () => T): T | Refusal {
  try {
    return apply();
  } catch (error) {
    if (error instanceof NodeFullError) return refusal("node_full", error.message);
    throw error;
  }
}

/** Rows per scan when counts are rebuilt: bounded memory whatever the store's size. */
const RECOUNT_BATCH = 1000;

/**
 * The storage rules of a replica, in one place, over any `Rows`.
 *
 * The rows are the serving copy: a read the cache cannot answer is one point
 * lookup. The cache holds recently used entries and is changed with every row
 * it mirrors, so it is never stale. The counts are written in the same
 * transaction as the rows they count, so a store starts by reading one row.
 *
 * A change is applied only if it supersedes what is held (a strictly newer
 * version), which makes replays, reordering and repair traffic harmless. A
 * change that would grow the node past `maxBytes` is refused before anything is
 * written.
 */
export class StoreRules implements ReplicaStorage {
  private current: StoreCounts;
  private readonly cache: EntryCache;

  constructor(
    private readonly rows: Rows,
    private readonly options: StoreOptions,
  ) {
    this.cache = new EntryCache(options.cacheBytes);
    this.current = rows.readCounts() ?? this.recount();
  }

  get(key: string): Entry | undefined {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const entry = this.rows.read(key);
    if (entry !== undefined) this.cache.set(key, entry);
    return entry;
  }

  peek(key: string): Entry | undefined {
    return this.held(key);
  }

  /** A client's write (or a repair of one key): the key is likely read next, so it is cached. */
  apply(key: string, entry: Entry): boolean {
    return this.change([{ key, entry }], (k, e) => this.cache.set(k, e))[0]!;
  }

  applyEach(batch: readonly KeyedEntry[]): boolean[] {
    return this.change(batch, (k, e) => this.cache.set(k, e));
  }

  /** Bulk traffic (handoff, anti-entropy): cached keys are updated, others are not brought in. */
  applyAll(batch: readonly KeyedEntry[]): number {
    return this.change(batch, (k, e) => this.cache.update(k, e)).filter(Boolean).length;
  }

  remove(key: string): void {
    const held = this.held(key);
    if (held === undefined) return;
    this.rows.transaction(() => {
      this.rows.delete(key);
      this.rows.writeCounts(this.counted(this.current, key, held, undefined));
    });
    this.current = this.counted(this.current, key, held, undefined);
    this.cache.delete(key);
  }

  purge(key: string, entry: Entry, nowMs: number, tombstoneTtlMs: number): boolean {
    if (!isPurgeable(entry, nowMs, tombstoneTtlMs)) return false;
    this.remove(key);
    return true;
  }

  entriesAfter(cursor: string, limit: number): KeyedEntry[] {
    return this.rows.scan(cursor, limit);
  }

  entriesWithPrefix(cursor: string, prefix: string, limit: number): KeyedEntry[] {
    return this.rows.scanPrefix(cursor, prefix, limit);
  }

  counts(): StoreCounts {
    return this.current;
  }

  get cacheStats(): CacheStats {
    return this.cache.stats;
  }

  get rowsRead(): number {
    return this.rows.rowsRead;
  }

  /**
   * Applies the entries of `batch` that supersede what is held, with the counts,
   * in one transaction. Everything is checked first (versions, then the byte
   * limit on the batch's total), so a refusal writes nothing. Says of each
   * entry whether it was newer.
   */
  private change(batch: readonly KeyedEntry[], cache: (key: string, entry: Entry) => void): boolean[] {
    let counts = this.current;
    const winners: KeyedEntry[] = [];
    const pending = new Map<string, Entry | undefined>();
    const newer = batch.map((item) => {
      const held = pending.has(item.key) ? pending.get(item.key) : this.held(item.key);
      if (!supersedes(item.entry, held)) return false;
      counts = this.counted(counts, item.key, held, item.entry);
      pending.set(item.key, item.entry);
      winners.push(item);
      return true;
    });
    if (winners.length === 0) return newer;
    const { maxBytes, node } = this.options;
    if (counts.bytes > maxBytes && counts.bytes > this.current.bytes) {
      throw new NodeFullError(node, this.current.bytes, counts.bytes - this.current.bytes, maxBytes);
    }
    this.rows.transaction(() => {
      for (const { key, entry } of winners) this.rows.write(key, entry);
      this.rows.writeCounts(counts);
    });
    this.current = counts;
    for (const { key, entry } of winners) cache(key, entry);
    return newer;
  }

  /** What is held, without bringing a key into the cache: a write decides what is cached. */
  private held(key: string): Entry | undefined {
    return this.cache.peek(key) ?? this.rows.read(key);
  }

  private counted(counts: StoreCounts, key: string, before: Entry | undefined, after: Entry | undefined): StoreCounts {
    let { live, tombstones, bytes } = counts;
    if (before !== undefined) {
      if (before.kind === "value") live--;
      else tombstones--;
      bytes -= entryBytes(key, before);
    }
    if (after !== undefined) {
      if (after.kind === "value") live++;
      else tombstones++;
      bytes += entryBytes(key, after);
    }
    // `before` is what the store holds, so it was counted: a count below zero means the counts and the rows disagree.
    invariant(live >= 0 && tombstones >= 0 && bytes >= 0, "store counts went negative");
    return { live, tombstones, bytes };
  }

  /**
   * Counts every row once, in bounded batches, and stores the counts: for a
   * store written before counts were kept. Every later start reads one row.
   */
  private recount(): StoreCounts {
    let counts: StoreCounts = { live: 0, tombstones: 0, bytes: 0 };
    let cursor = "";
    for (;;) {
      const batch = this.rows.scan(cursor, RECOUNT_BATCH);
      for (const { key, entry } of batch) counts = this.counted(counts, key, undefined, entry);
      if (batch.length < RECOUNT_BATCH) break;
      cursor = batch[batch.length - 1]!.key;
    }
    this.rows.writeCounts(counts);
    return counts;
  }
}
