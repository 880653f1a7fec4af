import { describe, expect, it } from "vitest";
import { JobRules, type Job, type NodeState } from "../../shared/jobs";

const PERIOD = 1_000;
const REPAIR = 30_000;

/** Rules whose "random" spread is fixed, so each schedule is known. */
function rules(random = 0): JobRules {
  return new JobRules({ protocolPeriodMs: PERIOD, repairIntervalMs: REPAIR, random: () => random });
}

function state(running: boolean, catchingUp = false): NodeState {
  return { running: () => running, catchingUp: () => catchingUp };
}

const RUNNING = state(true);
const JOBS: readonly Job[] = ["period", "swim", "repair", "rebalance", "catch-up"];

function scheduled(r: JobRules): Job[] {
  return JOBS.filter((job) => r.scheduled(job));
}

describe("JobRules: which periodic job runs when", () => {
  it("starts a period and repair, spread by the random draw", () => {
    const early = rules(0);
    early.started(0);
    expect(early.nextWake(RUNNING, undefined)).toBe(PERIOD);
    expect(scheduled(early)).toEqual(["period", "repair"]);
    const late = rules(0.5);
    late.started(0);
    expect(late.nextWake(RUNNING, undefined)).toBe(1.5 * PERIOD);
  });

  it("a wake runs only what is due, and reschedules period and repair before they run", () => {
    const r = rules();
    r.started(0);
    expect(r.wake(PERIOD - 1, RUNNING)).toMatchObject({ swim: false, period: false, repair: false, rebalance: false });
    const wake = r.wake(PERIOD, RUNNING);
    expect(wake).toMatchObject({ swim: true, period: true, periodWork: true, catchUp: false, repair: false });
    // Due again a period on, whatever the work of this wake does.
    expect(r.nextWake(RUNNING, undefined)).toBe(2 * PERIOD);
    r.schedule("repair", 0);
    expect(r.wake(2 * PERIOD, RUNNING)).toMatchObject({ period: true, repair: true });
    expect(scheduled(r)).toEqual(["period", "repair"]);
    expect(r.nextWake(RUNNING, undefined)).toBe(3 * PERIOD);
  });

  it("a node that is not running keeps no period or repair, and runs no period work", () => {
    const r = rules();
    r.schedule("period", 0);
    r.schedule("repair", 0);
    expect(r.wake(0, state(false))).toMatchObject({ swim: true, period: true, periodWork: false, repair: true });
    expect(scheduled(r)).toEqual([]);
    expect(r.nextWake(state(false), 500)).toBeUndefined();
  });

  it("arms for SWIM's next deadline while running, and forgets it when there is none", () => {
    const r = rules();
    r.started(0);
    expect(r.nextWake(RUNNING, 250)).toBe(250);
    expect(r.wake(250, RUNNING)).toMatchObject({ swim: true, period: false });
    expect(r.nextWake(RUNNING, undefined)).toBe(PERIOD);
    expect(r.scheduled("swim")).toBe(false);
  });

  it("a membership change is one rebalance a period later, however many changes come", () => {
    const r = rules();
    r.membershipChanged(100);
    r.membershipChanged(400);
    expect(r.nextWake(RUNNING, undefined)).toBe(100 + PERIOD);
    expect(r.wake(100 + PERIOD, RUNNING).rebalance).toBe(true);
    expect(r.scheduled("rebalance")).toBe(false);
  });

  it("a rebalance goes on at once while batches remain, a period later after a failure, not at all when done", () => {
    const r = rules();
    r.rebalanced(5_000, false, true);
    expect(r.nextWake(RUNNING, undefined)).toBe(5_000);
    r.wake(5_000, RUNNING);
    r.rebalanced(5_000, undefined, true);
    expect(r.nextWake(RUNNING, undefined)).toBe(5_000 + PERIOD);
    r.wake(5_000 + PERIOD, RUNNING);
    r.rebalanced(6_000, true, true);
    expect(r.scheduled("rebalance")).toBe(false);
    r.rebalanced(6_000, false, false);
    expect(r.scheduled("rebalance")).toBe(false);
  });

  it("a node that stopped running still finishes a rebalance in flight", () => {
    const r = rules();
    r.rebalanced(0, false, true);
    expect(r.nextWake(state(false), 300)).toBe(0);
  });

  it("a catch-up runs at once, then every quarter period until done, and with each period while catching up", () => {
    const r = rules();
    r.catchUpBegun(700);
    expect(r.nextWake(RUNNING, undefined)).toBe(700);
    expect(r.wake(700, RUNNING).catchUp).toBe(true);
    r.catchUpStepped(700, false);
    expect(r.nextWake(RUNNING, undefined)).toBe(700 + PERIOD / 4);
    r.wake(700 + PERIOD / 4, RUNNING);
    r.catchUpStepped(700 + PERIOD / 4, true);
    expect(r.scheduled("catch-up")).toBe(false);
    r.schedule("period", 2_000);
    expect(r.wake(2_000, state(true, true)).catchUp).toBe(true);
    r.schedule("period", 3_000);
    expect(r.wake(3_000, state(true, false)).catchUp).toBe(false);
  });

  it("asks whether the node is catching up when the catch-up's turn comes, not before", () => {
    const r = rules();
    r.schedule("period", 0);
    let catchingUp = false;
    const wake = r.wake(0, { running: () => true, catchingUp: () => catchingUp });
    catchingUp = true; // A pass began during the SWIM wake (a refuted death).
    expect(wake.catchUp).toBe(true);
  });

  it("leaving cancels every periodic job; recovering repairs at once", () => {
    const r = rules();
    r.started(0);
    r.membershipChanged(0);
    r.catchUpBegun(0);
    r.left();
    expect(scheduled(r)).toEqual([]);
    expect(r.nextWake(state(false), 100)).toBeUndefined();
    r.recovered(9_000);
    expect(r.nextWake(RUNNING, undefined)).toBe(9_000);
    expect(r.wake(9_000, RUNNING).repair).toBe(true);
  });
});
