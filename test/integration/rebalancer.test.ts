import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Rebalancer, type PeerClient } from "../../durable/rebalancer";
import { ReplicaStore } from "../../durable/replica-store";
import type { Entry } from "../../shared/entry";
import { Ring } from "../../shared/ring";
import type { KeyedEntry } from "../../shared/wire";

// The sweep's rules, on a real object's SQLite storage, with the other replicas faked.
const value = (text: string, wall: number): Entry => ({
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

  it("purges tombstones past their grace period, and only those", async () => {
    await inObject("a", async (store) => {
      const now = 10_000_000;
      store.apply("old", { kind: "tombstone", version: { wall: now - 2_000, logical: 0, writer: "w" } });
      store.apply("recent", { kind: "tombstone", version: { wall: now - 500, logical: 0, writer: "w" } });
      await new Rebalancer("a", store, peers().client, 1_000, () => now).sweepStep(ring, 100);
      expect(store.get("old")).toBeUndefined();
      expect(store.get("recent")?.kind).toBe("tombstone");
    });
  });
});
