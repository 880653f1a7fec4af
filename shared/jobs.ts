import { Timetable } from "./timetable";

/**
 * The periodic jobs multiplexed on a node object's one alarm:
 * - period: a SWIM protocol period, then the ring refreshed (a grace may have ended) and hints handed over;
 * - swim: the SWIM machine's own timers between periods (its next deadline);
 * - repair: one batch of the anti-entropy sweep, every repair interval;
 * - rebalance: the sweep after a membership change, batch after batch until it finishes;
 * - catch-up: a few pages of a joining or recovering node's catch-up pass.
 */
export type Job = "period" | "swim" | "repair" | "rebalance" | "catch-up";

export interface JobTiming {
  readonly protocolPeriodMs: number;
  readonly repairIntervalMs: number;
  /** In [0, 1): spreads nodes' first period and repair so they do not probe in lockstep. */
  readonly random: () => number;
}

/** What a node is doing, asked when a rule needs it. */
export interface NodeState {
  /** Started, a member, and not crashed: its periodic jobs go on. */
  running(): boolean;
  /** Its catch-up pass is not over. */
  catchingUp(): boolean;
}

/** The work of one wake, run in this order, each part on its own (one failing costs the others nothing). */
export interface Wake {
  /** Wake the SWIM machine; a new protocol period when `period`, else only its due timers. */
  readonly swim: boolean;
  readonly period: boolean;
  /** Refresh the ring and hand over hints (a period of a running node). */
  readonly periodWork: boolean;
  /** Asked when its turn comes: the SWIM wake before it may begin a pass (a refuted death). */
  readonly catchUp: boolean;
  readonly rebalance: boolean;
  readonly repair: boolean;
}

/**
 * The rules of a node's periodic jobs: which run at a wake, and when each is
 * due next, given what happened to the node. Pure: the node passes `now` and
 * its state, runs the work a wake names, and arms its alarm for `nextWake`.
 *
 * A new periodic job is a `Job` member, its line in `wake`, and its schedule
 * in the event that starts it.
 */
export class JobRules {
  private readonly table = new Timetable<Job>();

  constructor(private readonly timing: JobTiming) {}

  /** The node started (or resumed) its periodic work. */
  started(now: number): void {
    const { protocolPeriodMs, repairIntervalMs, random } = this.timing;
    this.table.setEarliest("period", now + (1 + random()) * protocolPeriodMs);
    this.table.setEarliest("repair", now + (0.5 + random()) * repairIntervalMs);
  }

  /**
   * The alarm fired at `now`: the due jobs are taken, and each periodic one is
   * rescheduled before it runs, so a failure cannot unschedule it.
   */
  wake(now: number, node: NodeState): Wake {
    const due = new Set(this.table.takeDue(now));
    const period = due.has("period");
    const running = node.running();
    if (period && running) this.table.set("period", now + this.timing.protocolPeriodMs);
    if (due.has("repair") && running) this.table.set("repair", now + this.timing.repairIntervalMs);
    return {
      swim: period || due.has("swim"),
      period,
      periodWork: period && running,
      get catchUp() {
        return due.has("catch-up") || (period && node.catchingUp());
      },
      rebalance: due.has("rebalance"),
      repair: due.has("repair"),
    };
  }

  /**
   * A rebalance batch ran: `finished` true when its pass is over, false when
   * more batches remain (the next runs at once, SWIM timers between), undefined
   * when it failed (retried a period later).
   */
  rebalanced(now: number, finished: boolean | undefined, member: boolean): void {
    if (finished === true || !member) return;
    this.table.setEarliest("rebalance", finished === false ? now : now + this.timing.protocolPeriodMs);
  }

  /** The ring changed: one sweep a period later, so a burst of changes costs one sweep. */
  membershipChanged(now: number): void {
    this.table.setEarliest("rebalance", now + this.timing.protocolPeriodMs);
  }

  /** A catch-up pass began (or widened): its first step runs at once. */
  catchUpBegun(now: number): void {
    this.table.setEarliest("catch-up", now);
  }

  /** A catch-up step ran; unless the pass is over, the next is due a quarter period later. */
  catchUpStepped(now: number, done: boolean): void {
    if (!done) this.table.setEarliest("catch-up", now + this.timing.protocolPeriodMs / 4);
  }

  /** Back from a crash: repair at once, as its replicas may have missed writes. */
  recovered(now: number): void {
    this.table.set("repair", now);
  }

  /** The node left: nothing periodic remains but SWIM's last timers (cancelled by `nextWake` once inactive). */
  left(): void {
    for (const job of ["period", "repair", "rebalance", "catch-up"] as const) this.table.cancel(job);
  }

  /**
   * When the alarm should fire next, SWIM's next deadline included; undefined
   * when nothing is due (disarm). A node that is not running keeps only a
   * rebalance in flight (a crashed node's is cancelled by its crash's reset).
   */
  nextWake(node: NodeState, swimDeadline: number | undefined): number | undefined {
    if (!node.running()) {
      this.table.cancel("swim");
      if (!this.table.has("rebalance")) return undefined;
    }
    if (swimDeadline === undefined) this.table.cancel("swim");
    else this.table.set("swim", swimDeadline);
    return this.table.next();
  }

  /** Puts `job` due at `at`, replacing its schedule: for operators' tools and tests. */
  schedule(job: Job, at: number): void {
    this.table.set(job, at);
  }

  /** Whether `job` is scheduled. */
  scheduled(job: Job): boolean {
    return this.table.has(job);
  }
}
