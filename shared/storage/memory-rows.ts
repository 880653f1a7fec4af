import type { Entry } from "../entry";
import type { KeyedEntry } from "../wire";
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

/**
 * Key order as SQLite's (UTF-8 bytes, which is code point order). JavaScript's
 * `<` compares UTF-16 units, which differs only where a surrogate meets a unit
 * of U+E000-U+FFFF: the surrogate's code point is the larger one.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

function rank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
