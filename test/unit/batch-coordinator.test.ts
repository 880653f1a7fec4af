import { describe, expect, it } from "vitest";
import { NodeCallError } from "../../shared/failure";
import { refusal } from "../../shared/node-api";
import type { MemberStatus } from "../../shared/swim";
import { HybridClock } from "../../shared/version";
import type { BatchItem } from "../../shared/wire";
import { coordinateBatch, type BatchOp } from "../../worker/batch-coordinator";
import { buildView, type MembershipSource } from "../../worker/membership";
import { manualTimers } from "./support/manual-timers";

/** coordinateBatch on fake replicas and manual timers: which writes are hinted, and to whom. */
interface Options {
  readonly dead?: readonly string[];
  /** Nodes whose batch call is refused as down (alive in the view, the fault switch's `down`). */
  readonly down?: readonly string[];
  /** Nodes whose batch call is refused as no longer members: such a node will never take the write. */
  readonly notMember?: readonly string[];
}

const NAMES = ["a", "b", "c", "d", "e"];

function cluster(options: Options = {}) {
  const members: MemberStatus[] = NAMES.map((name) => ({ name, state: options.dead?.includes(name) ? "dead" : "alive", incarnation: 0 }));
  const view = buildView(members, { virtualNodes: 8, replicas: 3 }, undefined, NAMES);
  const membership: MembershipSource = { view: async () => view, observe: () => undefined };
  const hints: { holder: string; target: string; key: string }[] = [];
  const called: string[] = [];
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
        return { results: items.map((item) => (item.op === "read" ? { entry: null } : { applied: true, version })), digest: view.digest };
      },
      hint: async (holder: string, target: string, key: string) => (
        hints.push({ holder, target, key }),
        { held: true, digest: view.digest }
      ),
    },
    clock: new HybridClock("router", () => 1_000),
    schedule: manualTimers().schedule,
    random: () => 0.5,
    replicaTimeoutMs: 100,
    readRepairChance: 0,
  };
  const background: Promise<unknown>[] = [];
  const run = async (ops: readonly BatchOp[]) => {
    const outcomes = await coordinateBatch(deps, ops, { r: 2, w: 2 }, (work) => background.push(work));
    await Promise.all(background);
    return outcomes;
  };
  return { view, hints, called, run, homes: (key: string) => view.ring.preferenceList(key) };
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
});
