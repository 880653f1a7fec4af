import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CatchUpRun } from "../../durable/catch-up";
import type { HintHandover } from "../../durable/hint-handover";
import { NodeMetrics } from "../../durable/node-metrics";
import { PeriodicWork } from "../../durable/periodic-work";
import type { Rebalancer } from "../../durable/rebalancer";
import type { SwimHost } from "../../durable/swim-host";
import type { Job } from "../../shared/jobs";
import type { LogFields, LogLevel } from "../../shared/log";
import { Ring } from "../../shared/ring";
import type { MemberStatus } from "../../shared/swim";

// In workerd rather than Node: PeriodicWork is typed against the Workers runtime's
// DurableObjectStorage (and its deps against SqlStorage, SyncKvStorage), which
// tsconfig.node.json does not declare. Every dependency is a fake that records what
// it was asked, in one log; the clock is vitest's. The integration test
// test/integration/membership/alarm.test.ts shows the same on real node objects;
// this pins the rules one by one.

const T0 = 10_000_000;
const PERIOD = 1_000;
const REPAIR = 10_000;
const BATCH = 50;
const RING = Ring.build(["node-1", "node-2", "node-3"], { virtualNodes: 8, replicas: 3 });

type Part = "swim" | "ring" | "hints" | "catch-up" | "sweep";

/** A node's periodic work over fakes: `log` is the work done, in order; `alarms` the alarm calls. */
function host() {
  const log: string[] = [];
  const alarms: string[] = [];
  const logged: ({ level: LogLevel; event: string } & LogFields)[] = [];
  const state = {
    active: true,
    crashed: false,
    catchingUp: false,
    catchUpDone: false,
    deadline: undefined as number | undefined,
    ring: RING as Ring | undefined,
    members: [
      { name: "node-1", state: "alive", incarnation: 0 },
      { name: "node-2", state: "alive", incarnation: 0 },
      { name: "node-3", state: "alive", incarnation: 0 },
    ] as MemberStatus[],
    /** What the next sweep steps answer (true when none is queued). */
    sweeps: [] as boolean[],
    /** The parts whose next call throws. */
    failing: new Set<Part>(),
    /** Runs inside the SWIM wake (a refuted death begins a catch-up there). */
    duringSwim: undefined as (() => void) | undefined,
  };
  const failIf = (part: Part) => {
    if (state.failing.delete(part)) throw new Error(`${part} failed`);
  };
  const storage = {
    setAlarm: (at: number | Date) => (alarms.push(`set ${Number(at)}`), Promise.resolve()),
    deleteAlarm: () => (alarms.push("delete"), Promise.resolve()),
  };
  const gossip = {
    get active() {
      return state.active;
    },
    nextDeadline: () => state.deadline,
    members: () => state.members,
    wake: async (period: boolean) => {
      log.push(period ? "swim period" : "swim timers");
      state.duringSwim?.();
      failIf("swim");
    },
  };
  const catchUp = {
    get active() {
      return state.catchingUp;
    },
    begin: (reason: string, peers: readonly string[]) => {
      log.push(`catch-up begin ${reason} [${peers.join(",")}]`);
      state.catchingUp = true;
    },
    abandon: () => {
      log.push("catch-up abandon");
      state.catchingUp = false;
    },
    step: async (peers: readonly string[], pages: number, askable: (peer: string) => boolean) => {
      log.push(`catch-up step [${peers.join(",")}] ${pages} pages, asks [${peers.filter(askable).join(",")}]`);
      failIf("catch-up");
      if (state.catchUpDone) state.catchingUp = false;
      return state.catchUpDone;
    },
  };
  const handover = {
    handOver: async (ring: readonly string[], members: readonly MemberStatus[]) => {
      log.push(`hints [${ring.join(",")}] ${members.length} members`);
      failIf("hints");
    },
  };
  const rebalancer = {
    restartSweep: () => log.push("restart sweep"),
    sweepStep: async (ring: Ring, batch: number) => {
      log.push(`sweep [${ring.members.join(",")}] ${batch}`);
      failIf("sweep");
      return state.sweeps.shift() ?? true;
    },
  };
  const counters = new NodeMetrics();
  const work = new PeriodicWork({
    self: "node-1",
    storage: storage as unknown as DurableObjectStorage,
    timing: { protocolPeriodMs: PERIOD, repairIntervalMs: REPAIR, repairBatch: BATCH },
    gossip: gossip as unknown as SwimHost,
    catchUp: catchUp as unknown as CatchUpRun,
    handover: handover as unknown as HintHandover,
    rebalancer: rebalancer as unknown as Rebalancer,
    crashed: () => state.crashed,
    ring: () => state.ring,
    refreshRing: () => {
      log.push("refresh ring");
      failIf("ring");
    },
    logger: { log: (level, event, fields = {}) => logged.push({ level, event, ...fields }) },
    counters,
  });
  /** Schedules `jobs` at `at`, arms the alarm for them, and runs it early, as a test driver does. */
  const runAt = async (at: number, ...jobs: Job[]) => {
    for (const job of jobs) work.rules.schedule(job, at);
    work.arm();
    await work.alarm();
  };
  return { work, log, alarms, logged, state, counters, runAt };
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("PeriodicWork: what a wake runs", () => {
  it("runs the due jobs' work in order: SWIM period, ring and hints, catch-up, rebalance, repair", async () => {
    const h = host();
    h.state.catchingUp = true;
    await h.runAt(T0 + PERIOD, "period", "catch-up", "rebalance", "repair");
    expect(h.log).toEqual([
      "swim period",
      "refresh ring",
      "hints [node-1,node-2,node-3] 3 members",
      "refresh ring",
      "catch-up step [node-2,node-3] 8 pages, asks [node-2,node-3]",
      `sweep [node-1,node-2,node-3] ${BATCH}`,
      `sweep [node-1,node-2,node-3] ${BATCH}`,
    ]);
  });

  it("wakes the SWIM machine for its own timers between periods, with no period work", async () => {
    const h = host();
    h.state.deadline = T0 + 300;
    h.work.arm();
    expect(h.alarms).toEqual([`set ${T0 + 300}`]);
    h.state.deadline = undefined;
    await h.work.alarm();
    expect(h.log).toEqual(["swim timers"]);
  });

  it("acts at the alarm's due time when it runs early: the next period is a period after it", async () => {
    const h = host();
    await h.runAt(T0 + 5 * PERIOD, "period");
    expect(h.work.now()).toBe(T0 + 5 * PERIOD);
    expect(h.alarms).toEqual([`set ${T0 + 5 * PERIOD}`, `set ${T0 + 6 * PERIOD}`]);
  });

  it("runs nothing on a crashed node, and disarms when nothing is left", async () => {
    const h = host();
    for (const job of ["period", "repair"] as const) h.work.rules.schedule(job, T0 + PERIOD);
    h.work.arm();
    h.state.crashed = true;
    await h.work.alarm();
    expect(h.log).toEqual([]);
    expect(h.alarms).toEqual([`set ${T0 + PERIOD}`, "delete"]);
  });

  it("counts how late an alarm fired, in seconds, and nothing for an alarm it did not arm", async () => {
    const h = host();
    await h.work.alarm();
    expect(h.counters.alarmLag.samples()).toEqual([]);
    h.work.rules.schedule("period", T0 + PERIOD);
    h.work.arm();
    vi.setSystemTime(T0 + PERIOD + 250);
    await h.work.alarm();
    expect(h.counters.alarmLag.samples()).toMatchObject([{ count: 1, sum: 0.25 }]);
  });

  it("does not call the sweep without a ring, and takes that as a finished pass", async () => {
    const h = host();
    h.state.ring = undefined;
    await h.runAt(T0 + 100, "rebalance");
    expect(h.log).toEqual([]);
    expect(h.work.rules.scheduled("rebalance")).toBe(false);
  });

  it("hands hints over against the ring and the SWIM members, an empty ring when it has none", async () => {
    const h = host();
    h.state.ring = undefined;
    await h.runAt(T0 + PERIOD, "period");
    expect(h.log).toEqual(["swim period", "refresh ring", "hints [] 3 members"]);
  });
});

describe("PeriodicWork: one job failing costs the others nothing", () => {
  // The alarm after: the unfinished catch-up's next step, a quarter period on, unless that step is the one that failed.
  const cases: { part: Part; job: string; next: number }[] = [
    { part: "swim", job: "swim", next: T0 + PERIOD + PERIOD / 4 },
    { part: "ring", job: "ring", next: T0 + PERIOD + PERIOD / 4 },
    { part: "hints", job: "hints", next: T0 + PERIOD + PERIOD / 4 },
    { part: "catch-up", job: "catch-up", next: T0 + 2 * PERIOD },
  ];

  for (const { part, job, next } of cases) {
    it(`runs every other due job when ${job} throws, logs it, and keeps period and repair scheduled`, async () => {
      const h = host();
      h.state.catchingUp = true;
      h.state.failing.add(part);
      await expect(h.runAt(T0 + PERIOD, "period", "catch-up", "rebalance", "repair")).resolves.toBeUndefined();
      expect(h.log).toEqual([
        "swim period",
        "refresh ring",
        "hints [node-1,node-2,node-3] 3 members",
        "refresh ring",
        "catch-up step [node-2,node-3] 8 pages, asks [node-2,node-3]",
        `sweep [node-1,node-2,node-3] ${BATCH}`,
        `sweep [node-1,node-2,node-3] ${BATCH}`,
      ]);
      expect(h.logged).toEqual([{ level: "error", event: "job_failed", job, error: new Error(`${part} failed`) }]);
      expect([h.work.rules.scheduled("period"), h.work.rules.scheduled("repair")]).toEqual([true, true]);
      expect(h.alarms.at(-1)).toBe(`set ${next}`);
    });
  }

  it("runs the repair when the rebalance batch before it throws, and retries the rebalance a period later", async () => {
    const h = host();
    h.state.failing.add("sweep");
    await h.runAt(T0 + PERIOD, "rebalance", "repair");
    expect(h.log).toEqual([`sweep [node-1,node-2,node-3] ${BATCH}`, `sweep [node-1,node-2,node-3] ${BATCH}`]);
    expect(h.logged).toMatchObject([{ event: "job_failed", job: "rebalance" }]);
    expect(h.alarms.at(-1)).toBe(`set ${T0 + 2 * PERIOD}`);
    vi.setSystemTime(T0 + 2 * PERIOD);
    await h.work.alarm();
    expect(h.log).toHaveLength(3);
    expect(h.work.rules.scheduled("rebalance")).toBe(false);
  });

  it("logs a failed repair batch and keeps the repair on its interval", async () => {
    const h = host();
    h.state.failing.add("sweep");
    await h.runAt(T0 + PERIOD, "repair");
    expect(h.logged).toMatchObject([{ level: "error", event: "job_failed", job: "repair" }]);
    expect(h.alarms.at(-1)).toBe(`set ${T0 + PERIOD + REPAIR}`);
  });

  it("takes a failed catch-up step up again at the next period", async () => {
    const h = host();
    h.state.catchingUp = true;
    h.state.failing.add("catch-up");
    await h.runAt(T0 + PERIOD, "catch-up");
    vi.setSystemTime(T0 + PERIOD);
    await h.runAt(T0 + 2 * PERIOD, "period");
    expect(h.log.filter((line) => line.startsWith("catch-up step"))).toHaveLength(2);
  });
});

describe("PeriodicWork: the node's lifecycle", () => {
  it("starts its period and repair spread by the random draw, and arms for the earlier", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const h = host();
    h.work.started();
    expect(h.alarms).toEqual([`set ${T0 + 1.5 * PERIOD}`]);
    expect([h.work.rules.scheduled("period"), h.work.rules.scheduled("repair")]).toEqual([true, true]);
  });

  it("stops every periodic job when the node leaves, its catch-up abandoned, and disarms", async () => {
    const h = host();
    h.state.catchingUp = true;
    h.work.started();
    h.work.rebalanceSoon();
    h.work.beginCatchUp("joining");
    h.state.active = false;
    h.work.left();
    expect(h.log.at(-1)).toBe("catch-up abandon");
    expect((["period", "repair", "rebalance", "catch-up"] as const).map((job) => h.work.rules.scheduled(job))).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(h.alarms.at(-1)).toBe("delete");
  });

  it("repairs at once when back from a crash", async () => {
    const h = host();
    h.work.recovered();
    expect(h.alarms).toEqual([`set ${T0 + 1}`]);
    vi.setSystemTime(T0 + 1);
    await h.work.alarm();
    expect(h.log).toEqual([`sweep [node-1,node-2,node-3] ${BATCH}`]);
  });

  it("coalesces a burst of ring changes into one sweep, a period after the first", async () => {
    const h = host();
    h.work.rebalanceSoon();
    vi.setSystemTime(T0 + 300);
    h.work.rebalanceSoon();
    vi.setSystemTime(T0 + 600);
    h.work.rebalanceSoon();
    h.work.arm();
    expect(h.log).toEqual(["restart sweep", "restart sweep", "restart sweep"]);
    expect(h.alarms).toEqual([`set ${T0 + PERIOD}`]);
    vi.setSystemTime(T0 + PERIOD);
    await h.work.alarm();
    expect(h.log.filter((line) => line.startsWith("sweep"))).toHaveLength(1);
    expect(h.alarms).toEqual([`set ${T0 + PERIOD}`, "delete"]);
  });

  it("runs the next rebalance batch at the very next wake while the pass has more, and stops once it finished", async () => {
    const h = host();
    h.state.sweeps = [false, true];
    await h.runAt(T0 + PERIOD, "rebalance");
    // At once in protocol time: the time the alarm that ran early was due.
    expect(h.alarms.at(-1)).toBe(`set ${T0 + PERIOD}`);
    await h.work.alarm();
    expect(h.log).toHaveLength(2);
    expect(h.work.rules.scheduled("rebalance")).toBe(false);
  });

  it("runs no further rebalance batch once the node is no member, though the pass has more, and disarms", async () => {
    const h = host();
    h.state.active = false;
    h.state.sweeps = [false];
    await h.runAt(T0 + PERIOD, "rebalance", "period");
    expect(h.log).toEqual(["swim period", `sweep [node-1,node-2,node-3] ${BATCH}`]);
    expect(h.work.rules.scheduled("rebalance")).toBe(false);
    expect(h.alarms.at(-1)).toBe("delete");
  });
});

describe("PeriodicWork: a catch-up pass", () => {
  it("begins from the ring's other members, logs once that it started, and steps at once", async () => {
    const h = host();
    h.work.beginCatchUp("recovering");
    h.work.beginCatchUp("joining");
    expect(h.log).toEqual([
      "refresh ring",
      "catch-up begin recovering [node-2,node-3]",
      "refresh ring",
      "catch-up begin joining [node-2,node-3]",
    ]);
    expect(h.logged).toEqual([{ level: "info", event: "catch_up_started", reason: "recovering" }]);
    expect(h.alarms).toEqual([`set ${T0 + 1}`]);
  });

  it("goes on a quarter period after a step that did not finish, and stops, logged, once one does", async () => {
    const h = host();
    h.work.beginCatchUp("joining");
    vi.setSystemTime(T0 + 1);
    await h.work.alarm();
    expect(h.alarms.at(-1)).toBe(`set ${T0 + 1 + PERIOD / 4}`);
    h.state.catchUpDone = true;
    vi.setSystemTime(T0 + 1 + PERIOD / 4);
    await h.work.alarm();
    expect(h.log.filter((line) => line.startsWith("catch-up step"))).toHaveLength(2);
    expect(h.logged.map((l) => l.event)).toEqual(["catch_up_started", "caught_up"]);
    expect(h.work.rules.scheduled("catch-up")).toBe(false);
  });

  it("does not ask the peers this node holds dead, though it pulls from them when they are back", async () => {
    const h = host();
    h.state.members = [
      { name: "node-1", state: "alive", incarnation: 0 },
      { name: "node-2", state: "dead", incarnation: 1, since: T0 },
      { name: "node-3", state: "suspect", incarnation: 0 },
    ];
    h.state.catchingUp = true;
    await h.runAt(T0 + 100, "catch-up");
    expect(h.log).toEqual(["refresh ring", "catch-up step [node-2,node-3] 8 pages, asks [node-3]"]);
  });

  it("takes no step while the node is not a member or the pass is over", async () => {
    const h = host();
    await h.runAt(T0 + 100, "catch-up");
    h.state.catchingUp = true;
    h.state.active = false;
    await h.runAt(T0 + 200, "catch-up");
    expect(h.log).toEqual([]);
  });

  it("steps in the same period when the SWIM wake began the pass (a death refuted)", async () => {
    const h = host();
    h.state.duringSwim = () => h.work.beginCatchUp("recovering");
    await h.runAt(T0 + PERIOD, "period");
    expect(h.log).toEqual([
      "swim period",
      "refresh ring",
      "catch-up begin recovering [node-2,node-3]",
      "refresh ring",
      "hints [node-1,node-2,node-3] 3 members",
      "refresh ring",
      "catch-up step [node-2,node-3] 8 pages, asks [node-2,node-3]",
    ]);
  });
});
