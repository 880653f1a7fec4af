/**
 * Everything a ring node object persists, declared in one place: its KV keys,
 * its SQL tables, and the migrations that build them.
 *
 * The version reached is kept under `schema_version`; a node runs the
 * migrations past it once, in one transaction, when its object is constructed
 * (`migrate`). A store written before the version existed (version 0) holds
 * some of these tables already, so every migration is idempotent. A new table
 * or column is a new migration at the end, never an edit of a past one.
 */

/** The object's KV keys (`ctx.storage.kv`), each with the one file that reads and writes it. */
export const KV_KEYS = {
  /** The object's ring member name (durable/ring-node.ts: an alarm wake has no `ctx.id.name`). */
  name: "name",
  /** The SWIM member's snapshot (durable/swim-host.ts). */
  swim: "swim",
  /** The injected fault, absent when up (durable/fault-switch.ts). */
  fault: "fault",
  /** The catch-up pass's progress, absent when caught up (durable/catch-up.ts). */
  catchUp: "catch_up",
  /** The last migration run (this file). */
  schemaVersion: "schema_version",
} as const;

/** The object's SQL tables. */
export const TABLES = {
  /**
   * The replicas (durable/replica-store.ts): one row per key, looked up by the
   * key's index. A NULL value marks a tombstone; `expires_at` is Unix seconds,
   * NULL for never. An ordinary (rowid) table: in a WITHOUT ROWID table a row
   * of more than about 1,000 bytes (a 1 KiB value) spills to an overflow page of
   * its own, so each such row takes a whole extra page. A store too large to
   * rebuild at start-up keeps that layout (`REBUILD_LIMIT_BYTES`); both serve alike.
   */
  entries: "entries",
  /** One row (id 0): live, tombstones and bytes, written in the transaction of each change they count. */
  entryCounts: "entry_counts",
  /** Writes kept for replicas that were down, one row per (replica, key) (durable/hints.ts). */
  hints: "hints",
} as const;

/**
 * The parts of an object's storage the migrations use, declared here rather
 * than taken from the Workers types, so that modules run in Node's unit tests
 * can import the keys above.
 */
export interface SchemaSql {
  exec(query: string): { toArray(): Record<string, unknown>[] };
  readonly databaseSize: number;
}
export interface SchemaStorage {
  readonly sql: SchemaSql;
  readonly kv: { get<T>(key: string): T | undefined; put<T>(key: string, value: T): void };
  transactionSync<T>(fn: () => T): T;
}

export interface Migration {
  /** What it adds, for people. */
  readonly adds: string;
  readonly up: (sql: SchemaSql) => void;
}

/** The largest database migration 4 rebuilds as a rowid table (about 55,000 rows of 1 KiB values in the old layout). */
export const REBUILD_LIMIT_BYTES = 256 * 1024 * 1024;

/** In order: migration i takes a store from version i to version i + 1. */
export const MIGRATIONS: readonly Migration[] = [
  {
    adds: "entries and entry_counts",
    up(sql) {
      sql.exec(`CREATE TABLE IF NOT EXISTS ${TABLES.entries} (
        key TEXT PRIMARY KEY,
        value TEXT,
        wall INTEGER NOT NULL,
        logical INTEGER NOT NULL,
        writer TEXT NOT NULL
      ) WITHOUT ROWID`);
      sql.exec(`CREATE TABLE IF NOT EXISTS ${TABLES.entryCounts} (
        id INTEGER PRIMARY KEY CHECK (id = 0),
        live INTEGER NOT NULL,
        tombstones INTEGER NOT NULL,
        bytes INTEGER NOT NULL
      )`);
    },
  },
  {
    // Stores written before expiry existed have no such column: it is added (NULL, never
    // expires), so their entries stay readable as they were. Added only when absent, as a
    // store from before schema_version may have it already.
    adds: "entries.expires_at",
    up(sql) {
      const columns = sql.exec(`PRAGMA table_info(${TABLES.entries})`).toArray();
      if (!columns.some((c) => c.name === "expires_at")) sql.exec(`ALTER TABLE ${TABLES.entries} ADD COLUMN expires_at INTEGER`);
    },
  },
  {
    adds: "hints",
    up(sql) {
      sql.exec(`CREATE TABLE IF NOT EXISTS ${TABLES.hints} (
        target TEXT NOT NULL,
        key TEXT NOT NULL,
        entry TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        PRIMARY KEY (target, key)
      ) WITHOUT ROWID`);
    },
  },
  {
    // The table is rebuilt in place, rows copied as they are, in the migration's one
    // transaction, which needs the old and the new pages at once and reads every row:
    // a store past REBUILD_LIMIT_BYTES is left WITHOUT ROWID rather than risk a start-up
    // that runs out of time or space, fails, and is tried again at every start.
    adds: "entries as a rowid table",
    up(sql) {
      if (!isWithoutRowid(sql, TABLES.entries) || sql.databaseSize > REBUILD_LIMIT_BYTES) return;
      const rebuilt = `${TABLES.entries}_rowid`;
      sql.exec(`CREATE TABLE ${rebuilt} (
        key TEXT NOT NULL PRIMARY KEY,
        value TEXT,
        wall INTEGER NOT NULL,
        logical INTEGER NOT NULL,
        writer TEXT NOT NULL,
        expires_at INTEGER
      )`);
      sql.exec(`INSERT INTO ${rebuilt} (key, value, wall, logical, writer, expires_at)
        SELECT key, value, wall, logical, writer, expires_at FROM ${TABLES.entries}`);
      sql.exec(`DROP TABLE ${TABLES.entries}`);
      sql.exec(`ALTER TABLE ${rebuilt} RENAME TO ${TABLES.entries}`);
    },
  },
];

/** Whether `table` was declared WITHOUT ROWID, from its declaration in the schema table. */
function isWithoutRowid(sql: SchemaSql, table: string): boolean {
  const [row] = sql.exec(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '${table}'`).toArray();
  return typeof row?.sql === "string" && /WITHOUT\s+ROWID/i.test(row.sql);
}

/** The version this code's stores are at. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings `storage` to `SCHEMA_VERSION`: the migrations past its version, and
 * the new version, in one transaction. Returns the version it found. A store
 * at a later version (written by newer code, then rolled back) is left as it is.
 */
export function migrate(storage: SchemaStorage): number {
  const found = storage.kv.get<number>(KV_KEYS.schemaVersion) ?? 0;
  if (found >= SCHEMA_VERSION) return found;
  storage.transactionSync(() => {
    for (const migration of MIGRATIONS.slice(found)) migration.up(storage.sql);
    storage.kv.put(KV_KEYS.schemaVersion, SCHEMA_VERSION);
  });
  return found;
}
