import { supersedes, type Entry } from "../shared/entry";
import type { KeyedEntry } from "../shared/wire";

/**
 * The storage rules of a replica, in one place.
 *
 * The in-memory map is the serving copy; SQLite is the durable copy. Every change
 * is written to SQLite before the caller's promise settles, and the object's
 * output gate holds the acknowledgement until that write is durable: an
 * acknowledged write survives a reset, a restart and a deploy. On start the map is
 * rebuilt from SQLite.
 *
 * A change is applied only if it supersedes what is held (a strictly newer
 * version), which makes replays, reordering and repair traffic harmless.
 */
export class ReplicaStore {
  private readonly entries = new Map<string, Entry>();
  private tombstones = 0;

  private readonly sql: SqlStorage;

  constructor(private readonly storage: DurableObjectStorage) {
    const sql = (this.sql = storage.sql);
    // WITHOUT ROWID: the key is the primary key and the only lookup path.
    // A NULL value marks a tombstone.
    sql.exec(`CREATE TABLE IF NOT EXISTS entries (
      key TEXT PRIMARY KEY,
      value TEXT,
      wall INTEGER NOT NULL,
      logical INTEGER NOT NULL,
      writer TEXT NOT NULL
    ) WITHOUT ROWID`);
    for (const row of sql.exec<EntryRow>("SELECT key, value, wall, logical, writer FROM entries")) {
      this.remember(row.key, fromRow(row));
    }
  }

  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  /** Applies `entry` if it is newer than what is held; returns whether it was. */
  apply(key: string, entry: Entry): boolean {
    if (!supersedes(entry, this.entries.get(key))) return false;
    const v = entry.version;
    this.sql.exec(
      `INSERT INTO entries (key, value, wall, logical, writer) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, wall = excluded.wall,
         logical = excluded.logical, writer = excluded.writer`,
      key,
      entry.kind === "value" ? entry.value : null,
      v.wall,
      v.logical,
      v.writer,
    );
    this.remember(key, entry);
    return true;
  }

  /** Applies many entries in one transaction; returns how many were newer. */
  applyAll(batch: readonly KeyedEntry[]): number {
    return this.storage.transactionSync(() => {
      let applied = 0;
      for (const { key, entry } of batch) if (this.apply(key, entry)) applied++;
      return applied;
    });
  }

  /**
   * Forgets a key entirely: for a replica that handed the key to its new owners,
   * and for tombstones past their grace period. Never for a client's delete.
   */
  remove(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.sql.exec("DELETE FROM entries WHERE key = ?", key);
    if (entry.kind === "tombstone") this.tombstones--;
    this.entries.delete(key);
  }

  /** Up to `limit` held keys after `cursor` in key order, for sweeps that resume where they stopped. */
  keysAfter(cursor: string, limit: number): string[] {
    return this.sql
      .exec<{ key: string }>("SELECT key FROM entries WHERE key > ? ORDER BY key LIMIT ?", cursor, limit)
      .toArray()
      .map((row) => row.key);
  }

  get liveCount(): number {
    return this.entries.size - this.tombstones;
  }

  get tombstoneCount(): number {
    return this.tombstones;
  }

  /** Every held entry; the iteration reflects writes made while it runs. */
  *all(): IterableIterator<KeyedEntry> {
    for (const [key, entry] of this.entries) yield { key, entry };
  }

  private remember(key: string, entry: Entry): void {
    const previous = this.entries.get(key);
    if (previous?.kind === "tombstone") this.tombstones--;
    if (entry.kind === "tombstone") this.tombstones++;
    this.entries.set(key, entry);
  }
}

interface EntryRow extends Record<string, SqlStorageValue> {
  key: string;
  value: string | null;
  wall: number;
  logical: number;
  writer: string;
}

function fromRow(row: EntryRow): Entry {
  const version = { wall: row.wall, logical: row.logical, writer: row.writer };
  return row.value === null ? { kind: "tombstone", version } : { kind: "value", value: row.value, version };
}
