import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HintStore } from "../../durable/hints";
import type { Entry } from "../../shared/entry";
import { accepted } from "./helpers";

const at = (wall: number, text = "v"): Entry => ({
  kind: "value",
  value: JSON.stringify(text),
  version: { wall, logical: 0, writer: "w" },
});
const ROOM = 1 << 30;

/** Each case in an object of its own: a unique id is no ring member, so nothing else runs in it. */
function withHints(body: (open: () => HintStore) => void): Promise<void> {
  return runInDurableObject(env.RING_NODE.get(env.RING_NODE.newUniqueId()), (_instance, state) =>
    body(() => new HintStore(state.storage.sql)),
  );
}

describe("HintStore", () => {
  it("keeps the newest write per replica and key, apart for each replica", () =>
    withHints((open) => {
      const hints = open();
      expect(hints.add("node-2", "k", at(2, "new"), ROOM)).toBe(true);
      expect(hints.add("node-2", "k", at(1, "old"), ROOM)).toBe(true);
      expect(hints.add("node-3", "k", at(1, "old"), ROOM)).toBe(true);
      expect(hints.page("node-2", "", 10)).toEqual([{ key: "k", entry: at(2, "new") }]);
      expect(hints.page("node-3", "", 10)).toEqual([{ key: "k", entry: at(1, "old") }]);
      expect(hints.byTarget().get("node-2")?.entries).toBe(1);
    }));

  it("survives a restart: a new store over the same storage counts and pages the same hints", () =>
    withHints((open) => {
      const first = open();
      for (const key of ["a", "b", "c"]) first.add("node-2", key, at(1), ROOM);
      const again = open();
      expect(again.byTarget().get("node-2")).toEqual(first.byTarget().get("node-2"));
      expect(again.page("node-2", "a", 10).map((h) => h.key)).toEqual(["b", "c"]);
    }));

  it("drops a hint only once confirmed at the version delivered: a newer write that arrived meanwhile stays", () =>
    withHints((open) => {
      const hints = open();
      hints.add("node-2", "a", at(1), ROOM);
      hints.add("node-2", "b", at(1), ROOM);
      const delivered = hints.page("node-2", "", 10);
      hints.add("node-2", "b", at(5, "newer"), ROOM);
      hints.confirm("node-2", delivered);
      expect(hints.page("node-2", "", 10)).toEqual([{ key: "b", entry: at(5, "newer") }]);
      expect(hints.byTarget().get("node-2")?.entries).toBe(1);
      hints.confirm("node-2", hints.page("node-2", "", 10));
      expect(hints.byTarget().size).toBe(0);
    }));

  it("refuses a hint that does not fit in the room left, keeping nothing of it", () =>
    withHints((open) => {
      const hints = open();
      expect(hints.add("node-2", "k", at(1, "x".repeat(100)), 50)).toBe(false);
      expect(hints.page("node-2", "", 10)).toEqual([]);
      expect(hints.byTarget().size).toBe(0);
    }));
});

describe("a node's hint call", () => {
  const node = () => env.RING_NODE.getByName("node-1");
  const heldFor = async (target: string) => (await node().stats()).hints.byReplica[target]?.entries ?? 0;

  it("keeps every write of one call for the replica it names", async () => {
    const before = await heldFor("node-2");
    const writes = ["call-a", "call-b", "call-c"].map((key, i) => ({ key, entry: at(10 + i) }));
    expect(accepted(await node().hint("node-2", writes)).held).toBe(3);
    expect(await heldFor("node-2")).toBe(before + 3);
    // The same writes again: already held, so kept, and nothing more stored.
    expect(accepted(await node().hint("node-2", writes)).held).toBe(3);
    expect(await heldFor("node-2")).toBe(before + 3);
  });
});
