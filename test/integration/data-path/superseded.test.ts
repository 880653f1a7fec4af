import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Entry } from "../../../shared/entry";
import { del, freshKey, get, put, replicaCopy, replicasOf } from "../helpers";

describe("a write that the replicas hold a newer version than", () => {
  it("is stamped again and applied: a client's DELETE after a write from a router whose clock runs ahead still deletes", async () => {
    const key = freshKey("superseded");
    expect((await put(key, "v1", "?w=all")).status).toBe(200);
    // Another router isolate, its clock 5 s ahead, wrote v2 to every replica.
    const ahead: Entry = { kind: "value", value: '"v2"', version: { wall: Date.now() + 5_000, logical: 0, writer: "ahead" } };
    for (const node of replicasOf(key)) await env.RING_NODE.getByName(node).write(key, ahead);

    const deleted = await del(key, "&w=all");
    expect(deleted.status).toBe(200);
    const { version } = await deleted.json<{ version: string }>();
    expect(Number(version.split(".")[0])).toBeGreaterThanOrEqual(ahead.version.wall);
    expect((await get(key, "&r=all")).status).toBe(404);
    for (const node of replicasOf(key)) expect(await replicaCopy(node, key)).toMatchObject({ tombstone: true, version });
  });

  it("and a write after it orders after it too", async () => {
    const key = freshKey("superseded-write");
    const ahead: Entry = { kind: "value", value: '"theirs"', version: { wall: Date.now() + 5_000, logical: 3, writer: "ahead" } };
    for (const node of replicasOf(key)) await env.RING_NODE.getByName(node).write(key, ahead);
    expect((await put(key, "ours")).status).toBe(200);
    expect(await (await get(key, "&r=all")).json()).toMatchObject({ value: "ours" });
  });
});
