import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Entry } from "../../../shared/entry";
import { accepted, config, freshKey } from "../helpers";

describe("group commit on a replica", () => {
  it("commits a burst of writes in fewer commits than writes, and holds every write it acknowledged", async () => {
    const node = env.RING_NODE.getByName(config.nodes[0]!);
    const keys = Array.from({ length: 60 }, (_, i) => freshKey(`burst-${i}`));
    const entry = (i: number): Entry => ({
      kind: "value",
      value: JSON.stringify({ i }),
      version: { wall: Date.now(), logical: i, writer: "test" },
    });
    const before = (await node.stats()).groupCommit;

    const replies = await Promise.all(keys.map(async (key, i) => accepted(await node.write(key, entry(i)))));
    expect(replies.every((r) => r.applied)).toBe(true);

    const after = (await node.stats()).groupCommit;
    expect(after.writes - before.writes).toBe(keys.length);
    expect(after.commits - before.commits).toBeLessThan(keys.length);
    const held = await Promise.all(keys.map((key) => node.inspect(key)));
    expect(held.map((r) => r.entry && r.entry.kind === "value" && JSON.parse(r.entry.value))).toEqual(keys.map((_, i) => ({ i })));
  });
});
