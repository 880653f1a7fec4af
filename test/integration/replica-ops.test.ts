import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HintStore } from "../../durable/hints";
import { NodeMetrics } from "../../durable/node-metrics";
import { ReplicaOps } from "../../durable/replica-ops";
import { ReplicaStore } from "../../durable/replica-store";
import type { Entry } from "../../shared/entry";
import { BadArgument, refusal } from "../../shared/node-api";
import type { Ring } from "../../shared/ring";
import type { CatchUpPart, KeyedEntry } from "../../shared/wire";

// In workerd rather than Node: ReplicaOps works on a ReplicaStore and a HintStore,
// typed against the Workers runtime's DurableObjectStorage and SqlStorage, which
// tsconfig.node.json does not declare. Both are real, over the SQLite storage of an
// object of its own (a unique id is no ring member, so nothing else runs in it); the
// node around them (membership, view, ring) is faked. vitest's clock holds `Date.now`
// still, so two writes in a row make a burst and the second waits for its group commit.

const T0 = 1_700_000_000_000;
const value = (wall: number, text = "v"): Entry => ({
  kind: "value",
  value: JSON.stringify(text),
  version: { wall, logical: 0, writer: "w" },
});
const tombstone = (wall: number): Entry => ({ kind: "tombstone", version: { wall, logical: 0, writer: "w" } });
const keyed = (key: string, entry: Entry): KeyedEntry => ({ key, entry });

interface Options {
  /** The store's MAX_NODE_BYTES (its own rows' bound). */
  readonly maxBytes?: number;
  /** The node's byte bound for hints: its room is this minus the database's size. */
  readonly maxNodeBytes?: (databaseSize: number) => number;
}

interface Setup {
  readonly ops: ReplicaOps;
  readonly store: ReplicaStore;
  readonly hints: HintStore;
  readonly counters: NodeMetrics;
  /** The node's membership and view, as the fakes answer them. */
  readonly node: { member: boolean; catchingUp: boolean };
  /** Each ring ReplicaOps built, by its members as given. */
  readonly built: string[];
  /** Every call of `countReceived`, by keys. */
  readonly received: string[][];
}

const NOT_MEMBER = refusal("not_member", "node-x is not a member of the cluster");

/**
 * A ring where `node-t` replicates exactly the keys that start with "t-":
 * expected pages are written out, not worked out from a hash.
 */
function fakeRing(): Ring {
  return { preferenceList: (key: string) => (key.startsWith("t-") ? ["node-a", "node-t"] : ["node-a", "node-b"]) } as unknown as Ring;
}

/** Each case in an object of its own, with fresh tables. */
function withOps(options: Options, body: (setup: Setup) => Promise<void> | void): Promise<void> {
  return runInDurableObject(env.RING_NODE.get(env.RING_NODE.newUniqueId()), async (_instance, state) => {
    const store = new ReplicaStore(state.storage, {
      node: "node-x",
      cacheBytes: 1 << 20,
      maxBytes: options.maxBytes ?? Number.MAX_SAFE_INTEGER,
    });
    const hints = new HintStore(state.storage.sql);
    const counters = new NodeMetrics();
    const node = { member: true, catchingUp: false };
    const built: string[] = [];
    const received: string[][] = [];
    const ops = new ReplicaOps({
      name: "node-x",
      store,
      hints,
      counters,
      maxNodeBytes: options.maxNodeBytes?.(store.databaseSize) ?? Number.MAX_SAFE_INTEGER,
      member: () => node.member,
      notMember: () => NOT_MEMBER,
      flags: () => (node.catchingUp ? { digest: "view-1", catchingUp: true } : { digest: "view-1" }),
      buildRing: (members) => (built.push(members.join(",")), fakeRing()),
      heldRing: () => ({ digest: "ring-1", ringAgeMs: 42_000 }),
      countReceived: (entries) => received.push(entries.map((e) => e.key)),
    });
    await body({ ops, store, hints, counters, node, built, received });
  });
}

const total = (counter: { samples(): { labels: object; value: number }[] }) =>
  counter.samples().map((s) => ({ ...s.labels, value: s.value }));

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("ReplicaOps: reads", () => {
  it("answers the entry held, or null, with the view digest, and counts each read", () =>
    withOps({}, (s) => {
      s.store.apply("k", value(1));
      expect(s.ops.read("k")).toEqual({ entry: value(1), digest: "view-1" });
      expect(s.ops.read("missing")).toEqual({ entry: null, digest: "view-1" });
      expect(total(s.counters.reads)).toEqual([{ value: 2 }]);
    }));

  it("says it is catching up while it is: its answer counts toward no quorum", () =>
    withOps({}, (s) => {
      s.node.catchingUp = true;
      expect(s.ops.read("k")).toEqual({ entry: null, digest: "view-1", catchingUp: true });
    }));

  it("applies the writes queued for a group commit before it reads", () =>
    withOps({}, async (s) => {
      const first = s.ops.write(keyed("a", value(1)), "client");
      const second = s.ops.write(keyed("b", value(1)), "client");
      // The same millisecond: a burst, so the second write waits for its commit.
      expect(s.store.get("b")).toBeUndefined();
      expect(s.ops.read("b")).toEqual({ entry: value(1), digest: "view-1" });
      expect(await first).toEqual({ applied: true, version: value(1).version, digest: "view-1" });
      expect(await second).toEqual({ applied: true, version: value(1).version, digest: "view-1" });
    }));
});

describe("ReplicaOps: writes", () => {
  it("applies a newer write and answers the version now held, counted as applied", () =>
    withOps({}, async (s) => {
      expect(await s.ops.write(keyed("k", value(2)), "client")).toEqual({ applied: true, version: value(2).version, digest: "view-1" });
      expect(s.store.get("k")).toEqual(value(2));
      expect(total(s.counters.writes)).toEqual([{ outcome: "applied", value: 1 }]);
    }));

  it("answers the newer version it holds for a superseded write, counted as superseded", () =>
    withOps({}, async (s) => {
      s.store.apply("k", value(5, "new"));
      expect(await s.ops.write(keyed("k", value(2, "old")), "client")).toEqual({
        applied: false,
        version: value(5).version,
        digest: "view-1",
      });
      expect(s.store.get("k")).toEqual(value(5, "new"));
      expect(total(s.counters.writes)).toEqual([{ outcome: "superseded", value: 1 }]);
    }));

  it("counts a read repair's write apart from a client's", () =>
    withOps({}, async (s) => {
      await s.ops.write(keyed("a", value(1)), "repair");
      vi.setSystemTime(T0 + 1);
      await s.ops.write(keyed("b", value(1)), "client");
      expect(total(s.counters.repairsReceived)).toEqual([{ value: 1 }]);
      expect(total(s.counters.writes)).toEqual([{ outcome: "applied", value: 2 }]);
    }));

  it("refuses a write as not_member when the node is no member, and stores nothing", () =>
    withOps({}, async (s) => {
      s.node.member = false;
      expect(await s.ops.write(keyed("k", value(1)), "client")).toEqual(NOT_MEMBER);
      expect(s.store.get("k")).toBeUndefined();
    }));

  it("refuses a queued write whose node left while it waited for its commit", () =>
    withOps({}, async (s) => {
      const first = s.ops.write(keyed("a", value(1)), "client");
      const queued = s.ops.write(keyed("b", value(1)), "client");
      s.node.member = false;
      await vi.advanceTimersByTimeAsync(0);
      expect(await first).toMatchObject({ applied: true });
      expect(await queued).toEqual(NOT_MEMBER);
      expect(s.store.get("b")).toBeUndefined();
    }));

  it("refuses a write past the node's bytes as node_full, and keeps what it held", () =>
    withOps({ maxBytes: 200 }, async (s) => {
      expect(await s.ops.write(keyed("k", value(1, "x".repeat(500))), "client")).toMatchObject({ refused: "node_full" });
      expect(s.store.get("k")).toBeUndefined();
      expect(s.store.counts()).toMatchObject({ live: 0, tombstones: 0 });
    }));
});

describe("ReplicaOps: batches", () => {
  it("runs a batch's items in order after the queued writes, with the view's flags", () =>
    withOps({}, async (s) => {
      void s.ops.write(keyed("q", value(1, "queued")), "client");
      void s.ops.write(keyed("r", value(1, "queued")), "client");
      s.node.catchingUp = true;
      const reply = s.ops.batch([
        { op: "read", key: "r" },
        { op: "write", key: "k", entry: value(3) },
        { op: "read", key: "k" },
      ]);
      expect(reply).toEqual({
        results: [{ entry: value(1, "queued") }, { applied: true, version: value(3).version }, { entry: value(3) }],
        digest: "view-1",
        catchingUp: true,
      });
      expect(total(s.counters.reads)).toEqual([{ value: 2 }]);
    }));

  it("fails each write of a batch that reaches a node no longer a member, and still answers its reads", () =>
    withOps({}, (s) => {
      s.store.apply("k", value(1));
      s.node.member = false;
      const reply = s.ops.batch([
        { op: "write", key: "w", entry: value(2) },
        { op: "read", key: "k" },
      ]);
      expect(reply.results).toEqual([{ error: "node-x is not a member of the cluster" }, { entry: value(1) }]);
      expect(s.store.get("w")).toBeUndefined();
    }));
});

describe("ReplicaOps: listing pages", () => {
  it("lists the keys with the prefix after the cursor, tombstones included, and the view digest only", () =>
    withOps({}, (s) => {
      s.store.applyAll([keyed("p-1", value(1)), keyed("p-2", tombstone(1)), keyed("p-3", value(1)), keyed("q-1", value(1))]);
      s.node.catchingUp = true;
      expect(s.ops.list("p-", "p-1", 10)).toEqual({
        entries: [keyed("p-2", tombstone(1)), keyed("p-3", value(1))],
        exhausted: true,
        digest: "view-1",
      });
    }));

  it("stops at `limit` live keys, the page not exhausted", () =>
    withOps({}, (s) => {
      s.store.applyAll([keyed("p-1", value(1)), keyed("p-2", value(1)), keyed("p-3", value(1))]);
      expect(s.ops.list("p-", "", 2)).toEqual({
        entries: [keyed("p-1", value(1)), keyed("p-2", value(1))],
        exhausted: false,
        digest: "view-1",
      });
    }));

  it("reads at most 1,000 rows past the limit: tombstones in the way end the page early", () =>
    withOps({}, (s) => {
      const dead = Array.from({ length: 1_005 }, (_, i) => keyed(`p-${String(i).padStart(4, "0")}`, tombstone(1)));
      s.store.applyAll([...dead, keyed("p-live", value(1))]);
      const page = s.ops.list("p-", "", 1);
      expect(page.entries).toHaveLength(1_001);
      expect(page.entries.at(-1)?.key).toBe("p-1000");
      expect(page.exhausted).toBe(false);
    }));

  it("lists the writes queued for a group commit", () =>
    withOps({}, (s) => {
      void s.ops.write(keyed("p-1", value(1)), "client");
      void s.ops.write(keyed("p-2", value(1)), "client");
      expect(s.ops.list("p-", "", 10).entries.map((e) => e.key)).toEqual(["p-1", "p-2"]);
    }));
});

describe("ReplicaOps: entries from peers", () => {
  it("merges the entries, says how many arrived and how many were newer, and counts a peer's", () =>
    withOps({}, (s) => {
      s.store.apply("a", value(5));
      expect(s.ops.applyEntries([keyed("a", value(1)), keyed("b", value(1))], true)).toEqual({ received: 2, applied: 1 });
      expect(s.received).toEqual([["a", "b"]]);
      expect(s.store.get("a")).toEqual(value(5));
      expect(s.store.get("b")).toEqual(value(1));
    }));

  it("does not count entries the router sent (a repair), only a peer's", () =>
    withOps({}, (s) => {
      expect(s.ops.applyEntries([keyed("a", value(1))], false)).toEqual({ received: 1, applied: 1 });
      expect(s.received).toEqual([]);
    }));

  it("refuses entries past the node's bytes as node_full, applying none of them", () =>
    withOps({ maxBytes: 200 }, (s) => {
      expect(s.ops.applyEntries([keyed("a", value(1)), keyed("b", value(1, "x".repeat(500)))], true)).toMatchObject({
        refused: "node_full",
      });
      expect(s.store.get("a")).toBeUndefined();
      expect(s.received).toEqual([]);
    }));
});

describe("ReplicaOps: hints", () => {
  it("keeps each write for the replica it names, and says how many it holds", () =>
    withOps({}, (s) => {
      expect(s.ops.hint("node-2", [keyed("a", value(1)), keyed("b", value(1))])).toEqual({ held: 2, digest: "view-1" });
      expect(s.hints.page("node-2", "", 10)).toEqual([keyed("a", value(1)), keyed("b", value(1))]);
      expect(s.store.get("a")).toBeUndefined();
    }));

  it("keeps only the writes that fit in the room the node has left", () =>
    withOps({ maxNodeBytes: (size) => size + 200 }, (s) => {
      expect(s.ops.hint("node-2", [keyed("small", value(1)), keyed("big", value(1, "x".repeat(500)))])).toEqual({
        held: 1,
        digest: "view-1",
      });
      expect(s.hints.page("node-2", "", 10)).toEqual([keyed("small", value(1))]);
    }));
});

describe("ReplicaOps: catch-up pages", () => {
  it("serves the hints held for the target after the cursor, with the ring it holds and its age", () =>
    withOps({}, (s) => {
      for (const key of ["a", "b", "c"]) s.hints.add("node-t", key, value(1), 1 << 30);
      s.hints.add("node-u", "z", value(1), 1 << 30);
      expect(s.ops.catchUpPage("node-t", ["node-a", "node-t"], "hints", "a")).toEqual({
        entries: [keyed("b", value(1)), keyed("c", value(1))],
        next: null,
        digest: "ring-1",
        ringAgeMs: 42_000,
      });
    }));

  it("serves hints 256 a page, the next page after the last key of this one", () =>
    withOps({}, (s) => {
      for (let i = 0; i < 300; i++) s.hints.add("node-t", `h-${String(i).padStart(3, "0")}`, value(1), 1 << 30);
      const first = s.ops.catchUpPage("node-t", [], "hints", "");
      expect([first.entries.length, first.next]).toEqual([256, "h-255"]);
      const second = s.ops.catchUpPage("node-t", [], "hints", "h-255");
      expect([second.entries.length, second.entries[0]?.key, second.next]).toEqual([44, "h-256", null]);
    }));

  it("serves the entries whose preference list on the target's ring names the target, tombstones included", () =>
    withOps({}, (s) => {
      s.store.applyAll([keyed("o-1", value(1)), keyed("t-1", value(1)), keyed("t-2", tombstone(2)), keyed("u-1", value(1))]);
      expect(s.ops.catchUpPage("node-t", ["node-a", "node-b", "node-t"], "replicas", "")).toEqual({
        entries: [keyed("t-1", value(1)), keyed("t-2", tombstone(2))],
        next: null,
        digest: "ring-1",
        ringAgeMs: 42_000,
      });
    }));

  it("reads 512 rows of its store a page, whatever it keeps of them: the next page starts after the last row read", () =>
    withOps({}, (s) => {
      const rows = Array.from({ length: 600 }, (_, i) => keyed(`${i % 2 === 0 ? "o" : "t"}-${String(i).padStart(3, "0")}`, value(1)));
      s.store.applyAll(rows);
      // Sorted: the 300 "o-" keys first, then the 300 "t-" keys; the 512th row is t-423.
      const first = s.ops.catchUpPage("node-t", ["node-a", "node-t"], "replicas", "");
      expect([first.entries.length, first.entries[0]?.key, first.entries.at(-1)?.key, first.next]).toEqual([
        212,
        "t-001",
        "t-423",
        "t-423",
      ]);
      const second = s.ops.catchUpPage("node-t", ["node-a", "node-t"], "replicas", "t-423");
      expect([second.entries.length, second.entries[0]?.key, second.next]).toEqual([88, "t-425", null]);
    }));

  it("builds the target's ring once while the same members ask, in whatever order", () =>
    withOps({}, (s) => {
      s.ops.catchUpPage("node-t", ["node-a", "node-t"], "replicas", "");
      s.ops.catchUpPage("node-t", ["node-t", "node-a"], "replicas", "");
      s.ops.catchUpPage("node-t", ["node-a", "node-b", "node-t"], "replicas", "");
      expect(s.built).toEqual(["node-a,node-t", "node-a,node-b,node-t"]);
    }));

  it("serves the writes queued for a group commit", () =>
    withOps({}, (s) => {
      void s.ops.write(keyed("t-1", value(1)), "client");
      void s.ops.write(keyed("t-2", value(1)), "client");
      expect(s.ops.catchUpPage("node-t", ["node-a", "node-t"], "replicas", "").entries.map((e) => e.key)).toEqual(["t-1", "t-2"]);
    }));

  it("refuses a part it does not know as a bad argument", () =>
    withOps({}, (s) => {
      expect(() => s.ops.catchUpPage("node-t", [], "everything" as CatchUpPart, "")).toThrow(BadArgument);
    }));
});

describe("ReplicaOps: a leave's drain", () => {
  /** A drain round that hands off (removes) up to `perRound[i]` rows, naming `failed` as the nodes that did not take theirs. */
  function rounds(s: Setup, perRound: number[], failed: string[][] = []) {
    let round = 0;
    const calls: number[] = [];
    const drainOnce = async () => {
      const drop = perRound[round] ?? 0;
      const keys = s.store.entriesAfter("", drop).map((e) => e.key);
      for (const key of keys) s.store.remove(key);
      calls.push(keys.length);
      return { dropped: keys.length, failed: failed[round++] ?? [] };
    };
    return { drainOnce, calls };
  }

  it("drains nothing when it holds nothing", () =>
    withOps({}, async (s) => {
      const { drainOnce, calls } = rounds(s, [5]);
      expect(await s.ops.drain(drainOnce)).toEqual({ handedOff: 0, remaining: 0, unconfirmed: [] });
      expect(calls).toEqual([]);
    }));

  it("drains again while a round makes progress and rows remain, at most 3 rounds, naming the last round's holdouts", () =>
    withOps({}, async (s) => {
      s.store.applyAll(Array.from({ length: 10 }, (_, i) => keyed(`k-${i}`, value(1))));
      const { drainOnce, calls } = rounds(s, [4, 3, 2, 1], [["node-2"], ["node-3"], ["node-4"]]);
      expect(await s.ops.drain(drainOnce)).toEqual({ handedOff: 9, remaining: 1, unconfirmed: ["node-4"] });
      expect(calls).toEqual([4, 3, 2]);
    }));

  it("stops after a round that handed nothing off", () =>
    withOps({}, async (s) => {
      s.store.applyAll([keyed("a", value(1)), keyed("b", tombstone(1))]);
      const { drainOnce, calls } = rounds(s, [1, 0, 1], [[], ["node-2"]]);
      expect(await s.ops.drain(drainOnce)).toEqual({ handedOff: 1, remaining: 1, unconfirmed: ["node-2"] });
      expect(calls).toEqual([1, 0]);
    }));

  it("stops once nothing remains", () =>
    withOps({}, async (s) => {
      s.store.applyAll([keyed("a", value(1)), keyed("b", value(1))]);
      const { drainOnce, calls } = rounds(s, [2, 2]);
      expect(await s.ops.drain(drainOnce)).toEqual({ handedOff: 2, remaining: 0, unconfirmed: [] });
      expect(calls).toEqual([2]);
    }));

  it("hands off the writes queued for a group commit too", () =>
    withOps({}, async (s) => {
      void s.ops.write(keyed("a", value(1)), "client");
      void s.ops.write(keyed("b", value(1)), "client");
      const { drainOnce, calls } = rounds(s, [10]);
      expect(await s.ops.drain(drainOnce)).toEqual({ handedOff: 2, remaining: 0, unconfirmed: [] });
      expect(calls).toEqual([2]);
    }));
});

describe("ReplicaOps: the store's stats", () => {
  it("counts live keys and tombstones, the rows held, and the group commits", () =>
    withOps({}, async (s) => {
      s.store.applyAll([keyed("a", value(1)), keyed("b", value(1)), keyed("c", tombstone(1))]);
      await s.ops.write(keyed("d", value(1)), "client");
      expect(s.ops.heldRows()).toBe(4);
      expect(s.ops.storeStats()).toMatchObject({
        keys: 3,
        tombstones: 1,
        storage: { rows: 4, bytes: s.store.databaseSize },
        groupCommit: { writes: 1, commits: 1 },
      });
    }));
});
