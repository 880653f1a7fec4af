/**
 * Quorum rules: how many replicas a request needs, and how a coordinator gathers
 * them. Transport and timers are injected, so this runs unchanged in the router,
 * in unit tests and in a simulator.
 */
import { classify, TimeoutError, type FailureKind } from "./failure";

/** A consistency level as a client writes it: `one`, `quorum`, `all` or a count 1..N. */
export type ConsistencyLevel = "one" | "quorum" | "all" | number;

/**
 * The number of replicas a level needs out of `replicas`. `quorum` means the
 * configured R or W (default 2 of 3), which is what a request without the
 * parameter gets. Returns an error message for a level the cluster cannot meet.
 */
export function requiredReplicas(
  level: string | undefined,
  replicas: number,
  configured: number,
): { ok: true; required: number } | { ok: false; message: string } {
  if (level === undefined || level === "quorum") return { ok: true, required: configured };
  if (level === "one") return { ok: true, required: 1 };
  if (level === "all") return { ok: true, required: replicas };
  if (/^[1-9][0-9]{0,2}$/.test(level)) {
    const n = Number(level);
    if (n <= replicas) return { ok: true, required: n };
    return { ok: false, message: `${n} replicas requested but each key has only ${replicas}` };
  }
  return { ok: false, message: `expected one, quorum, all or a number from 1 to ${replicas}, got ${JSON.stringify(level)}` };
}

/** A replica that failed a call: what it said, and the failure's kind (see shared/failure.ts). */
export interface ReplicaFailure {
  readonly node: string;
  readonly reason: string;
  readonly kind: FailureKind;
}

export type ReplicaOutcome<T> =
  { readonly node: string; readonly ok: true; readonly value: T } | { readonly node: string; readonly ok: false; readonly reason: string };

export type ReplicaSuccess<T> = Extract<ReplicaOutcome<T>, { ok: true }>;

/** Schedules `fn` after `ms` and returns a function that cancels it. */
export type Schedule = (ms: number, fn: () => void) => () => void;

export interface GatherOptions<T> {
  /** Replicas in preference order. */
  readonly nodes: readonly string[];
  /** Successes needed before the gather resolves. */
  readonly required: number;
  /** How many replicas to ask at once at the start; more are asked only to replace failures. */
  readonly initial: number;
  readonly call: (node: string) => Promise<T>;
  /** A replica that has not answered in this long counts as failed for this request. */
  readonly timeoutMs: number;
  readonly schedule: Schedule;
  /**
   * Speculation: if fewer than `required` have succeeded this long after the
   * start, ask the next replica for each one still pending, up to the number
   * still missing. Undefined: only failures and timeouts bring in more replicas.
   */
  readonly speculateAfterMs?: number | undefined;
  /** Told how many replicas speculation asked, when it asked any. */
  readonly onSpeculate?: ((replicas: number) => void) | undefined;
  /**
   * Patience for writes: a call that passes `timeoutMs` is replaced by the next
   * replica as usual, but its own answer still counts if it arrives within this
   * many ms more. A replica slowed by overload usually applies the write; without
   * this, a write every replica applied could be reported as failed.
   */
  readonly lateAckMs?: number | undefined;
  /** Told how long each replica asked took to answer, fail or time out. */
  readonly timing?: GatherTiming | undefined;
  /** Told of each replica that failed or timed out, once its outcome is final. */
  readonly onFailure?: ((node: string, kind: FailureKind, message: string) => void) | undefined;
}

export interface GatherTiming {
  readonly now: () => number;
  /** `needed`: the answer was one of the first `required` successes, the ones the request waited for. */
  readonly record: (node: string, ms: number, needed: boolean) => void;
}

export interface Gathered<T> {
  /** The first `required` successes, in the order they arrived. */
  readonly replies: readonly ReplicaSuccess<T>[];
  /**
   * Every replica asked, once each has answered, failed or timed out. Resolves
   * after the quorum, so stragglers can be awaited in `waitUntil` (to finish
   * writes, or to read-repair the replicas that answered late).
   */
  readonly settled: Promise<readonly ReplicaOutcome<T>[]>;
}

/** Raised when the replicas that are left cannot make up the quorum any more. */
export class QuorumError extends Error {
  override readonly name = "QuorumError";

  constructor(
    readonly acked: number,
    readonly required: number,
    readonly asked: number,
    readonly replicas: number,
    readonly failures: readonly ReplicaFailure[],
  ) {
    super(`${acked} of ${replicas} replicas answered; ${required} required`);
  }
}

/**
 * Ask replicas until `required` of them succeed.
 *
 * The first `initial` replicas are asked in parallel. Each failure or timeout
 * starts the next replica not yet asked, so a dead replica costs one timeout
 * rather than failing the request. Resolves as soon as `required` succeed; fails
 * as soon as the successes so far plus the replicas still pending or unasked
 * cannot reach `required`. With `speculateAfterMs`, replicas still pending at
 * that time are backed up by the next ones without waiting for the timeout.
 */
export function gather<T>(options: GatherOptions<T>): Promise<Gathered<T>> {
  const { nodes, required, call, timeoutMs, schedule, timing } = options;
  const outcomes: ReplicaOutcome<T>[] = [];
  /** Each failure's classified kind (shared/failure.ts), kept beside the outcome a caller sees. */
  const kinds = new Map<ReplicaOutcome<T>, FailureKind>();
  const successes: ReplicaSuccess<T>[] = [];
  const started: Promise<void>[] = [];
  let next = 0;
  let pending = 0;
  let done = false;
  let cancelSpeculation: (() => void) | undefined;
  /** Every call made, in order: whether it has settled, and whether another replica stands in for it. */
  const asked: Asked[] = [];

  return new Promise<Gathered<T>>((resolve, reject) => {
    const settled = (): Promise<readonly ReplicaOutcome<T>[]> =>
      // Calls can be started while earlier ones settle, so wait until none is pending.
      Promise.all(started).then(() => (pending === 0 ? outcomes : settled()));

    const finish = (): void => {
      if (done) return;
      if (successes.length >= required) {
        done = true;
        cancelSpeculation?.();
        resolve({ replies: successes.slice(0, required), settled: settled() });
      } else if (pending === 0 && successes.length + (nodes.length - next) < required) {
        // Impossible now, but report only once the replicas in flight have
        // answered or timed out: a client told "0 acknowledged" while a write
        // was landing on a replica would draw the wrong conclusion.
        done = true;
        cancelSpeculation?.();
        const failures = outcomes.flatMap((o) => (o.ok ? [] : [{ node: o.node, reason: o.reason, kind: kinds.get(o) ?? "error" }]));
        reject(new QuorumError(successes.length, required, next, nodes.length, failures));
      }
    };

    // A failure is replaced by the next replica only while the answer is still open.
    const replace = (): void => {
      if (!done && next < nodes.length) ask(nodes[next++]!, deadline(timeoutMs, schedule));
    };

    /** `replaced`: another replica already stands in for the call (its timeout, or speculation), so its failure brings in no one more. */
    const record = (outcome: ReplicaOutcome<T>, startedAt: number | undefined, replaced: boolean): void => {
      pending--;
      outcomes.push(outcome);
      const needed = outcome.ok && !done && successes.length < required;
      if (timing !== undefined && startedAt !== undefined) timing.record(outcome.node, timing.now() - startedAt, needed);
      if (outcome.ok) successes.push(outcome);
      else if (!replaced) replace();
      finish();
    };

    const ask = (node: string, race: Deadline): void => {
      pending++;
      const startedAt = timing?.now();
      const answer = call(node);
      const self: Asked = { replaced: false, settled: false };
      asked.push(self);
      const succeed = (value: T) => {
        self.settled = true;
        record({ node, ok: true, value }, startedAt, self.replaced);
      };
      const fail = (error: unknown) => {
        const { kind, message } = classify(error);
        const outcome = { node, ok: false as const, reason: message };
        kinds.set(outcome, kind);
        options.onFailure?.(node, kind, message);
        self.settled = true;
        record(outcome, startedAt, self.replaced);
      };
      const lateAckMs = options.lateAckMs;
      started.push(
        race(answer).then(succeed, (error: unknown) => {
          if (!(error instanceof TimeoutError) || lateAckMs === undefined) return fail(error);
          // Replaced now, but still pending: its late answer may yet make the quorum.
          if (!self.replaced) replace();
          self.replaced = true;
          return deadline(lateAckMs, schedule)(answer).then(succeed, fail);
        }),
      );
    };

    const speculate = (): void => {
      cancelSpeculation = undefined;
      if (done) return;
      const extra = Math.min(pending, required - successes.length, nodes.length - next);
      if (extra <= 0) return;
      options.onSpeculate?.(extra);
      // The calls backed up now have their stand-ins: a later failure of one of them asks no one more.
      asked
        .filter((a) => !a.settled && !a.replaced)
        .slice(0, extra)
        .forEach((a) => (a.replaced = true));
      const together = deadline(timeoutMs, schedule);
      for (let i = 0; i < extra; i++) ask(nodes[next++]!, together);
    };

    if (required > nodes.length) {
      done = true;
      reject(new QuorumError(0, required, 0, nodes.length, []));
      return;
    }
    const first = Math.min(Math.max(options.initial, required), nodes.length);
    // The first calls start together, so they share one timer: each still times
    // out `timeoutMs` after it started. A replacement call gets its own.
    if (first === 0) return;
    const together = deadline(timeoutMs, schedule);
    while (next < first) ask(nodes[next++]!, together);
    if (options.speculateAfterMs !== undefined && next < nodes.length && !done) {
      cancelSpeculation = schedule(options.speculateAfterMs, speculate);
    }
  });
}

interface Asked {
  replaced: boolean;
  settled: boolean;
}

/** Fails `promise` with a timeout if it has not settled within `ms`; the call itself runs on. */
export function withTimeout<T>(promise: Promise<T>, ms: number, schedule: Schedule): Promise<T> {
  return deadline(ms, schedule)(promise);
}

/** Races calls against one timer: each raced call fails with a timeout if it has not settled when it fires. */
type Deadline = <T>(promise: Promise<T>) => Promise<T>;

/**
 * One timer for every call raced against it, started now and cancelled once
 * every raced call has settled. Timers are not free on Workers (each costs CPU
 * on every request: docs/performance.md), so a
 * quorum of three calls shares one instead of arming three.
 */
function deadline(ms: number, schedule: Schedule): Deadline {
  let pending = 0;
  const rejects: ((error: unknown) => void)[] = [];
  let cancel: (() => void) | undefined = schedule(ms, () => {
    cancel = undefined;
    const error = new TimeoutError(ms);
    for (const reject of rejects) reject(error);
  });
  const settle = (): void => {
    if (--pending === 0 && cancel !== undefined) {
      cancel();
      cancel = undefined;
    }
  };
  return <T>(promise: Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      pending++;
      rejects.push(reject);
      promise.then(
        (value) => {
          settle();
          resolve(value);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
    });
}
