import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, apiWith, config, del, expectError, freshKey, get, put, replicaCopy, replicasOf } from "./helpers";

// Run with MAX_NODE_BYTES of about two large values (vitest project "node-full").
const large = "x".repeat(100 * 1024);

/**
 * Each test fills the three owners of a key pair of its own with one large value (`first`), so
 * that `second`, on the same owners, does not fit; and deletes both when it ends, passing or
 * failing, which frees the room for the next test's pair.
 */
async function withFullOwners(body: (pair: { first: string; second: string; owners: readonly string[] }) => Promise<void>): Promise<void> {
  const first = freshKey("full");
  const owners = replicasOf(first);
  const second = [...Array(1000).keys()].map((i) => `${first}-${i}`).find((k) => replicasOf(k).join() === owners.join())!;
  try {
    expect((await put(first, large, "?w=all")).status).toBe(200);
    await body({ first, second, owners });
  } finally {
    for (const key of [first, second]) await del(key, "&w=all");
  }
}

describe("a full node", () => {
  it("refuses a write past MAX_NODE_BYTES: 507 node_full naming the nodes, nothing stored touched", async () => {
    expect(config.storage.maxNodeBytes).toBeLessThan(2 * large.length);
    await withFullOwners(async ({ first, second, owners }) => {
      const body = await expectError(await put(second, large, "?w=all"), 507, "node_full");
      expect([...(body.error.nodes as string[])].sort()).toEqual([...owners].sort());
      expect(body.error).toMatchObject({ operation: "write", acked: 0, required: 3 });
      expect(body.error.message).toContain("MAX_NODE_BYTES");

      await expectError(await get(second), 404, "not_found");
      expect(await (await get(first, "&r=all")).json()).toMatchObject({ value: large });
      for (const node of owners) expect(await replicaCopy(node, second)).toMatchObject({ present: false });
    });
  });

  // The full nodes return the refusal code node_full; none of these paths reads a message.
  it("says node_full the same way through a batch, the fetch transport and a node's internal API", () =>
    withFullOwners(async ({ second, owners }) => {
      const sorted = [...owners].sort();
      const batched = await api("/s/batch?w=all", {
        method: "POST",
        body: JSON.stringify({ ops: [{ op: "put", key: second, value: large }] }),
      });
      expect(batched.status).toBe(200);
      const [result] = ((await batched.json()) as { results: { status: number; body: { error: { code: string; nodes: string[] } } }[] })
        .results;
      expect(result).toMatchObject({ status: 507, body: { error: { code: "node_full" } } });
      expect([...result!.body.error.nodes].sort()).toEqual(sorted);

      const overHttp = await apiWith({ REPLICA_TRANSPORT: "fetch" }, "/s/key?w=all", {
        method: "POST",
        body: JSON.stringify({ key: second, value: large }),
      });
      const body = await expectError(overHttp, 507, "node_full");
      expect([...(body.error.nodes as string[])].sort()).toEqual(sorted);

      const version = { wall: Date.now(), logical: 0, writer: "t" };
      const internal = await env.RING_NODE.getByName(owners[0]!).fetch("https://ring-node/d/write", {
        method: "POST",
        body: JSON.stringify({ key: second, value: JSON.stringify(large), version }),
      });
      expect(internal.status).toBe(507);
      expect(await internal.json()).toMatchObject({ error: { code: "node_full", refused: "node_full" } });

      for (const node of owners) expect(await replicaCopy(node, second)).toMatchObject({ present: false });
    }));

  it("takes writes again once a delete freed room", () =>
    withFullOwners(async ({ first, second }) => {
      expect((await del(first, "&w=all")).status).toBe(200);
      expect((await put(second, large, "?w=all")).status).toBe(200);
      expect(await (await get(second, "&r=all")).json()).toMatchObject({ value: large });
    }));
});
