import type { Schedule } from "./quorum";

/**
 * Admission control for a router isolate: at most `limit` requests work at
 * once; the rest wait, and one that has waited `maxWaitMs` is shed.
 *
 * Under overload every request in flight slows every other (the replicas' queues
 * grow), until replica calls pass the replica timeout and requests fail with
 * 503 though nothing is broken. Bounding the work in flight keeps each admitted
 * request's replica calls well inside the timeout; bounding the wait keeps a
 * queued request's answer short of it too, and the client is told to come back
 * (429, Retry-After) instead of being told the cluster failed.
 */
export class Admission {
  private running = 0;
  private waiting = 0;

  constructor(
    private readonly limit: number,
    private readonly maxWaitMs: number,
    private readonly schedule: Schedule,
    private readonly now: () => number,
    /** How often a request in line looks for a free slot. */
    private readonly pollMs = Math.max(1, Math.floor(maxWaitMs / 25)),
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
  }

  /** Requests working now, and waiting. */
  get load(): { readonly running: number; readonly waiting: number } {
    return { running: this.running, waiting: this.waiting };
  }

  /**
   * Resolves with the release of a slot once one is free; rejects with `Shed`
   * after `maxWaitMs` in line.
   *
   * A request in line polls on timers of its own rather than being woken by the
   * request that frees a slot: on Workers, a request resumed from another's
   * context would do its I/O on behalf of that one, which the runtime refuses
   * ("Cannot perform I/O on behalf of a different request"). A new request
   * does not pass those already waiting.
   */
  enter(): Promise<() => void> {
    if (this.running < this.limit && this.waiting === 0) return Promise.resolve(this.take());
    this.waiting++;
    return new Promise((resolve, reject) => {
      const since = this.now();
      const poll = (): void => {
        if (this.running < this.limit) {
          this.waiting--;
          resolve(this.take());
        } else if (this.now() - since >= this.maxWaitMs) {
          this.waiting--;
          reject(new Shed(this.maxWaitMs));
        } else this.schedule(this.pollMs, poll);
      };
      this.schedule(this.pollMs, poll);
    });
  }

  private take(): () => void {
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
    };
  }
}

/** A request turned away after waiting in line: the router answers 429 with Retry-After. */
export class Shed extends Error {
  override readonly name = "Shed";

  constructor(readonly waitedMs: number) {
    super(`the router is overloaded: waited ${waitedMs} ms in line`);
  }
}
