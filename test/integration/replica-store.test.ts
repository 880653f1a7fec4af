import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ReplicaStore } from "../../durable/replica-store";
import type { KeyedEntry } from "../../shared/wire";
import type { StoreOptions } from "../../shared/storage/store-rules";
import { describeReplicaStorage, value } from "../shared/replica-storage-spec";
import { accepted } from "./helpers";

const DEFAULTS: StoreOptions = { node: "sqlite", cacheBytes: 8 * 1024 * 1024, maxBytes: Number.MAX_SAFE_INTEGER };

// Each case gets an object of its own (a unique id is no ring member, so nothing else runs in it).
describeReplicaStorage("SQLite store", (options, body) =>
  runInDurableObject(env.RING_NODE.get(env.RING_NODE.newUniqueId()), (_instance, state) => {
    const open = () => new ReplicaStore(state.storage, { ...DEFAULTS, ...options });
    body({ store: open(), reopen: open });
  }),
);

describe("SQLite store: start-up", () => {
  it("counts a database written before counts were kept, once", () =>
    runInDurableObject(env.RING_NODE.get(env.RING_NODE.newUniqueId()), (_instance, state) => {
      const store = new ReplicaStore(state.storage, DEFAULTS);
      store.applyAll([
        { key: "a", entry: value("x", 1) },
        { key: "b", entry: { kind: "tombstone", version: { wall: 1, logical: 0, writer: "w" } } },
      ]);
      state.storage.sql.exec("DELETE FROM entry_counts");
      expect(new ReplicaStore(state.storage, DEFAULTS).counts()).toEqual(store.counts());
      expect(new ReplicaStore(state.storage, DEFAULTS).rowsRead).toBe(1);
    }));

  it("a node holding 50,000 rows, reset, answers its first read having read a few rows", async () => {
    const node = env.RING_NODE.getByName("node-1");
    await runInDurableObject(node, (_instance, state) => {
      const store = new ReplicaStore(state.storage, DEFAULTS);
      for (let start = 0; start < 50_000; start += 5_000) {
        const batch: KeyedEntry[] = [];
        for (let i = start; i < start + 5_000; i++) batch.push({ key: `k${i}`, entry: value(`v${i}`, 1) });
        store.applyAll(batch);
      }
    });
    await runInDurableObject(node, (_instance, state) => state.abort("reset")).catch(() => undefined);

    // A stub breaks with its object's reset: the next calls go through a new one.
    const restarted = env.RING_NODE.getByName("node-1");
    expect(accepted(await restarted.read("k42")).entry).toEqual(value("v42", 1));
    const cold = (await restarted.stats()).storage;
    // The counts row and the key's row; SWIM's snapshot is kv storage, not these tables.
    expect(cold.rowsRead).toBeLessThanOrEqual(2);
    expect(cold.rows).toBe(50_000);
    expect(cold.bytes).toBeGreaterThan(50_000 * 8);

    await restarted.read("k42");
    expect((await restarted.stats()).storage.rowsRead).toBe(cold.rowsRead);
  });
});
