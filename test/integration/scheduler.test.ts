import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AlarmScheduler } from "../../durable/scheduler";

// In workerd rather than Node: the scheduler is typed against the Workers runtime's
// DurableObjectStorage, which tsconfig.node.json (the unit project's) does not declare.
// The storage is faked (every alarm call recorded) and the clock is vitest's.

const T0 = 1_000_000;

/** An object's storage as the scheduler uses it: each alarm call recorded, in order. */
function alarmStorage() {
  const calls: string[] = [];
  const storage = {
    setAlarm: (at: number | Date) => {
      calls.push(`set ${Number(at)}`);
      return Promise.resolve();
    },
    deleteAlarm: () => {
      calls.push("delete");
      return Promise.resolve();
    },
  };
  return { scheduler: new AlarmScheduler(storage as unknown as DurableObjectStorage), calls };
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("AlarmScheduler: the object's one alarm", () => {
  it("arms the alarm for the time it is given", () => {
    const { scheduler, calls } = alarmStorage();
    scheduler.arm(T0 + 500);
    expect(calls).toEqual([`set ${T0 + 500}`]);
  });

  it("keeps an alarm armed for the same time or sooner, and moves it only to a sooner time", () => {
    const { scheduler, calls } = alarmStorage();
    scheduler.arm(T0 + 500);
    scheduler.arm(T0 + 500);
    scheduler.arm(T0 + 900);
    expect(calls).toEqual([`set ${T0 + 500}`]);
    scheduler.arm(T0 + 200);
    expect(calls).toEqual([`set ${T0 + 500}`, `set ${T0 + 200}`]);
  });

  it("never arms for now or the past: a job already due is armed 1 ms from now", () => {
    const { scheduler, calls } = alarmStorage();
    scheduler.arm(T0 - 5_000);
    expect(calls).toEqual([`set ${T0 + 1}`]);
    // Armed for T0 + 1 already: a job due at T0 changes nothing.
    scheduler.arm(T0);
    expect(calls).toEqual([`set ${T0 + 1}`]);
  });

  it("disarms: the alarm is deleted, and the next arm sets it again whatever its time", () => {
    const { scheduler, calls } = alarmStorage();
    scheduler.arm(T0 + 200);
    scheduler.disarm();
    scheduler.arm(T0 + 900);
    expect(calls).toEqual([`set ${T0 + 200}`, "delete", `set ${T0 + 900}`]);
  });

  it("once the alarm fired, arms the next one even for a later time than the one that fired", () => {
    const { scheduler, calls } = alarmStorage();
    scheduler.arm(T0 + 200);
    vi.setSystemTime(T0 + 200);
    scheduler.fired();
    scheduler.arm(T0 + 900);
    expect(calls).toEqual([`set ${T0 + 200}`, `set ${T0 + 900}`]);
  });
});

describe("AlarmScheduler: the protocol's time", () => {
  it("is the wall clock while no alarm has run", () => {
    const { scheduler } = alarmStorage();
    expect(scheduler.now()).toBe(T0);
    vi.setSystemTime(T0 + 42);
    expect(scheduler.now()).toBe(T0 + 42);
  });

  it("acts at the due time when an alarm runs early (a test driver), and says it was 0 ms late", () => {
    const { scheduler } = alarmStorage();
    scheduler.arm(T0 + 600_000);
    expect(scheduler.fired()).toBe(0);
    expect(scheduler.now()).toBe(T0 + 600_000);
  });

  it("follows the wall clock again once it passes the due time of an alarm run early", () => {
    const { scheduler } = alarmStorage();
    scheduler.arm(T0 + 1_000);
    scheduler.fired();
    vi.setSystemTime(T0 + 400);
    expect(scheduler.now()).toBe(T0 + 1_000);
    vi.setSystemTime(T0 + 1_700);
    expect(scheduler.now()).toBe(T0 + 1_700);
  });

  it("says how late an alarm fired, in ms, and keeps the wall clock's later time", () => {
    const { scheduler } = alarmStorage();
    scheduler.arm(T0 + 1_000);
    vi.setSystemTime(T0 + 1_250);
    expect(scheduler.fired()).toBe(250);
    expect(scheduler.now()).toBe(T0 + 1_250);
  });

  it("does not know an alarm it did not arm (the object restarted since): no lag, and time stays the wall clock's", () => {
    const { scheduler } = alarmStorage();
    expect(scheduler.fired()).toBeUndefined();
    expect(scheduler.now()).toBe(T0);
  });

  it("takes one run per arming: a second run of the same alarm is not known", () => {
    const { scheduler } = alarmStorage();
    scheduler.arm(T0 + 1_000);
    expect(scheduler.fired()).toBe(0);
    expect(scheduler.fired()).toBeUndefined();
    expect(scheduler.now()).toBe(T0 + 1_000);
  });

  it("does not know a disarmed alarm that runs anyway: time does not jump to its due time", () => {
    const { scheduler } = alarmStorage();
    scheduler.arm(T0 + 1_000);
    scheduler.disarm();
    expect(scheduler.fired()).toBeUndefined();
    expect(scheduler.now()).toBe(T0);
  });

  it("never goes back: an alarm armed for earlier than the time reached, run early, leaves the time where it was", () => {
    const { scheduler, calls } = alarmStorage();
    scheduler.arm(T0 + 10_000);
    scheduler.fired();
    expect(scheduler.now()).toBe(T0 + 10_000);
    // A job due at T0 + 3,000 (protocol time already past it, wall clock not): armed for then.
    scheduler.arm(T0 + 3_000);
    expect(calls).toEqual([`set ${T0 + 10_000}`, `set ${T0 + 3_000}`]);
    expect(scheduler.fired()).toBe(0);
    expect(scheduler.now()).toBe(T0 + 10_000);
  });

  it("steps whole periods when each alarm is run early: each run moves time to the due time of the alarm it ran", () => {
    const { scheduler } = alarmStorage();
    const seen: number[] = [];
    for (let period = 1; period <= 3; period++) {
      scheduler.arm(scheduler.now() + 600_000);
      scheduler.fired();
      seen.push(scheduler.now());
    }
    expect(seen).toEqual([T0 + 600_000, T0 + 1_200_000, T0 + 1_800_000]);
  });
});
