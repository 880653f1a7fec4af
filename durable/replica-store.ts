import type { Entry } from "../shared/entry";
import type { Rows, StoreCounts } from "../shared/storage/rows";
import { StoreRules, type StoreOptions } from "../shared/storage/store-rules";
import type { KeyedEntry } from "../shared/wire";
import { TABLES } from "./schema";

const ENTRIES = TABLES.entries;
const COUNTS = TABLES.entryCounts;

/** The columns of an entry's row, in `EntryRow`'s shape. */
const COLUMNS = "key, value, wall, logical, writer, expires_at";

/** Options of a node's store when none are given (tests that open a node's storage directly). */
const DEFAULTS: StoreOptions = { node: "replica", cacheBytes: 8 * 1024 * 1024, maxBytes: Number.MAX_SAFE_INTEGER };

/**
 * A node's replica store: the storage rules over the object's SQLite database.
 *
 * SQLite is the serving copy. Every change is written before the caller's
 * promise settles, and the object's output gate holds the acknowledgement until
 * that write is durable: an acknowledged write survives a reset, a restart and
 * a deploy. Starting reads the counts row and nothing else. Its tables are
 * declared in durable/schema.ts.
 */
export class ReplicaStore extends StoreRules {
  private readonly sqlite: SqliteRows;

  constructor(storage: DurableObjectStorage, options: StoreOptions = DEFAULTS) {
    const rows = new SqliteRows(storage);
    super(rows, options);
    this.sqlite = rows;
  }

  /** Bytes the whole database takes, as the platform counts them against its 10 GB. */
  get databaseSize(): number {
    return this.sqlite.databaseSize;
  }
}

/** A replica's rows in SQLite, each statement's `rowsRead` summed so tests can count the work. */
export class SqliteRows implements Rows {
  private readonly sql: SqlStorage;
  rowsRead = 0;

  /** Over the tables durable/schema.ts declares (its migrations have run: the node's constructor runs them). */
  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
  }

  read(key: string): Entry | undefined {
    const [row] = this.rows<EntryRow>(`SELECT ${COLUMNS} FROM ${ENTRIES} WHERE key = ?`, key);
    return row === undefined ? undefined : fromRow(row);
  }

  write(key: string, entry: Entry): void {
    const v = entry.version;
    this.rows(
      `INSERT INTO ${ENTRIES} (key, value, wall, logical, writer, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, wall = excluded.wall,
         logical = excluded.logical, writer = excluded.writer, expires_at = excluded.expires_at`,
      key,
      entry.kind === "value" ? entry.value : null,
      v.wall,
      v.logical,
      v.writer,
      (entry.kind === "value" ? entry.expiresAt : undefined) ?? null,
    );
  }

  delete(key: string): void {
    this.rows(`DELETE FROM ${ENTRIES} WHERE key = ?`, key);
  }

  scan(after: string, limit: number): KeyedEntry[] {
    const rows = this.rows<EntryRow>(`SELECT ${COLUMNS} FROM ${ENTRIES} WHERE key > ? ORDER BY key LIMIT ?`, after, limit);
    return rows.map((row) => ({ key: row.key, entry: fromRow(row) }));
  }

  scanPrefix(after: string, prefix: string, limit: number): KeyedEntry[] {
    // Keys with the prefix are a range from the prefix itself; the cursor is read
    // lazily and left at the first key past the range, so no more rows are read.
    const cursor = this.sql.exec<EntryRow>(
      `SELECT ${COLUMNS} FROM ${ENTRIES} WHERE key > ? AND key >= ? ORDER BY key LIMIT ?`,
      after,
      prefix,
      limit,
    );
    const entries: KeyedEntry[] = [];
    for (const row of cursor) {
      if (!row.key.startsWith(prefix)) break;
      entries.push({ key: row.key, entry: fromRow(row) });
    }
    this.rowsRead += cursor.rowsRead;
    return entries;
  }

  readCounts(): StoreCounts | undefined {
    const [row] = this.rows<CountsRow>(`SELECT live, tombstones, bytes FROM ${COUNTS} WHERE id = 0`);
    return row;
  }

  writeCounts({ live, tombstones, bytes }: StoreCounts): void {
    this.rows(
      `INSERT INTO ${COUNTS} (id, live, tombstones, bytes) VALUES (0, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET live = excluded.live, tombstones = excluded.tombstones, bytes = excluded.bytes`,
      live,
      tombstones,
      bytes,
    );
  }

  transaction<T>(fn: () => T): T {
    return this.storage.transactionSync(fn);
  }

  get databaseSize(): number {
    return this.sql.databaseSize;
  }

  private rows<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: SqlStorageValue[]): T[] {
    const cursor = this.sql.exec<T>(query, ...bindings);
    const rows = cursor.toArray();
    this.rowsRead += cursor.rowsRead;
    return rows;
  }
}

interface EntryRow extends Record<string, SqlStorageValue> {
  key: string;
  value: string | null;
  wall: number;
  logical: number;
  writer: string;
  expires_at: number | null;
}

interface CountsRow extends Record<string, SqlStorageValue> {
  live: number;
  tombstones: number;
  bytes: number;
}

function fromRow(row: EntryRow): Entry {
  const version = { wall: row.wall, logical: row.logical, writer: row.writer };
  if (row.value === null) return { kind: "tombstone", version };
  const entry: Entry = { kind: "value", value: row.value, version };
  return row.expires_at === null ? entry : { ...entry, expiresAt: row.expires_at };
}
