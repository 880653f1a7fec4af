import type { Schedule } from "../../../shared/quorum";

/** Timers that fire only when the test says time has passed; `now` is their time. */
export function manualTimers() {
  let now = 0;
  const timers: { at: number; ms: number; fn: () => void; cancelled: boolean }[] = [];
  const schedule: Schedule = (ms, fn) => {
    const timer = { at: now + ms, ms, fn, cancelled: false };
    timers.push(timer);
    return () => void (timer.cancelled = true);
  };
  const advance = async (ms: number) => {
    now += ms;
    for (const t of timers) {
      if (t.cancelled || t.at > now) continue;
      t.cancelled = true;
      t.fn();
    }
    await flush();
  };
  /** Durations of the timers still armed. */
  const armed = () => timers.filter((t) => !t.cancelled).map((t) => t.ms);
  /** How many timers were ever armed, fired or cancelled or not. */
  const scheduled = () => timers.length;
  return { schedule, advance, armed, scheduled, now: () => now };
}

/** Lets every settled promise's callbacks run. */
export const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A replica that answers when the test resolves it. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}
