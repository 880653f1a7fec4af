import { describe, expect, it } from "vitest";
import { NodeCallError } from "../../shared/failure";
import { refusal } from "../../shared/node-api";
import type { MemberStatus } from "../../shared/swim";
import { compareVersions, HybridClock, type Version } from "../../shared/version";
import type { BatchItem, BatchReply, KeyedEntry } from "../../shared/wire";
import { coordinateBatch, rerunOf, type Attempted, type BatchOp } from "../../worker/batch-coordinator";
import { buildView, type MembershipSource } from "../../worker/membership";
import { deferred, flush, manualTimers } from "./support/manual-timers";

/** coordinateBatch on fake replicas and manual timers: which writes are hinted, and to whom. */
interface Options {
  readonly dead?: readonly string[];
  /** Nodes whose batch call is refused as down (alive in the view, the fault switch's `down`). */
  readonly down?: readonly string[];
  /** Nodes whose batch call is refused as no longer members: such a node will never take the write. */
  readonly notMember?: readonly string[];
  /** Nodes whose batch call answers only when the test settles it (`pending`). */
  readonly slow?: readonly string[];
  /** Hint calls that never settle. */
  readonly hintsHang?: boolean;
  /** Nodes that, on their first batch call, answer each write as superseded: they hold a newer version. */
  readonly newer?: readonly string[];
}

/** The version a `newer` node says it holds: stamped by a coordinator whose clock ran far ahead. */
const AHEAD = { wall: 9_000_000, logical: 0, writer: "ahead" };

const NAMES = ["a", "b", "c", "d", "e"];

function cluster(options: Options = {}) {
  const members: MemberStatus[] = NAMES.map((name) => ({ name, state: options.dead?.includes(name) ? "dead" : "alive", incarnation: 0 }));
  const view = buildView(members, { virtualNodes: 8, replicas: 3 }, undefined, NAMES);
  const freshViews: number[] = [];
  const membership: MembershipSource = {
    view: async (options) => {
      if (options?.fresh === true) freshViews.push(1);
      return view;
    },
    observe: () => undefined,
  };
  /** Every item each node was sent, call by call. */
  const sent: { node: string; items: readonly BatchItem[] }[] = [];
  const hints: { holder: string; target: string; key: string }[] = [];
  /** Hint calls made: one per holder and failed replica, each with the writes it carries. */
  const hintCalls: { holder: string; target: string; keys: string[] }[] = [];
  const called: string[] = [];
  const timers = manualTimers();
  const pending = new Map<string, ReturnType<typeof deferred<BatchReply>>>();
  const deps = {
    membership,
    replicas: {
      read: () => Promise.reject(new Error("not used")),
      write: () => Promise.reject(new Error("not used")),
      batch: async (node: string, items: readonly BatchItem[]) => {
        const first = !called.includes(node);
        called.push(node);
        sent.push({ node, items });
        if (options.down?.includes(node)) throw NodeCallError.refused(node, refusal("down", `${node} is down`));
        if (options.notMember?.includes(node)) throw NodeCallError.refused(node, refusal("not_member", `${node} is not a member`));
        const ahead = first && options.newer?.includes(node) === true;
        const reply: BatchReply = {
          results: items.map((item) => {
            if (item.op === "read") return { entry: null };
            return ahead ? { applied: false, version: AHEAD } : { applied: true, version: item.entry.version };
          }),
          digest: view.digest,
        };
        if (!options.slow?.includes(node)) return reply;
        const later = deferred<BatchReply>();
        pending.set(node, later);
        return later.promise.then(() => reply);
      },
      hint: (holder: string, target: string, writes: readonly KeyedEntry[]) => {
        for (const { key } of writes) hints.push({ holder, target, key });
        hintCalls.push({ holder, target, keys: writes.map((w) => w.key) });
        return options.hintsHang ? new Promise<never>(() => undefined) : Promise.resolve({ held: writes.length, digest: view.digest });
      },
    },
    clock: new HybridClock("router", () => 1_000),
    schedule: timers.schedule,
    random: () => 0.5,
    replicaTimeoutMs: 100,
    readRepairChance: 0,
  };
  const background: Promise<unknown>[] = [];
  /** The batch's answer, without waiting for its background work. */
  const start = (ops: readonly BatchOp[]) => coordinateBatch(deps, ops, { r: 2, w: 2 }, (work) => background.push(work));
  const run = async (ops: readonly BatchOp[]) => {
    const outcomes = await start(ops);
    await Promise.all(background);
    return outcomes;
  };
  return {
    view,
    freshViews,
    sent,
    hints,
    hintCalls,
    called,
    timers,
    pending,
    background,
    start,
    run,
    homes: (key: string) => view.ring.preferenceList(key),
  };
}

/** Keys with `node` among their home replicas, and keys without it. */
function keysFor(c: ReturnType<typeof cluster>, node: string, n: number) {
  const all = Array.from({ length: 200 }, (_, i) => `key-${i}`);
  return {
    homed: all.filter((k) => c.homes(k).includes(node)).slice(0, n),
    other: all.filter((k) => !c.homes(k).includes(node)).slice(0, n),
  };
}

describe("coordinateBatch: hints", () => {
  it("hands each write for a dead home replica to a fallback holder off the key's preference list, and does not call the dead node", async () => {
    const c = cluster({ dead: ["a"] });
    const { homed, other } = keysFor(c, "a", 3);
    const outcomes = await c.run([...homed, ...other].map((key) => ({ op: "put", key, value: '"v"' })));
    // W=2 is met by the two live home replicas of every key.
    expect(outcomes.every((o) => "version" in o && o.acked === 2)).toBe(true);
    expect(c.called).not.toContain("a");
    expect(c.hints.map((h) => h.key).sort()).toEqual([...homed].sort());
    for (const h of c.hints) {
      expect(h.target).toBe("a");
      expect(c.homes(h.key)).not.toContain(h.holder);
    }
  });

  it("hints the writes of a call refused as down, deletes included, but not its reads", async () => {
    const c = cluster({ down: ["b"] });
    const { homed } = keysFor(c, "b", 2);
    const [put, del] = homed as [string, string];
    await c.run([
      { op: "put", key: put, value: '"v"' },
      { op: "delete", key: del },
      { op: "get", key: put },
    ]);
    expect(c.hints.map((h) => [h.key, h.target]).sort()).toEqual(
      [
        [put, "b"],
        [del, "b"],
      ].sort(),
    );
  });

  it("does not hint a write a replica refused for membership: that node will never take it", async () => {
    const c = cluster({ notMember: ["c"] });
    const { homed } = keysFor(c, "c", 2);
    await c.run(homed.map((key) => ({ op: "put", key, value: '"v"' })));
    expect(c.hints).toEqual([]);
  });

  it("makes no hint when every replica answers", async () => {
    const c = cluster();
    await c.run(Array.from({ length: 10 }, (_, i) => ({ op: "put" as const, key: `key-${i}`, value: '"v"' })));
    expect(c.hints).toEqual([]);
  });

  it("gives two failed home replicas of one key a holder each", async () => {
    const c = cluster({ dead: ["a"], down: ["b"] });
    const key = Array.from({ length: 200 }, (_, i) => `key-${i}`).find((k) => ["a", "b"].every((n) => c.homes(k).includes(n)))!;
    await c.run([{ op: "put", key, value: '"v"' }]);
    expect(c.hints.map((h) => h.target).sort()).toEqual(["a", "b"]);
    expect(new Set(c.hints.map((h) => h.holder)).size).toBe(2);
  });

  it("sends a dead replica's writes in one hint call per holder, not one per write", async () => {
    const c = cluster({ dead: ["a"] });
    const { homed } = keysFor(c, "a", 40);
    await c.run(homed.map((key) => ({ op: "put", key, value: '"v"' })));
    expect(c.hints.map((h) => h.key).sort()).toEqual([...homed].sort());
    const holders = new Set(c.hints.map((h) => h.holder));
    // With 5 members, a write for `a` falls back to one of the 2 nodes off its preference list: at most 4 holders.
    expect(c.hintCalls).toHaveLength(holders.size);
    expect(c.hintCalls.length).toBeLessThanOrEqual(4);
    expect(c.hintCalls.every((call) => call.target === "a")).toBe(true);
  });

  it("answers without waiting for its hints", async () => {
    const c = cluster({ dead: ["a"], hintsHang: true });
    const { homed } = keysFor(c, "a", 2);
    const outcomes = await c.start(homed.map((key) => ({ op: "put", key, value: '"v"' })));
    expect(outcomes.every((o) => "version" in o)).toBe(true);
    await flush();
    expect(c.hints).toHaveLength(2);
  });

  it("does not hint a call that only outlived the replica timeout, and hints it once the call itself fails", async () => {
    const c = cluster({ slow: ["d"] });
    const { homed } = keysFor(c, "d", 2);
    const [late, lost] = homed as [string, string];
    // Two batches, so the test can let one late call land and fail the other.
    const first = c.start([{ op: "put", key: late, value: '"v"' }]);
    await flush();
    const landing = c.pending.get("d")!;
    const second = c.start([{ op: "put", key: lost, value: '"v"' }]);
    await flush();
    const failing = c.pending.get("d")!;
    await c.timers.advance(100);
    // Both answered by the other two replicas once d's share passed the replica timeout.
    expect((await first).every((o) => "version" in o && o.acked === 2)).toBe(true);
    expect((await second).every((o) => "version" in o && o.acked === 2)).toBe(true);
    expect(c.hints).toEqual([]);
    landing.resolve(undefined as never);
    failing.reject(new NodeCallError("d", { kind: "timeout", message: "timed out after 300 ms" }));
    await Promise.all(c.background);
    expect(c.hints.map((h) => [h.key, h.target])).toEqual([[lost, "d"]]);
  });
});

describe("coordinateBatch: a second run, as a single write's", () => {
  it("stamps a write a replica says is superseded again, newer than what it holds, and sends it once more", async () => {
    const c = cluster({ newer: ["a"] });
    const { homed } = keysFor(c, "a", 1);
    const key = homed[0]!;
    const [outcome] = await c.run([{ op: "delete", key }]);
    // Answered with the second stamp, which the replicas applied: not a 200 for a delete that lost to a newer value.
    expect(outcome).toMatchObject({ op: "delete", acked: 2 });
    expect(compareVersions((outcome as { version: Version }).version, AHEAD)).toBeGreaterThan(0);
    expect(c.sent.filter((s) => s.node === "a")).toHaveLength(2);
  });

  it("runs every operation on an affected key again, in batch order, and leaves the other keys' alone", async () => {
    const c = cluster({ newer: ["a"] });
    const { homed, other } = keysFor(c, "a", 1);
    const [key, untouched] = [homed[0]!, other[0]!];
    const outcomes = await c.run([
      { op: "put", key, value: '"1"' },
      { op: "put", key: untouched, value: '"x"' },
      { op: "put", key, value: '"2"' },
    ]);
    const versions = outcomes.map((o) => (o as { version: Version }).version);
    expect(compareVersions(versions[2]!, versions[0]!)).toBeGreaterThan(0);
    expect(compareVersions(versions[0]!, AHEAD)).toBeGreaterThan(0);
    const second = c.sent.filter((s) => s.node === "a")[1]!;
    expect(second.items.map((i) => i.key)).toEqual([key, key]);
    // The untouched key was sent once to each of its replicas.
    expect(c.sent.filter((s) => s.items.some((i) => i.key === untouched))).toHaveLength(3);
  });

  it("runs an operation that missed its quorum for a node no longer a member once more, on a fresh view", async () => {
    const c = cluster({ notMember: ["c"], down: ["d"] });
    const key = Array.from({ length: 200 }, (_, i) => `key-${i}`).find((k) => ["c", "d"].every((n) => c.homes(k).includes(n)))!;
    const [outcome] = await c.run([{ op: "put", key, value: '"v"' }]);
    expect(c.freshViews).toHaveLength(1);
    expect(c.sent.filter((s) => s.node === "c")).toHaveLength(2);
    // The fake's view never changes, so the second run misses its quorum too, and says so.
    expect(outcome).toHaveProperty("error");
  });

  it("waits past the replica timeout for a slow replica's writes, as a single write does, but not for ever", async () => {
    const c = cluster({ down: ["b"], slow: ["d"] });
    const key = Array.from({ length: 200 }, (_, i) => `key-${i}`).find((k) => ["b", "d"].every((n) => c.homes(k).includes(n)))!;
    const answer = c.start([{ op: "put", key, value: '"v"' }]);
    let done = false;
    void answer.then(() => (done = true));
    await flush();
    await c.timers.advance(250);
    expect(done).toBe(false);
    c.pending.get("d")!.resolve(undefined as never);
    expect(await answer).toEqual([expect.objectContaining({ op: "put", acked: 2 })]);

    const stuck = cluster({ down: ["b"], slow: ["d"] });
    const late = stuck.start([{ op: "put", key, value: '"v"' }]);
    await flush();
    await stuck.timers.advance(300);
    expect((await late)[0]).toHaveProperty("error");
  });
});

describe("rerunOf: which operations a second run takes", () => {
  const done = { outcome: { op: "get", entry: undefined } } as Attempted;
  const retry = (why: "superseded" | "not_member") => ({ ...done, retry: why }) as Attempted;
  const get = (key: string): BatchOp => ({ op: "get", key });
  const put = (key: string): BatchOp => ({ op: "put", key, value: '"v"' });

  it("takes a key's operations from the first that needs it on, and no other key's", () => {
    expect(rerunOf([put("a"), get("a"), put("b")], [retry("superseded"), done, done])).toEqual([0, 1]);
    expect(rerunOf([get("a"), put("a")], [done, retry("superseded")])).toEqual([1]);
    expect(rerunOf([put("a"), put("b")], [done, done])).toEqual([]);
  });

  it("leaves out a read with a later write of its key: run again, it could read that write", () => {
    expect(rerunOf([get("a"), put("a")], [retry("not_member"), retry("not_member")])).toEqual([1]);
    // Left out, the read starts nothing: its key's acknowledged write is not sent again.
    expect(rerunOf([get("a"), put("a")], [retry("not_member"), done])).toEqual([]);
    expect(rerunOf([put("a"), get("a"), put("a")], [done, retry("not_member"), done])).toEqual([]);
    expect(rerunOf([put("a"), put("b"), get("a"), put("a")], [retry("superseded"), done, done, done])).toEqual([0, 3]);
  });
});
