import type { Entry } from "../entry";
import type { KeyedEntry } from "../wire";

/** What a replica holds, in numbers: kept with the data, so no one counts rows to learn them. */
export interface StoreCounts {
  /** Keys holding a value. */
  readonly live: number;
  readonly tombstones: number;
  /** The sum of `entryBytes` over every held entry. */
  readonly bytes: number;
}

/**
 * Where a replica's entries rest: rows by key, with no rules of their own. The
 * storage rules (`StoreRules`) run on top of one of these: SQLite in a node
 * (`SqliteRows` in `durable/replica-store.ts`), a sorted map in unit tests and the simulator
 * (`MemoryRows`).
 */
export interface Rows {
  /** One point lookup by key. */
  read(key: string): Entry | undefined;
  /** Inserts or replaces the key's row. */
  write(key: string, entry: Entry): void;
  delete(key: string): void;
  /** Up to `limit` rows with a key after `after`, in key order (UTF-8 byte order, as SQLite's). */
  scan(after: string, limit: number): KeyedEntry[];
  /**
   * Up to `limit` rows with a key after `after` that starts with `prefix`, in
   * key order; reads at most one row past the prefix's keys.
   */
  scanPrefix(after: string, prefix: string, limit: number): KeyedEntry[];
  /** The stored counts; undefined when they were never written (a store from before they existed). */
  readCounts(): StoreCounts | undefined;
  writeCounts(counts: StoreCounts): void;
  /** Runs `fn` as one atomic change: all of its writes or none. */
  transaction<T>(fn: () => T): T;
  /** Rows read from storage since this object was made: work a test can count. */
  readonly rowsRead: number;
}
