import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { KV_KEYS, migrate, MIGRATIONS, SCHEMA_VERSION, TABLES } from "../../durable/schema";

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
      state.storage.sql.exec(`DROP TABLE ${TABLES.hints}`);
      state.storage.kv.put(KV_KEYS.schemaVersion, SCHEMA_VERSION - 1);
      expect(migrate(state.storage)).toBe(SCHEMA_VERSION - 1);
      expect(tables(state.storage.sql)).toContain(TABLES.hints);
      // At the latest version, a dropped table stays dropped: migrations ran once.
      state.storage.sql.exec(`DROP TABLE ${TABLES.hints}`);
      migrate(state.storage);
      expect(tables(state.storage.sql)).not.toContain(TABLES.hints);
    });
  });
});
