import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ReplicaStore } from "../../../durable/replica-store";
import { Ring } from "../../../shared/ring";
import { entryBytes } from "../../../shared/storage/entry-bytes";
import type { KeyedEntry } from "../../../shared/wire";
import { ADMIN, api, config } from "../helpers";
import { ClusterDriver, stub } from "./harness";

const driver = new ClusterDriver();
const others = config.nodes.filter((n) => n !== "node-5");
const without = Ring.build(others, { virtualNodes: config.virtualNodes, replicas: config.replicas });

describe("a graceful leave of a node holding more than its cache", () => {
  it("hands off every key", async () => {
    await driver.start();
    const value = JSON.stringify("x".repeat(64 * 1024));
    const entries: KeyedEntry[] = [];
    let bytes = 0;
    for (let i = 0; bytes <= config.storage.cacheBytes + 1024 * 1024; i++) {
      const entry = { kind: "value", value, version: { wall: 1, logical: i, writer: "test" } } as const;
      entries.push({ key: `large-${i}`, entry });
      bytes += entryBytes(`large-${i}`, entry);
    }
    // Written into its database directly, then the object reset: its cache starts empty and cannot hold them all.
    await runInDurableObject(stub("node-5"), (_instance, state) => {
      new ReplicaStore(state.storage).applyAll(entries);
    });
    await runInDurableObject(stub("node-5"), (_instance, state) => state.abort("reset")).catch(() => undefined);
    expect((await stub("node-5").stats()).keys).toBe(entries.length);

    const response = await api("/admin/nodes/node-5", { method: "DELETE", headers: ADMIN });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toMatchObject({ handedOff: entries.length, swim: { state: "left" } });
    const left = (await stub("node-5").stats()).storage;
    expect(left.rows).toBe(0);
    expect(left.cache.bytes).toBeLessThanOrEqual(config.storage.cacheBytes);

    // Each remaining node holds exactly the keys it now replicates (it held none before), at the version written.
    for (const node of others) {
      const owned = entries.filter(({ key }) => without.preferenceList(key).includes(node));
      expect((await stub(node).stats()).keys, node).toBe(owned.length);
      for (const { key, entry } of owned.slice(0, 5)) expect((await stub(node).inspect(key)).entry?.version).toEqual(entry.version);
    }
  }, 60_000);
});
