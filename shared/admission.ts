import type { Schedule } from "./quorum";

/**
 * Admission control for a router isolate: at most `limit` requests work at
 * once; the rest wait in line, and one that has waited `maxWaitMs` is shed.
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
  private readonly line: Waiting[] = [];

  constructor(
    private readonly limit: number,
    private readonly maxWaitMs: number,
    private readonly schedule: Schedule,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
  }

  /** Requests working now, and waiting. */
  get load(): { readonly running: number; readonly waiting: number } {
    return { running: this.running, waiting: this.line.length };
  }

  /** Resolves with the release of a slot once one is free; rejects with `Shed` after `maxWaitMs` in line. */
  enter(): Promise<() => void> {
    if (this.running < this.limit) return Promise.resolve(this.take());
    return new Promise((resolve, reject) => {
      const waiting: Waiting = {
        admit: () => {
          cancel();
          resolve(this.take());
        },
      };
      const cancel = this.schedule(this.maxWaitMs, () => {
        this.line.splice(this.line.indexOf(waiting), 1);
        reject(new Shed(this.maxWaitMs));
      });
      this.line.push(waiting);
    });
  }

  private take(): () => void {
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.line.shift()?.admit();
    };
  }
}

interface Waiting {
  readonly admit: () => void;
}

/** A request turned away after waiting in line: the router answers 429 with Retry-After. */
export class Shed extends Error {
  override readonly name = "Shed";

  constructor(readonly waitedMs: number) {
    super(`the router is overloaded: waited ${waitedMs} ms in line`);
  }
}
