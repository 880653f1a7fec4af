import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, config, freshKey, get, put, replicaCopy, replicasOf } from "../helpers";

const MARK = Symbol.for("ringkv.test.mark");

/** Resets a node object as the platform would on a crash: its memory is gone, storage stays. */
async function reset(node: string): Promise<void> {
  const stub = env.RING_NODE.getByName(node);
  await runInDurableObject(stub, (instance) => void Object.assign(instance, { [MARK]: true }));
  await runInDurableObject(stub, (_instance, state) => state.abort("test reset")).catch(() => undefined);
  // Proof that the object really restarted: the mark lived only in the old instance's memory.
  expect(await runInDurableObject(env.RING_NODE.getByName(node), (instance) => MARK in instance)).toBe(false);
}

describe("durability", () => {
  it("acknowledged writes are readable after every replica object is reset", async () => {
    const written = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const key = freshKey("durable");
      expect((await put(key, i)).status).toBe(200);
      written.set(key, i);
    }
    const deleted = freshKey("durable-deleted");
    await put(deleted, "gone", "?w=all");
    await api(`/s/key?key=${deleted}&w=all`, { method: "DELETE" });

    for (const node of config.nodes) await reset(node);

    for (const [key, value] of written) {
      const response = await get(key);
      expect(response.status, key).toBe(200);
      expect(await response.json()).toMatchObject({ value });
    }
    expect((await get(deleted)).status).toBe(404);
    for (const node of replicasOf(deleted)) expect(await replicaCopy(node, deleted)).toMatchObject({ tombstone: true });
  });

  it("a node reloads its replica counts from storage after a reset", async () => {
    const key = freshKey("counted");
    await put(key, "v", "?w=all");
    const node = replicasOf(key)[0]!;
    const before = await env.RING_NODE.getByName(node).stats();
    await reset(node);
    const after = await env.RING_NODE.getByName(node).stats();
    expect({ keys: after.keys, tombstones: after.tombstones }).toEqual({ keys: before.keys, tombstones: before.tombstones });
    expect(after.keys).toBeGreaterThan(0);
  });
});

describe("identity", () => {
  it("a node woken without its name (as by an alarm) still knows it, from storage", async () => {
    const named = env.RING_NODE.getByName("node-2");
    expect(await named.stats()).toMatchObject({ name: "node-2" });
    const id = env.RING_NODE.idFromString(env.RING_NODE.idFromName("node-2").toString());
    expect(id.name).toBeUndefined();
    await runInDurableObject(named, (_instance, state) => state.abort("test reset")).catch(() => undefined);
    expect(await runInDurableObject(env.RING_NODE.get(id), (instance) => instance.name)).toBe("node-2");
  });
});
