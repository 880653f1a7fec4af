import type { Entry } from "../entry";
import type { KeyedEntry } from "../wire";
import { compareKeys } from "./key-order";
import type { Rows, StoreCounts } from "./rows";

/** What survives a restart of the store: the rows and the counts. */
interface Table {
  readonly entries: Map<string, Entry>;
  readonly sorted: string[];
  counts: StoreCounts | undefined;
}

/**
 * Rows in memory, for unit tests and the simulator: a map for lookups and a
 * sorted key array for scans. Every row a lookup or scan finds counts as a row
 * read, as SQLite counts them.
 */
export class MemoryRows implements Rows {
  private readonly entries: Map<string, Entry>;
  private readonly sorted: string[];
  rowsRead = 0;

  constructor(private readonly table: Table = { entries: new Map(), sorted: [], counts: undefined }) {
    this.entries = table.entries;
    this.sorted = table.sorted;
  }

  /** The same rows as a restarted node finds them: nothing read yet. */
  reopen(): MemoryRows {
    return new MemoryRows(this.table);
  }

  read(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined) this.rowsRead++;
    return entry;
  }

  write(key: string, entry: Entry): void {
    if (!this.entries.has(key)) this.sorted.splice(this.position(key), 0, key);
    this.entries.set(key, entry);
  }

  delete(key: string): void {
    if (!this.entries.delete(key)) return;
    this.sorted.splice(this.position(key), 1);
  }

  scan(after: string, limit: number): KeyedEntry[] {
    let start = this.position(after);
    if (this.sorted[start] === after) start++;
    const keys = this.sorted.slice(start, start + limit);
    this.rowsRead += keys.length;
    return keys.map((key) => ({ key, entry: this.entries.get(key)! }));
  }

  scanPrefix(after: string, prefix: string, limit: number): KeyedEntry[] {
    const from = compareKeys(after, prefix) < 0 ? prefix : after;
    let start = this.position(from);
    if (this.sorted[start] === after) start++;
    const entries: KeyedEntry[] = [];
    for (let i = start; i < this.sorted.length && entries.length < limit; i++) {
      const key = this.sorted[i]!;
      this.rowsRead++;
      if (!key.startsWith(prefix)) break;
      entries.push({ key, entry: this.entries.get(key)! });
    }
    return entries;
  }

  readCounts(): StoreCounts | undefined {
    if (this.table.counts !== undefined) this.rowsRead++;
    return this.table.counts;
  }

  writeCounts(counts: StoreCounts): void {
    this.table.counts = counts;
  }

  /** The rules check everything before they write, so a change never stops half-way here. */
  transaction<T>(fn: () => T): T {
    return fn();
  }

  /** The first index whose key is not before `key`. */
  private position(key: string): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareKeys(this.sorted[mid]!, key) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
