import { isEntry, supersedes, type Entry } from "../shared/entry";
import { entryBytes } from "../shared/storage/entry-bytes";
import { compareVersions } from "../shared/version";
import type { KeyedEntry } from "../shared/wire";
import { TABLES } from "./schema";

const HINTS = TABLES.hints;

/** Hints held for one replica, as `/cluster` shows them. */
export interface HintCount {
  readonly entries: number;
  readonly bytes: number;
}

/**
 * Writes this node keeps for replicas that were down when they were made
 * (hinted handoff), in their own table: apart from this node's replicas, so
 * they are never read, listed or swept as this node's data.
 *
 * One row per (replica, key), the newest version winning as on a replica. A
 * hint is written before the caller's promise settles (the output gate holds the
 * acknowledgement until it is durable), survives a restart, and is deleted only
 * once the replica confirmed it, or once its replica left the ring and the hint
 * became one of this node's entries, for the sweep to place.
 */
export class HintStore {
  private counts: Map<string, { entries: number; bytes: number }> | undefined;

  /** Over the table durable/schema.ts declares (its migrations have run: the node's constructor runs them). */
  constructor(private readonly sql: SqlStorage) {}

  /** Keeps `entry` for `target` unless a newer one is held; false when it would take the node past `roomBytes`. */
  add(target: string, key: string, entry: Entry, roomBytes: number): boolean {
    this.loaded();
    const held = this.read(target, key);
    if (held !== undefined && !supersedes(entry, held.entry)) return true;
    const bytes = entryBytes(key, entry);
    if (bytes - (held?.bytes ?? 0) > roomBytes) return false;
    this.sql.exec(
      `INSERT INTO ${HINTS} (target, key, entry, bytes) VALUES (?, ?, ?, ?)
       ON CONFLICT (target, key) DO UPDATE SET entry = excluded.entry, bytes = excluded.bytes`,
      target,
      key,
      JSON.stringify(entry),
      bytes,
    );
    this.count(target, held === undefined ? 1 : 0, bytes - (held?.bytes ?? 0));
    return true;
  }

  /** Up to `limit` hints for `target` after key `after`, in key order. */
  page(target: string, after: string, limit: number): KeyedEntry[] {
    const rows = this.sql
      .exec<{ key: string; entry: string }>(
        `SELECT key, entry FROM ${HINTS} WHERE target = ? AND key > ? ORDER BY key LIMIT ?`,
        target,
        after,
        limit,
      )
      .toArray();
    return rows.map((row) => ({ key: row.key, entry: parseEntry(row.entry) }));
  }

  /** Deletes the hints `target` confirmed, unless a newer write for the key arrived meanwhile. */
  confirm(target: string, delivered: readonly KeyedEntry[]): void {
    this.loaded();
    for (const { key, entry } of delivered) {
      const held = this.read(target, key);
      if (held === undefined || compareVersions(held.entry.version, entry.version) !== 0) continue;
      this.sql.exec(`DELETE FROM ${HINTS} WHERE target = ? AND key = ?`, target, key);
      this.count(target, -1, -held.bytes);
    }
  }

  /** Hints held, by replica. The first call counts the table once; changes keep it current. */
  byTarget(): ReadonlyMap<string, HintCount> {
    return this.loaded();
  }

  /** All hints held: totals and per replica, as a node's stats show them. */
  summary(): { entries: number; bytes: number; byReplica: Record<string, HintCount> } {
    let entries = 0;
    let bytes = 0;
    const byReplica: Record<string, HintCount> = {};
    for (const [target, count] of this.loaded()) {
      entries += count.entries;
      bytes += count.bytes;
      byReplica[target] = count;
    }
    return { entries, bytes, byReplica };
  }

  private read(target: string, key: string): { entry: Entry; bytes: number } | undefined {
    const [row] = this.sql
      .exec<{ entry: string; bytes: number }>(`SELECT entry, bytes FROM ${HINTS} WHERE target = ? AND key = ?`, target, key)
      .toArray();
    return row === undefined ? undefined : { entry: parseEntry(row.entry), bytes: row.bytes };
  }

  private count(target: string, entries: number, bytes: number): void {
    const counts = this.loaded();
    const now = counts.get(target) ?? { entries: 0, bytes: 0 };
    const next = { entries: now.entries + entries, bytes: now.bytes + bytes };
    if (next.entries < 0 || next.bytes < 0) throw new Error(`hint counts of ${target} went negative`);
    if (next.entries === 0) counts.delete(target);
    else counts.set(target, next);
  }

  private loaded(): Map<string, { entries: number; bytes: number }> {
    if (this.counts === undefined) {
      const rows = this.sql.exec<{ target: string; entries: number; bytes: number }>(
        `SELECT target, COUNT(*) AS entries, SUM(bytes) AS bytes FROM ${HINTS} GROUP BY target`,
      );
      this.counts = new Map([...rows].map((r) => [r.target, { entries: r.entries, bytes: r.bytes }]));
    }
    return this.counts;
  }
}

function parseEntry(text: string): Entry {
  const entry: unknown = JSON.parse(text);
  if (!isEntry(entry)) throw new Error("a stored hint is not an entry");
  return entry;
}
