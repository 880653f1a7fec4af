import { describe, expect, it } from "vitest";
import type { Entry } from "../../shared/entry";
import { NodeCallError } from "../../shared/failure";
import { refusal } from "../../shared/node-api";
import { QuorumError } from "../../shared/quorum";
import type { MemberStatus } from "../../shared/swim";
import { compareVersions, HybridClock, type Version } from "../../shared/version";
import { CatchingUpNodes } from "../../worker/catching-up";
import { Coordinator } from "../../worker/coordinator";
import { buildView, type MembershipSource } from "../../worker/membership";
import { flush, manualTimers } from "./support/manual-timers";

/** The coordinator on fake replicas (a map per node) and manual timers: no workerd. */
const KEY = "k";
const at = (wall: number, writer = "w"): Version => ({ wall, logical: 0, writer });
const value = (wall: number, text: string): Entry => ({ kind: "value", value: JSON.stringify(text), version: at(wall) });

interface ClusterOptions {
  /** Members of the ring: a, b, c unless given. */
  names?: string[];
  /** Members the view holds as dead (still on the ring: the grace). */
  dead?: string[];
  /** Replicas that answer as catching up. */
  catchingUp?: string[];
  down?: string[];
  notMember?: string[];
  /** Replicas whose reads never answer. */
  hung?: string[];
  readRepairChance?: number;
}

function cluster(options: ClusterOptions = {}) {
  const timers = manualTimers();
  const names = options.names ?? ["a", "b", "c"];
  const members: MemberStatus[] = names.map((name) => ({ name, state: options.dead?.includes(name) ? "dead" : "alive", incarnation: 0 }));
  const view = buildView(members, { virtualNodes: 8, replicas: 3 }, undefined, names);
  let refreshes = 0;
  const membership: MembershipSource = {
    view: async (o) => ((refreshes += o?.fresh ? 1 : 0), view),
    observe: () => undefined,
  };
  const held = new Map<string, Entry>();
  const writes: string[] = [];
  const reads: string[] = [];
  const hints: [holder: string, target: string][] = [];
  const flags = (node: string) =>
    options.catchingUp?.includes(node) ? { digest: view.digest, catchingUp: true as const } : { digest: view.digest };
  const origins: (string | undefined)[] = [];
  const repaired: number[] = [];
  const readFailures: [node: string, kind: string][] = [];
  const refuse = (node: string): void => {
    if (options.down?.includes(node)) throw NodeCallError.refused(node, refusal("down", `${node} is down`));
    if (options.notMember?.includes(node)) throw NodeCallError.refused(node, refusal("not_member", `${node} is not a member`));
  };
  const coordinator = new Coordinator({
    membership,
    replicas: {
      read: async (node) => {
        refuse(node);
        reads.push(node);
        if (options.hung?.includes(node)) return new Promise<never>(() => undefined);
        return { entry: held.get(node) ?? null, ...flags(node) };
      },
      write: async (node, _key, entry, origin) => {
        refuse(node);
        writes.push(node);
        origins.push(origin);
        const current = held.get(node);
        const applied = current === undefined || compareVersions(entry.version, current.version) > 0;
        if (applied) held.set(node, entry);
        return { applied, version: held.get(node)!.version, ...flags(node) };
      },
      batch: () => Promise.reject(new Error("batches are specified in test/integration/data-path/batch.test.ts")),
      hint: async (holder, target) => (hints.push([holder, target]), { held: 1, digest: view.digest }),
    },
    clock: new HybridClock("router", () => 1_000),
    schedule: timers.schedule,
    random: () => 0.5,
    replicaTimeoutMs: 100,
    readRepairChance: options.readRepairChance ?? 1,
    catchingUp: new CatchingUpNodes(() => 1_000),
    observer: {
      speculated: () => undefined,
      repaired: (n) => repaired.push(n),
      readFailed: (node, kind) => readFailures.push([node, kind]),
    },
  });
  const replicas = view.ring.preferenceList(KEY) as [string, string, string];
  // The first member past the preference list, clockwise: where a hint for a down replica goes.
  const fallbacks = view.ring.successors(KEY, names.length).slice(3);
  const background: Promise<unknown>[] = [];
  const settleBackground = async () => (await Promise.all(background), await flush());
  return {
    fallbacks,
    coordinator,
    view,
    held,
    writes,
    reads,
    hints,
    origins,
    repaired,
    readFailures,
    replicas,
    background,
    timers,
    settleBackground,
    refreshes: () => refreshes,
  };
}

describe("Coordinator.read", () => {
  it("times out a replica whose read never answers by the gather's deadline alone, repairs the others and tells the failure", async () => {
    const [a, b, hung] = cluster().replicas;
    const stuck = cluster({ hung: [hung] });
    stuck.held.set(a, value(5, "new"));
    stuck.held.set(b, value(3, "old"));
    const { entry, acked } = await stuck.coordinator.read(KEY, 2, (p) => stuck.background.push(p));
    expect({ entry, acked }).toEqual({ entry: value(5, "new"), acked: 2 });
    expect(stuck.readFailures).toEqual([]);
    // The background (read repair) waits for the hung replica until the replica timeout, then finishes.
    await stuck.timers.advance(100);
    await stuck.settleBackground();
    expect(stuck.readFailures).toEqual([[hung, "timeout"]]);
    expect(stuck.held.get(b)).toEqual(value(5, "new"));
    expect(stuck.timers.armed()).toEqual([]);
  });

  it("does not count a replica that answers as catching up as a failed read", async () => {
    const probe = cluster();
    const c = cluster({ catchingUp: [probe.replicas[0]] });
    await c.coordinator.read(KEY, 2, (p) => c.background.push(p));
    await c.settleBackground();
    expect(c.readFailures).toEqual([]);
  });

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
    // Sent as repairs, and counted once per stale replica.
    expect(c.origins).toEqual(["repair", "repair"]);
    expect(c.repaired).toEqual([2]);
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

describe("a dead replica (on the ring for its grace)", () => {
  const FIVE = ["a", "b", "c", "d", "e"];
  const homeOf = () => cluster({ names: FIVE }).replicas;

  it("is not written: its write goes to a hint on the next node, and W counts the others", async () => {
    const [first] = homeOf();
    const c = cluster({ names: FIVE, dead: [first] });
    const result = await c.coordinator.write(KEY, '"v"', 2, (p) => c.background.push(p));
    await c.settleBackground();
    expect(result.acked).toBe(2);
    expect(c.writes.sort()).toEqual(c.replicas.filter((n) => n !== first).sort());
    expect(c.hints).toEqual([[c.fallbacks[0], first]]);
  });

  it("makes w=all fail, saying how many home replicas acknowledged: a hint is no acknowledgement", async () => {
    const [first] = homeOf();
    const c = cluster({ names: FIVE, dead: [first] });
    const error = await c.coordinator.write(KEY, '"v"', 3, (p) => c.background.push(p)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuorumError);
    expect(error).toMatchObject({ acked: 2, required: 3, replicas: 3 });
    expect((error as QuorumError).failures.map((f) => [f.node, f.kind])).toEqual([[first, "dead"]]);
    await c.settleBackground();
    expect(c.hints).toEqual([[c.fallbacks[0], first]]);
  });

  it("with two dead, each gets its own hint holder", async () => {
    const [first, second] = homeOf();
    const c = cluster({ names: FIVE, dead: [first, second] });
    await c.coordinator.write(KEY, '"v"', 1, (p) => c.background.push(p));
    await c.settleBackground();
    expect(new Set(c.hints.map(([holder]) => holder))).toEqual(new Set(c.fallbacks));
    expect(c.hints.map(([, target]) => target).sort()).toEqual([first, second].sort());
  });

  it("is never read, even when the others cannot make the quorum", async () => {
    const [first, second] = homeOf();
    const c = cluster({ names: FIVE, dead: [first], down: [second] });
    await expect(c.coordinator.read(KEY, 2, () => undefined)).rejects.toMatchObject({ acked: 1, required: 2 });
    expect(c.reads).not.toContain(first);
  });
});

describe("a replica catching up", () => {
  it("is read last, and its answer does not count: the read asks the next replica instead", async () => {
    const c0 = cluster();
    const [first, second, third] = c0.replicas;
    const c = cluster({ catchingUp: [first], readRepairChance: 0 });
    c.held.set(second, value(4, "acked"));
    c.held.set(third, value(4, "acked"));
    // The router learns it from the first answer, so the next read orders it last.
    await c.coordinator.read(KEY, 2, () => undefined);
    expect(c.reads).toEqual([first, second, third]);
    c.reads.length = 0;
    const { entry } = await c.coordinator.read(KEY, 2, () => undefined);
    expect(entry).toEqual(value(4, "acked"));
    expect(c.reads).toEqual([second, third]);
  });

  it("cannot make a read quorum: with one other replica down, the read fails rather than trust it", async () => {
    const c0 = cluster();
    const [first, second] = c0.replicas;
    const c = cluster({ catchingUp: [first], down: [second], readRepairChance: 0 });
    const error = await c.coordinator.read(KEY, 2, () => undefined).catch((e: unknown) => e);
    expect(error).toMatchObject({ acked: 1, required: 2 });
    expect((error as QuorumError).failures.map((f) => f.kind).sort()).toEqual(["catching_up", "down"]);
  });

  it("counts toward W: it takes writes", async () => {
    const c0 = cluster();
    const [first] = c0.replicas;
    const c = cluster({ catchingUp: [first] });
    const result = await c.coordinator.write(KEY, '"v"', 3, (p) => c.background.push(p));
    expect(result.acked).toBe(3);
  });
});
