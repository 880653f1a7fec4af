import { invariant } from "./invariant";
import type { Schedule } from "./quorum";

interface Waiter {
  readonly due: number;
  readonly release: () => void;
}

/**
 * Holds callers until each has waited its delay, in arrival order, with one
 * timer for the whole line (the fault switch's `slow` mode): thousands of
 * timers pending in one busy Durable Object fire late, later the longer the
 * load runs (docs/performance.md, "The slow fault's own timers ran late").
 * Callers leave in the order they came: one whose delay is shorter than an
 * earlier caller's waits for it, so every caller waits at least its delay.
 */
export class DelayLine {
  private readonly waiters: Waiter[] = [];
  private head = 0;
  private armed = false;

  constructor(
    private readonly schedule: Schedule,
    private readonly now: () => number,
  ) {}

  /** Resolves once `ms` have passed and every earlier caller has left. */
  wait(ms: number): Promise<void> {
    invariant(Number.isFinite(ms) && ms >= 0, `a delay is a finite number of ms, never negative (got ${ms})`);
    return new Promise((release) => {
      this.waiters.push({ due: this.now() + ms, release });
      if (!this.armed) this.arm();
    });
  }

  /** Callers waiting now. */
  get length(): number {
    return this.waiters.length - this.head;
  }

  private arm(): void {
    const next = this.waiters[this.head];
    if (next === undefined) return;
    this.armed = true;
    this.schedule(Math.max(0, next.due - this.now()), () => this.releaseDue());
  }

  private releaseDue(): void {
    this.armed = false;
    const now = this.now();
    while (this.head < this.waiters.length && this.waiters[this.head]!.due <= now) this.waiters[this.head++]!.release();
    // Drop the released callers once they are most of the array, so it stays as long as the line.
    if (this.head > 64 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
    this.arm();
  }
}
