import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HintHandover } from "../../durable/hint-handover";
import { HintStore } from "../../durable/hints";
import type { Entry } from "../../shared/entry";
import type { LogFields } from "../../shared/log";
import type { MemberStatus } from "../../shared/swim";
import type { KeyedEntry } from "../../shared/wire";

// In workerd rather than Node: the handover works on a HintStore, typed against the
// Workers runtime's SqlStorage (tsconfig.node.json does not declare it). So the hints
// are a real HintStore, in an object of its own (a unique id is no ring member, so
// nothing else runs in it); the replicas it hands them to, and the node's own store it
// absorbs them into, are fakes that record what they were given.

const entry = (wall: number, text = "v"): Entry => ({
  kind: "value",
  value: JSON.stringify(text),
  version: { wall, logical: 0, writer: "w" },
});
const ROOM = 1 << 30;
const RING = ["node-1", "node-2", "node-3", "node-4"];

const member = (name: string, state: MemberStatus["state"]): MemberStatus => ({ name, state, incarnation: 0 });

/** Keys `prefix-0000` ... in key order, `count` of them. */
const keys = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}`);

interface Options {
  /** Whether the replica's call number `n` (from 1, per replica) fails. */
  readonly fails?: (target: string, n: number) => boolean;
  /** Runs inside each call, before it answers (a write that arrives meanwhile, in `hints`). */
  readonly during?: (target: string, entries: readonly KeyedEntry[], hints: HintStore) => void | Promise<void>;
  /** Whether this node's store has no room for what it is asked to absorb. */
  readonly full?: (entries: readonly KeyedEntry[]) => boolean;
}

interface Setup {
  readonly hints: HintStore;
  readonly handover: HintHandover;
  /** Each call to a replica, as `target: first key .. last key (count)`, in the order made. */
  readonly calls: string[];
  /** What each replica was handed. */
  readonly handed: Map<string, string[]>;
  /** What this node took into its own store. */
  readonly absorbed: string[];
  /** How often the node was told it absorbed hints. */
  readonly told: { count: number };
  readonly logged: ({ event: string } & LogFields)[];
  /** Keeps `keys` for `target`, each at `wall`. */
  readonly hold: (target: string, keys: readonly string[], wall?: number) => void;
  readonly held: (target: string) => number;
}

/** Each case in an object of its own, with a fresh hint table. */
function withHints(options: Options, body: (setup: Setup) => Promise<void>): Promise<void> {
  return runInDurableObject(env.RING_NODE.get(env.RING_NODE.newUniqueId()), async (_instance, state) => {
    const hints = new HintStore(state.storage.sql);
    const calls: string[] = [];
    const handed = new Map<string, string[]>();
    const absorbed: string[] = [];
    const told = { count: 0 };
    const logged: ({ event: string } & LogFields)[] = [];
    const made = new Map<string, number>();
    const handover = new HintHandover({
      hints,
      transport: {
        applyEntries: async (target, entries) => {
          const n = (made.get(target) ?? 0) + 1;
          made.set(target, n);
          calls.push(`${target}: ${entries[0]?.key} .. ${entries.at(-1)?.key} (${entries.length})`);
          await options.during?.(target, entries, hints);
          if (options.fails?.(target, n)) throw new Error(`${target} unreachable`);
          handed.set(target, [...(handed.get(target) ?? []), ...entries.map((e) => e.key)]);
          return { received: entries.length, applied: entries.length };
        },
      },
      absorb: (entries) => {
        if (options.full?.(entries)) throw new Error("node full");
        absorbed.push(...entries.map((e) => e.key));
      },
      logger: { log: (_level, event, fields = {}) => logged.push({ event, ...fields }) },
      absorbed: () => told.count++,
    });
    const hold = (target: string, held: readonly string[], wall = 1) => {
      for (const key of held) expect(hints.add(target, key, entry(wall), ROOM)).toBe(true);
    };
    const held = (target: string) => hints.byTarget().get(target)?.entries ?? 0;
    await body({ hints, handover, calls, handed, absorbed, told, logged, hold, held });
  });
}

describe("HintHandover: which hints go to whom", () => {
  it("hands a replica that is back (alive or suspect) its hints, and deletes them once it took them", () =>
    withHints({}, async (s) => {
      s.hold("node-2", ["a", "b"]);
      s.hold("node-3", ["c"]);
      await s.handover.handOver(RING, [member("node-2", "alive"), member("node-3", "suspect")]);
      expect(Object.fromEntries(s.handed)).toEqual({ "node-2": ["a", "b"], "node-3": ["c"] });
      expect(s.hints.byTarget().size).toBe(0);
      expect(s.absorbed).toEqual([]);
      expect(s.told.count).toBe(0);
    }));

  it("keeps the hints of a replica held dead within its grace (on the ring), or of one not in the view, uncalled", () =>
    withHints({}, async (s) => {
      s.hold("node-2", ["a"]);
      s.hold("node-4", ["b"]);
      await s.handover.handOver(RING, [member("node-2", "dead")]);
      expect(s.calls).toEqual([]);
      expect([s.held("node-2"), s.held("node-4")]).toEqual([1, 1]);
      expect(s.absorbed).toEqual([]);
    }));

  it("takes the hints of a replica off the ring (its grace ended, or it left) into this node's store, and says so once", () =>
    withHints({}, async (s) => {
      s.hold("node-8", ["a", "b"]);
      s.hold("node-9", ["c"]);
      await s.handover.handOver(RING, [member("node-8", "dead"), member("node-9", "left")]);
      expect(s.calls).toEqual([]);
      expect(s.absorbed.sort()).toEqual(["a", "b", "c"]);
      expect(s.hints.byTarget().size).toBe(0);
      expect(s.told.count).toBe(1);
    }));

  it("goes by the ring, not the view: a replica off the ring is absorbed even while the view holds it alive", () =>
    withHints({}, async (s) => {
      s.hold("node-9", ["a"]);
      await s.handover.handOver(RING, [member("node-9", "alive")]);
      expect(s.calls).toEqual([]);
      expect(s.absorbed).toEqual(["a"]);
    }));

  it("does nothing, and says nothing, when it holds no hints", () =>
    withHints({}, async (s) => {
      await s.handover.handOver(RING, [member("node-2", "alive")]);
      expect(s.calls).toEqual([]);
      expect(s.told.count).toBe(0);
    }));
});

describe("HintHandover: pages and failures", () => {
  it("hands a replica 4 pages of 256 hints a period, in key order, and the rest the next period", () =>
    withHints({}, async (s) => {
      const all = keys("k", 1100);
      s.hold("node-2", all);
      const back = [member("node-2", "alive")];
      await s.handover.handOver(RING, back);
      expect(s.calls).toEqual([
        "node-2: k-0000 .. k-0255 (256)",
        "node-2: k-0256 .. k-0511 (256)",
        "node-2: k-0512 .. k-0767 (256)",
        "node-2: k-0768 .. k-1023 (256)",
      ]);
      expect(s.held("node-2")).toBe(76);
      await s.handover.handOver(RING, back);
      expect(s.calls.slice(4)).toEqual(["node-2: k-1024 .. k-1099 (76)"]);
      expect(s.handed.get("node-2")).toEqual(all);
      expect(s.held("node-2")).toBe(0);
    }));

  it("loses none when a call fails: that page and the ones after it stay for the next period, the pages taken are gone", () =>
    withHints({ fails: (target, n) => target === "node-2" && n === 2 }, async (s) => {
      const all = keys("k", 600);
      s.hold("node-2", all);
      await s.handover.handOver(RING, [member("node-2", "alive")]);
      expect(s.calls).toEqual(["node-2: k-0000 .. k-0255 (256)", "node-2: k-0256 .. k-0511 (256)"]);
      expect(s.held("node-2")).toBe(600 - 256);
      expect(s.hints.page("node-2", "", 1)).toEqual([{ key: "k-0256", entry: entry(1) }]);
      await s.handover.handOver(RING, [member("node-2", "alive")]);
      expect(s.handed.get("node-2")).toEqual(all);
      expect(s.held("node-2")).toBe(0);
    }));

  it("hands the other replicas theirs when one's call fails, and absorbs the hints off the ring all the same", () =>
    withHints({ fails: (target) => target === "node-2" }, async (s) => {
      s.hold("node-2", ["a"]);
      s.hold("node-3", ["b"]);
      s.hold("node-9", ["c"]);
      await s.handover.handOver(RING, [member("node-2", "alive"), member("node-3", "alive")]);
      expect(Object.fromEntries(s.handed)).toEqual({ "node-3": ["b"] });
      expect(s.absorbed).toEqual(["c"]);
      expect([s.held("node-2"), s.held("node-3"), s.held("node-9")]).toEqual([1, 0, 0]);
    }));

  it("calls the replicas side by side: one slow to answer does not hold the others' handover", () => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    return withHints(
      {
        during: async (target) => {
          seen.push(`${target} called`);
          if (target === "node-3") return slow;
          // node-2 answers once a turn has passed, and lets node-3 answer then.
          await Promise.resolve();
          seen.push("node-2 answers");
          release();
        },
      },
      async (s) => {
        s.hold("node-2", ["a"]);
        s.hold("node-3", ["b"]);
        await s.handover.handOver(RING, [member("node-2", "alive"), member("node-3", "alive")]);
        expect(seen).toEqual(["node-2 called", "node-3 called", "node-2 answers"]);
        expect(s.hints.byTarget().size).toBe(0);
      },
    );
  });

  it("keeps a hint overwritten by a newer write while its page was on its way, and hands that one next", () =>
    withHints(
      {
        during: (target, entries, hints) => {
          if (entries.some((e) => e.key === "b" && e.entry.version.wall === 1)) hints.add(target, "b", entry(5, "newer"), ROOM);
        },
      },
      async (s) => {
        s.hold("node-2", ["a", "b"]);
        await s.handover.handOver(RING, [member("node-2", "alive")]);
        expect(s.hints.page("node-2", "", 10)).toEqual([{ key: "b", entry: entry(5, "newer") }]);
        await s.handover.handOver(RING, [member("node-2", "alive")]);
        expect(s.handed.get("node-2")).toEqual(["a", "b", "b"]);
        expect(s.held("node-2")).toBe(0);
      },
    ));
});

describe("HintHandover: absorbing", () => {
  it("absorbs at most 4 pages per replica in a period, the rest the next", () =>
    withHints({}, async (s) => {
      s.hold("node-9", keys("k", 1100));
      await s.handover.handOver(RING, []);
      expect(s.absorbed).toHaveLength(1024);
      expect(s.held("node-9")).toBe(76);
      await s.handover.handOver(RING, []);
      expect(s.absorbed).toEqual(keys("k", 1100));
      expect(s.told.count).toBe(2);
    }));

  it("absorbs every page of the replicas it picks when asked directly (a leave), and says how many moved", () =>
    withHints({}, async (s) => {
      s.hold("node-2", keys("k", 1100));
      s.hold("node-3", ["x"]);
      expect(s.handover.absorb((target) => target === "node-2")).toBe(1100);
      expect([s.held("node-2"), s.held("node-3")]).toEqual([0, 1]);
      expect(s.told.count).toBe(0);
    }));

  it("keeps the hints of a replica that do not fit in this node's store, logs it, and goes on with the others", () =>
    withHints({ full: (entries) => entries.some((e) => e.key.startsWith("big")) }, async (s) => {
      s.hold("node-8", ["big-1", "big-2"]);
      s.hold("node-9", ["small"]);
      expect(s.handover.absorb(() => true)).toBe(1);
      expect(s.absorbed).toEqual(["small"]);
      expect([s.held("node-8"), s.held("node-9")]).toEqual([2, 0]);
      expect(s.logged).toEqual([{ event: "hints_not_absorbed", target: "node-8", error: new Error("node full") }]);
    }));

  it("says nothing was absorbed when nothing fit", () =>
    withHints({ full: () => true }, async (s) => {
      s.hold("node-9", ["a"]);
      await s.handover.handOver(RING, []);
      expect(s.held("node-9")).toBe(1);
      expect(s.told.count).toBe(0);
    }));
});
