import { describe, expect, it } from "vitest";
import type { Entry } from "../../shared/entry";
import type { MemberState } from "../../shared/swim/types";
import type { HintReply, KeyedEntry } from "../../shared/wire";
import type { ReplicaClient } from "../../worker/coordinator";
import { buildView, type MembershipView } from "../../worker/membership";
import { Hints, holdAll } from "../../worker/write-hints";
import { deferred, flush } from "./support/manual-timers";

/**
 * worker/write-hints.ts: where the writes meant for a down home replica go as
 * hints. A write's hint goes to the first member past the key's preference list
 * that is not dead and not already holding a hint of that write; the replica's
 * own call fails all the same (a hint never counts toward W).
 */

const NODES = ["n1", "n2", "n3", "n4", "n5"];
const RING = { virtualNodes: 16, replicas: 3 };

/**
 * The ring these tests stand on (5 nodes, 16 virtual nodes, N=3): each key's
 * clockwise walk, the first three being its home replicas.
 */
const WALKS = {
  a: ["n1", "n2", "n3", "n5", "n4"],
  b: ["n2", "n5", "n1", "n3", "n4"],
  d: ["n2", "n3", "n5", "n4", "n1"],
  k: ["n2", "n1", "n5", "n3", "n4"],
};

/**
 * A view in which `dead` are dead (within their grace: still on the ring, as a
 * node reports them) and the rest of `nodes` alive.
 */
function viewOf(dead: readonly string[] = [], nodes: readonly string[] = NODES): MembershipView {
  const state = (name: string): MemberState => (dead.includes(name) ? "dead" : "alive");
  return buildView(
    nodes.map((name) => ({ name, state: state(name), incarnation: 1 })),
    RING,
    "n1",
    nodes,
  );
}

const entry = (value: string): Entry => ({ kind: "value", value: JSON.stringify(value), version: { wall: 1, logical: 0, writer: "w" } });

interface HintCall {
  holder: string;
  target: string;
  writes: KeyedEntry[];
}

/** A node client that only takes hints, recording each call; `answer` decides how each call ends. */
function hintClient(answer: (holder: string) => Promise<HintReply> = () => Promise.resolve({ held: 1, digest: "d" })) {
  const calls: HintCall[] = [];
  const unexpected = () => Promise.reject(new Error("only hint calls are expected"));
  const replicas: ReplicaClient = {
    read: unexpected,
    write: unexpected,
    batch: unexpected,
    hint: (holder, target, writes) => {
      calls.push({ holder, target, writes: [...writes] });
      return answer(holder);
    },
  };
  return { replicas, calls };
}

describe("the ring of these tests", () => {
  it("walks each key as WALKS says", () => {
    const { ring } = viewOf();
    for (const [key, walk] of Object.entries(WALKS)) {
      expect(ring.successors(key, 5)).toEqual(walk);
      expect(ring.preferenceList(key)).toEqual(walk.slice(0, 3));
    }
  });
});

describe("Hints: one write", () => {
  it("hints the write for a down home replica to the first member past the preference list, then fails the call with the same error", async () => {
    const { replicas, calls } = hintClient();
    const written = entry("v");
    const hints = new Hints(viewOf(), "a", written, replicas);
    const failure = new Error("n2 timed out");

    await expect(hints.instead("n2", failure)).rejects.toBe(failure);

    // Key a: home n1, n2, n3; the walk goes on to n5.
    expect(calls).toEqual([{ holder: "n5", target: "n2", writes: [{ key: "a", entry: written }] }]);
    expect(calls[0]!.writes[0]!.entry).toBe(written);
  });

  it("fails the replica's call only once the hint has settled", async () => {
    const reply = deferred<HintReply>();
    const { replicas } = hintClient(() => reply.promise);
    const hints = new Hints(viewOf(), "a", entry("v"), replicas);
    let settled = false;
    const call = hints.instead("n2", new Error("down")).catch(() => void (settled = true));
    await flush();
    expect(settled).toBe(false);
    reply.resolve({ held: 1, digest: "d" });
    await call;
    expect(settled).toBe(true);
  });

  it("gives each down replica of the write its own holder", async () => {
    const { replicas, calls } = hintClient();
    const hints = new Hints(viewOf(), "a", entry("v"), replicas);
    await hints.hold("n2");
    await hints.hold("n3");
    expect(calls.map((c) => [c.target, c.holder])).toEqual([
      ["n2", "n5"],
      ["n3", "n4"],
    ]);
  });

  it("never hints to a dead member, and a dead home replica's write goes past it", async () => {
    const { replicas, calls } = hintClient();
    // Key b: home n2, n5, n1; n3 would hold first, but n3 is dead.
    const hints = new Hints(viewOf(["n3", "n5"]), "b", entry("v"), replicas);
    await hints.hold("n5");
    expect(calls.map((c) => [c.target, c.holder])).toEqual([["n5", "n4"]]);
  });

  it("hints nothing when the ring has run out of holders, and still fails the call", async () => {
    const { replicas, calls } = hintClient();
    const hints = new Hints(viewOf(), "a", entry("v"), replicas);
    await hints.hold("n1");
    await hints.hold("n2");
    // n5 and n4 are taken: the third down replica's write rests on the home replica that took it.
    const failure = new Error("n3 down");
    await expect(hints.instead("n3", failure)).rejects.toBe(failure);
    expect(calls.map((c) => c.holder)).toEqual(["n5", "n4"]);
  });

  it("hints nothing on a ring of N members: every other member is a home replica", async () => {
    const { replicas, calls } = hintClient();
    const hints = new Hints(viewOf([], ["n1", "n2", "n3"]), "a", entry("v"), replicas);
    expect(hints.holderFor()).toBeUndefined();
    await expect(hints.hold("n2")).resolves.toBeUndefined();
    expect(calls).toEqual([]);
  });

  it("settles when the holder refuses or fails the hint, and the call fails with the replica's error, not the hint's", async () => {
    const { replicas, calls } = hintClient(() => Promise.reject(new Error("n5 is full")));
    const hints = new Hints(viewOf(), "a", entry("v"), replicas);
    await expect(hints.hold("n2")).resolves.toBeUndefined();
    const failure = new Error("n3 down");
    await expect(hints.instead("n3", failure)).rejects.toBe(failure);
    // A failed hint still uses its holder up: the next down replica goes to the next one.
    expect(calls.map((c) => [c.target, c.holder])).toEqual([
      ["n2", "n5"],
      ["n3", "n4"],
    ]);
  });

  it("holderFor names the holders in walk order, skipping dead ones, then none", () => {
    const { replicas, calls } = hintClient();
    // Key d: home n2, n3, n5; then n4, n1.
    const hints = new Hints(viewOf(), "d", entry("v"), replicas);
    expect([hints.holderFor(), hints.holderFor(), hints.holderFor()]).toEqual(["n4", "n1", undefined]);
    const withDead = new Hints(viewOf(["n4"]), "d", entry("v"), replicas);
    expect([withDead.holderFor(), withDead.holderFor()]).toEqual(["n1", undefined]);
    // Naming a holder sends nothing.
    expect(calls).toEqual([]);
  });
});

describe("holdAll: a batch's writes for one down replica", () => {
  it("sends one call per holder, with that holder's writes in the order given", async () => {
    const { replicas, calls } = hintClient();
    const view = viewOf(["n2"]);
    const writes = (["a", "b", "d", "k"] as const).map((key) => new Hints(view, key, entry(key), replicas));

    await holdAll(replicas, "n2", writes);

    // a -> n5; b -> n3; d -> n4; k -> n3 (b and k share a holder, and a call).
    expect(calls.map((c) => ({ holder: c.holder, target: c.target, keys: c.writes.map((w) => w.key) }))).toEqual([
      { holder: "n5", target: "n2", keys: ["a"] },
      { holder: "n3", target: "n2", keys: ["b", "k"] },
      { holder: "n4", target: "n2", keys: ["d"] },
    ]);
    expect(calls[1]!.writes).toEqual([
      { key: "b", entry: entry("b") },
      { key: "k", entry: entry("k") },
    ]);
  });

  it("skips a write whose ring has no holder left, and calls no one for an empty batch", async () => {
    const { replicas, calls } = hintClient();
    const view = viewOf();
    const a = new Hints(view, "a", entry("a"), replicas);
    a.holderFor();
    a.holderFor();
    const d = new Hints(view, "d", entry("d"), replicas);

    await holdAll(replicas, "n3", [a, d]);
    expect(calls.map((c) => [c.holder, c.writes.map((w) => w.key)])).toEqual([["n4", ["d"]]]);

    await holdAll(replicas, "n3", []);
    expect(calls).toHaveLength(1);
  });

  it("gives a write's second down replica another holder than its first", async () => {
    const { replicas, calls } = hintClient();
    const view = viewOf(["n1", "n2"]);
    const a = new Hints(view, "a", entry("a"), replicas);
    await holdAll(replicas, "n1", [a]);
    await holdAll(replicas, "n2", [a]);
    expect(calls.map((c) => [c.target, c.holder])).toEqual([
      ["n1", "n5"],
      ["n2", "n4"],
    ]);
  });

  it("settles when some holders fail, after every call has been made", async () => {
    const { replicas, calls } = hintClient((holder) =>
      holder === "n3" ? Promise.reject(new Error("n3 unreachable")) : Promise.resolve({ held: 1, digest: "d" }),
    );
    const view = viewOf(["n2"]);
    const writes = (["a", "b", "d"] as const).map((key) => new Hints(view, key, entry(key), replicas));
    await expect(holdAll(replicas, "n2", writes)).resolves.toBeUndefined();
    expect(calls.map((c) => c.holder)).toEqual(["n5", "n3", "n4"]);
  });
});
