import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { KV_KEYS, migrate, MIGRATIONS, REBUILD_LIMIT_BYTES, SCHEMA_VERSION, TABLES, type SchemaStorage } from "../../durable/schema";

function columns(sql: SqlStorage, table: string): string[] {
  return sql
    .exec<{ name: string }>(`PRAGMA table_info(${table})`)
    .toArray()
    .map((c) => c.name);
}

function tables(sql: SqlStorage): string[] {
  return sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name")
    .toArray()
    .map((t) => t.name)
    .filter((name) => !name.startsWith("sqlite_"));
}

describe("a node's persisted schema (durable/schema.ts)", () => {
  it("a new object is at the latest version, with every declared table", async () => {
    await runInDurableObject(env.RING_NODE.getByName("schema-new"), (_node, state) => {
      expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
      expect(state.storage.kv.get(KV_KEYS.schemaVersion)).toBe(SCHEMA_VERSION);
      expect(tables(state.storage.sql)).toEqual(expect.arrayContaining(Object.values(TABLES)));
      expect(columns(state.storage.sql, TABLES.entries)).toEqual(["key", "value", "wall", "logical", "writer", "expires_at"]);
      // Run once: a second migrate finds the version and changes nothing.
      expect(migrate(state.storage)).toBe(SCHEMA_VERSION);
    });
  });

  it("a store from before schema_version, with all its tables, migrates without error and keeps its rows", async () => {
    await runInDurableObject(env.RING_NODE.getByName("schema-old"), (_node, state) => {
      state.storage.sql.exec(`INSERT INTO ${TABLES.hints} (target, key, entry, bytes) VALUES ('n', 'k', '{}', 2)`);
      state.storage.kv.delete(KV_KEYS.schemaVersion);
      expect(migrate(state.storage)).toBe(0);
      expect(state.storage.kv.get(KV_KEYS.schemaVersion)).toBe(SCHEMA_VERSION);
      expect(state.storage.sql.exec(`SELECT COUNT(*) AS n FROM ${TABLES.hints}`).one().n).toBe(1);
      expect(columns(state.storage.sql, TABLES.entries).filter((c) => c === "expires_at")).toHaveLength(1);
    });
  });

  it("runs only the migrations past the stored version", async () => {
    await runInDurableObject(env.RING_NODE.getByName("schema-partial"), (_node, state) => {
      const hintsVersion = MIGRATIONS.findIndex((m) => m.adds === "hints");
      expect(hintsVersion).toBeGreaterThanOrEqual(0);
      state.storage.sql.exec(`DROP TABLE ${TABLES.hints}`);
      state.storage.kv.put(KV_KEYS.schemaVersion, hintsVersion);
      expect(migrate(state.storage)).toBe(hintsVersion);
      expect(tables(state.storage.sql)).toContain(TABLES.hints);
      // At the latest version, a dropped table stays dropped: migrations ran once.
      state.storage.sql.exec(`DROP TABLE ${TABLES.hints}`);
      migrate(state.storage);
      expect(tables(state.storage.sql)).not.toContain(TABLES.hints);
    });
  });

  it("rebuilds a WITHOUT ROWID entries table as a rowid table, every row as it was", async () => {
    await runInDurableObject(env.RING_NODE.getByName("schema-rowid"), (_node, state) => {
      const sql = state.storage.sql;
      sql.exec(`DROP TABLE ${TABLES.entries}`);
      sql.exec(`CREATE TABLE ${TABLES.entries} (key TEXT PRIMARY KEY, value TEXT, wall INTEGER NOT NULL,
        logical INTEGER NOT NULL, writer TEXT NOT NULL, expires_at INTEGER) WITHOUT ROWID`);
      sql.exec(`INSERT INTO ${TABLES.entries} VALUES ('a', '"1"', 5, 0, 'node-1', NULL), ('b', NULL, 6, 1, 'node-2', NULL),
        ('c', '"3"', 7, 2, 'node-3', 1900000000)`);
      const before = sql.exec(`SELECT * FROM ${TABLES.entries} ORDER BY key`).toArray();
      state.storage.kv.put(KV_KEYS.schemaVersion, SCHEMA_VERSION - 1);

      expect(migrate(state.storage)).toBe(SCHEMA_VERSION - 1);
      expect(declaration(sql, TABLES.entries).sql).not.toMatch(/WITHOUT ROWID/i);
      expect(sql.exec(`SELECT * FROM ${TABLES.entries} ORDER BY key`).toArray()).toEqual(before);
      expect(shape(sql, TABLES.entries)).toEqual([
        { name: "key", type: "TEXT", notnull: 1, pk: 1 },
        { name: "value", type: "TEXT", notnull: 0, pk: 0 },
        { name: "wall", type: "INTEGER", notnull: 1, pk: 0 },
        { name: "logical", type: "INTEGER", notnull: 1, pk: 0 },
        { name: "writer", type: "TEXT", notnull: 1, pk: 0 },
        { name: "expires_at", type: "INTEGER", notnull: 0, pk: 0 },
      ]);
      // Run again from the same version, the rebuilt table is left as it is (not rebuilt: same root page).
      const root = declaration(sql, TABLES.entries).rootpage;
      state.storage.kv.put(KV_KEYS.schemaVersion, SCHEMA_VERSION - 1);
      migrate(state.storage);
      expect(declaration(sql, TABLES.entries).rootpage).toBe(root);
      expect(sql.exec(`SELECT * FROM ${TABLES.entries} ORDER BY key`).toArray()).toEqual(before);
    });
  });

  it("leaves a WITHOUT ROWID table larger than REBUILD_LIMIT_BYTES as it is, and still reaches the latest version", () => {
    const queries: string[] = [];
    const kv = new Map<string, unknown>([[KV_KEYS.schemaVersion, SCHEMA_VERSION - 1]]);
    const storage: SchemaStorage = {
      sql: {
        databaseSize: REBUILD_LIMIT_BYTES + 1,
        exec(query) {
          queries.push(query);
          return {
            toArray: () => (query.includes("sqlite_master") ? [{ sql: "CREATE TABLE entries (key TEXT PRIMARY KEY) WITHOUT ROWID" }] : []),
          };
        },
      },
      kv: { get: <T>(key: string) => kv.get(key) as T | undefined, put: (key, value) => void kv.set(key, value) },
      transactionSync: (fn) => fn(),
    };
    migrate(storage);
    expect(kv.get(KV_KEYS.schemaVersion)).toBe(SCHEMA_VERSION);
    expect(queries.filter((q) => /CREATE TABLE|DROP TABLE|INSERT/.test(q))).toEqual([]);
  });

  it("keeps a row with a 1 KiB value on its table page: 2,000 such rows take under 3 MB", async () => {
    await runInDurableObject(env.RING_NODE.getByName("schema-bytes"), (_node, state) => {
      const sql = state.storage.sql;
      const empty = sql.databaseSize;
      const value = JSON.stringify("x".repeat(1022));
      for (let i = 0; i < 2000; i++) {
        sql.exec(`INSERT INTO ${TABLES.entries} VALUES (?, ?, 1, 0, 'node-1', NULL)`, `key-${i.toString().padStart(5, "0")}`, value);
      }
      // In a WITHOUT ROWID table each of these rows would take an overflow page of its own (about 9.4 MB).
      expect(sql.databaseSize - empty).toBeLessThan(3 * 1024 * 1024);
    });
  });
});

function declaration(sql: SqlStorage, table: string): { sql: string; rootpage: number } {
  return sql
    .exec<{ sql: string; rootpage: number }>("SELECT sql, rootpage FROM sqlite_master WHERE type = 'table' AND name = ?", table)
    .one();
}

function shape(sql: SqlStorage, table: string): { name: string; type: string; notnull: number; pk: number }[] {
  return sql
    .exec<{ name: string; type: string; notnull: number; pk: number }>(`PRAGMA table_info(${table})`)
    .toArray()
    .map(({ name, type, notnull, pk }) => ({ name, type, notnull, pk }));
}
