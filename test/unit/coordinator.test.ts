import { describe, expect, it } from "vitest";
import type { Entry } from "../../shared/entry";
import { NodeCallError } from "../../shared/failure";
import { refusal } from "../../shared/node-api";
import { QuorumError } from "../../shared/quorum";
import type { MemberStatus } from "../../shared/swim";
import { compareVersions, HybridClock, type Version } from "../../shared/version";
import { Coordinator } from "../../worker/coordinator";
import { buildView, type MembershipSource } from "../../worker/membership";
import { flush, manualTimers } from "./support/manual-timers";

/** The coordinator on fake replicas (a map per node) and manual timers: no workerd. */
const KEY = "k";
const at = (wall: number, writer = "w"): Version => ({ wall, logical: 0, writer });
const value = (wall: number, text: string): Entry => ({ kind: "value", value: JSON.stringify(text), version: at(wall) });

function cluster(options: { down?: string[]; notMember?: string[]; readRepairChance?: number } = {}) {
  const timers = manualTimers();
  const members: MemberStatus[] = ["a", "b", "c"].map((name) => ({ name, state: "alive", incarnation: 0 }));
  const view = buildView(members, { virtualNodes: 8, replicas: 3 });
  let refreshes = 0;
  const membership: MembershipSource = {
    view: async (o) => ((refreshes += o?.fresh ? 1 : 0), view),
    observe: () => undefined,
  };
  const held = new Map<string, Entry>();
  const writes: string[] = [];
  const refuse = (node: string): void => {
    if (options.down?.includes(node)) throw NodeCallError.refused(node, refusal("down", `${node} is down`));
    if (options.notMember?.includes(node)) throw NodeCallError.refused(node, refusal("not_member", `${node} is not a member`));
  };
  const coordinator = new Coordinator({
    membership,
    replicas: {
      read: async (node) => (refuse(node), { entry: held.get(node) ?? null, digest: view.digest }),
      write: async (node, _key, entry) => {
        refuse(node);
        writes.push(node);
        const current = held.get(node);
        const applied = current === undefined || compareVersions(entry.version, current.version) > 0;
        if (applied) held.set(node, entry);
        return { applied, version: held.get(node)!.version, digest: view.digest };
      },
      batch: () => Promise.reject(new Error("batches are specified in test/integration/data-path/batch.test.ts")),
    },
    clock: new HybridClock("router", () => 1_000),
    schedule: timers.schedule,
    random: () => 0.5,
    replicaTimeoutMs: 100,
    readRepairChance: options.readRepairChance ?? 1,
  });
  const replicas = view.ring.preferenceList(KEY) as [string, string, string];
  const background: Promise<unknown>[] = [];
  const settleBackground = async () => (await Promise.all(background), await flush());
  return { coordinator, held, writes, replicas, background, settleBackground, refreshes: () => refreshes };
}

describe("Coordinator.read", () => {
  it("repairs a stale replica and a missing one with the newest entry", async () => {
    const c = cluster();
    const [a, b] = c.replicas;
    c.held.set(a, value(5, "new"));
    c.held.set(b, value(3, "old"));
    const { entry } = await c.coordinator.read(KEY, 2, (p) => c.background.push(p));
    expect(entry).toEqual(value(5, "new"));
    await c.settleBackground();
    for (const node of c.replicas) expect(c.held.get(node)).toEqual(value(5, "new"));
    expect(c.writes.sort()).toEqual(c.replicas.filter((n) => n !== a).sort());
  });

  it("never repairs a tombstone away: the older value loses to it everywhere", async () => {
    const c = cluster();
    const [a, b, third] = c.replicas;
    const tombstone: Entry = { kind: "tombstone", version: at(9) };
    c.held.set(a, tombstone);
    c.held.set(b, value(4, "deleted later"));
    c.held.set(third, value(4, "deleted later"));
    const { entry } = await c.coordinator.read(KEY, 2, (p) => c.background.push(p));
    expect(entry).toEqual(tombstone);
    await c.settleBackground();
    for (const node of c.replicas) expect(c.held.get(node)).toEqual(tombstone);
  });
});

describe("Coordinator.write", () => {
  it("fails with the final counts when the quorum cannot be met", async () => {
    const c = cluster({ down: [] });
    const [a, b] = c.replicas;
    const failing = cluster({ down: [a, b] });
    const error = await failing.coordinator.write(KEY, '"v"', 2, () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuorumError);
    expect(error).toMatchObject({ acked: 1, required: 2, replicas: 3 });
    expect((error as QuorumError).failures.map((f) => [f.node, f.kind])).toEqual([
      [a, "down"],
      [b, "down"],
    ]);
    expect(c.writes).toEqual([]);
  });

  it("fetches a fresh view and retries once when a replica says it is no longer a member", async () => {
    const c = cluster({ notMember: [] });
    const [a, b] = c.replicas;
    const stale = cluster({ notMember: [a, b] });
    await expect(stale.coordinator.write(KEY, '"v"', 2, () => undefined)).rejects.toBeInstanceOf(QuorumError);
    expect(stale.refreshes()).toBe(1);
    expect(c.refreshes()).toBe(0);
  });

  it("stamps a superseded write again, newer than what the replica holds", async () => {
    const c = cluster();
    const ahead = value(5_000, "from a router whose clock runs ahead");
    for (const node of c.replicas) c.held.set(node, ahead);
    const result = await c.coordinator.write(KEY, '"mine"', 2, (p) => c.background.push(p));
    expect(result.version.wall).toBeGreaterThanOrEqual(5_000);
    await c.settleBackground();
    for (const node of c.replicas) expect(c.held.get(node)).toMatchObject({ value: '"mine"' });
  });
});
