import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Rebalancer, type PeerClient } from "../../durable/rebalancer";
import { ReplicaStore } from "../../durable/replica-store";
import { KV_KEYS, migrate, SCHEMA_VERSION } from "../../durable/schema";
import type { Entry, LiveEntry } from "../../shared/entry";
import { Ring } from "../../shared/ring";
import type { KeyedEntry } from "../../shared/wire";

// The sweep's rules, on a real object's SQLite storage, with the other replicas faked.
const value = (text: string, wall: number): LiveEntry => ({
  kind: "value",
  value: JSON.stringify(text),
  version: { wall, logical: 0, writer: "w" },
});
const ring = Ring.build(["a", "b", "c"], { virtualNodes: 16, replicas: 3 });

/** Peers that hold what they are sent; `during` runs inside each applyEntries call, as a concurrent write would. */
function peers(during?: (peer: string) => void) {
  const held = new Map<string, Map<string, Entry>>();
  const client: PeerClient = {
    antiEntropy: async () => ({ newer: [], behind: [] }),
    applyEntries: async (peer: string, entries: readonly KeyedEntry[]) => {
      during?.(peer);
      const copy = held.get(peer) ?? new Map<string, Entry>();
      for (const { key, entry } of entries) copy.set(key, entry);
      held.set(peer, copy);
      return { received: entries.length, applied: entries.length };
    },
  };
  return { client, held };
}

function inObject<T>(name: string, fn: (store: ReplicaStore) => Promise<T>): Promise<T> {
  return runInDurableObject(env.RING_NODE.getByName(name), (_instance, state) => fn(new ReplicaStore(state.storage)));
}

describe("the rebalancing sweep", () => {
  it("hands a key it does not replicate to all its replicas, then drops it", async () => {
    await inObject("outsider-1", async (store) => {
      store.apply("k", value("v1", 1));
      const { client, held } = peers();
      const sweep = new Rebalancer("outsider-1", store, client, 1e12, Date.now);
      expect(await sweep.sweepStep(ring, 100)).toBe(true);
      for (const node of ring.preferenceList("k")) expect(held.get(node)?.get("k")).toEqual(value("v1", 1));
      expect(store.get("k")).toBeUndefined();
    });
  });

  it("keeps a key that was written while its handoff was in flight, and ships the new entry next time", async () => {
    await inObject("outsider-2", async (store) => {
      store.apply("k", value("v1", 1));
      const { client, held } = peers((peer) => {
        if (peer === ring.preferenceList("k")[0]) store.apply("k", value("v2", 2));
      });
      const sweep = new Rebalancer("outsider-2", store, client, 1e12, Date.now);
      await sweep.sweepStep(ring, 100);
      expect(store.get("k")).toEqual(value("v2", 2));
      await sweep.sweepStep(ring, 100);
      for (const node of ring.preferenceList("k")) expect(held.get(node)?.get("k")).toEqual(value("v2", 2));
      expect(store.get("k")).toBeUndefined();
    });
  });

  it("keeps a key when one of its replicas cannot take it", async () => {
    await inObject("outsider-3", async (store) => {
      store.apply("k", value("v1", 1));
      const refusing = ring.preferenceList("k")[1]!;
      const client: PeerClient = {
        antiEntropy: async () => ({ newer: [], behind: [] }),
        applyEntries: async (peer, entries) => {
          if (peer === refusing) throw new Error("unreachable");
          return { received: entries.length, applied: entries.length };
        },
      };
      await new Rebalancer("outsider-3", store, client, 1e12, Date.now).sweepStep(ring, 100);
      expect(store.get("k")).toEqual(value("v1", 1));
    });
  });

  it("answers a peer's anti-entropy without taking its keys into the cache", async () => {
    await runInDurableObject(env.RING_NODE.getByName("anti-entropy-cold"), async (_instance, state) => {
      const written = new ReplicaStore(state.storage);
      for (let i = 0; i < 20; i++) written.apply(`ae-${i}`, value("v", 2));
      // The same rows opened again: a cold cache, as after a restart.
      const store = new ReplicaStore(state.storage);
      const sweep = new Rebalancer("anti-entropy-cold", store, peers().client, 1e12, Date.now);
      const items = Array.from({ length: 20 }, (_, i) => ({ key: `ae-${i}`, version: { wall: 1, logical: 0, writer: "w" } }));
      expect(sweep.answerAntiEntropy(items).newer).toHaveLength(20);
      expect(store.cacheStats.entries).toBe(0);
    });
  });

  it("purges tombstones past the tombstone TTL, and only those", async () => {
    await inObject("a", async (store) => {
      const now = 10_000_000;
      store.apply("old", { kind: "tombstone", version: { wall: now - 2_000, logical: 0, writer: "w" } });
      store.apply("recent", { kind: "tombstone", version: { wall: now - 500, logical: 0, writer: "w" } });
      await new Rebalancer("a", store, peers().client, 1_000, () => now).sweepStep(ring, 100);
      expect(store.get("old")).toBeUndefined();
      expect(store.get("recent")?.kind).toBe("tombstone");
    });
  });

  it("purges expired values past the tombstone TTL, and keeps the ones expired more recently or not at all", async () => {
    await inObject("b", async (store) => {
      const now = 10_000_000_000;
      const expiring = (name: string, expiresAt: number): Entry => ({ ...value(name, 1), expiresAt });
      store.apply("long-expired", expiring("a", (now - 2_000) / 1000));
      store.apply("just-expired", expiring("b", (now - 500) / 1000));
      store.apply("forever", value("c", 1));
      await new Rebalancer("b", store, peers().client, 1_000, () => now).sweepStep(ring, 100);
      expect(store.get("long-expired")).toBeUndefined();
      expect(store.get("just-expired")).toEqual(expiring("b", (now - 500) / 1000));
      expect(store.get("forever")).toEqual(value("c", 1));
    });
  });
});

describe("the replica store", () => {
  it("keeps an expiry across a restart, and reads a store written before expiry existed", async () => {
    await runInDurableObject(env.RING_NODE.getByName("old-schema"), (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE IF EXISTS entries");
      sql.exec(
        "CREATE TABLE entries (key TEXT PRIMARY KEY, value TEXT, wall INTEGER NOT NULL, logical INTEGER NOT NULL, writer TEXT NOT NULL) WITHOUT ROWID",
      );
      sql.exec("INSERT INTO entries VALUES ('old', '\"kept\"', 1, 0, 'w')");
      // A store from before schema_version: the node's construction migrates it (durable/schema.ts).
      state.storage.kv.delete(KV_KEYS.schemaVersion);
      expect(migrate(state.storage)).toBe(0);
      expect(state.storage.kv.get(KV_KEYS.schemaVersion)).toBe(SCHEMA_VERSION);
      expect(migrate(state.storage)).toBe(SCHEMA_VERSION);
      const store = new ReplicaStore(state.storage);
      expect(store.get("old")).toEqual(value("kept", 1));
      store.apply("new", { ...value("soon", 2), expiresAt: 4_000_000_000 });
      expect(new ReplicaStore(state.storage).get("new")).toEqual({ ...value("soon", 2), expiresAt: 4_000_000_000 });
      expect(new ReplicaStore(state.storage).get("old")).toEqual(value("kept", 1));
    });
  });
});
