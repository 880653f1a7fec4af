import { describe, expect, it } from "vitest";
import { NodeCallError } from "../../shared/failure";
import { refusal } from "../../shared/node-api";
import type { MemberStatus } from "../../shared/swim";
import { HybridClock } from "../../shared/version";
import type { BatchItem, BatchReply, KeyedEntry } from "../../shared/wire";
import { coordinateBatch, type BatchOp } from "../../worker/batch-coordinator";
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
}

const NAMES = ["a", "b", "c", "d", "e"];

function cluster(options: Options = {}) {
  const members: MemberStatus[] = NAMES.map((name) => ({ name, state: options.dead?.includes(name) ? "dead" : "alive", incarnation: 0 }));
  const view = buildView(members, { virtualNodes: 8, replicas: 3 }, undefined, NAMES);
  const membership: MembershipSource = { view: async () => view, observe: () => undefined };
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
        called.push(node);
        if (options.down?.includes(node)) throw NodeCallError.refused(node, refusal("down", `${node} is down`));
        if (options.notMember?.includes(node)) throw NodeCallError.refused(node, refusal("not_member", `${node} is not a member`));
        const version = { wall: 1, logical: 0, writer: "r" };
        const reply: BatchReply = {
          results: items.map((item) => (item.op === "read" ? { entry: null } : { applied: true, version })),
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
  return { view, hints, hintCalls, called, timers, pending, background, start, run, homes: (key: string) => view.ring.preferenceList(key) };
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
