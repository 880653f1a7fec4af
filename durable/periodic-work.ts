import { JobRules, type NodeState } from "../shared/jobs";
import type { Logger } from "../shared/log";
import type { Ring } from "../shared/ring";
import type { CatchUpRun } from "./catch-up";
import type { HintHandover } from "./hint-handover";
import type { NodeMetrics } from "./node-metrics";
import type { Rebalancer } from "./rebalancer";
import { AlarmScheduler } from "./scheduler";
import type { SwimHost } from "./swim-host";

/** Pages a catch-up pulls per wake: bounds the alarm's work between SWIM timers. */
const CATCH_UP_PAGES = 8;

export interface PeriodicWorkDeps {
  readonly self: string;
  readonly storage: DurableObjectStorage;
  readonly timing: { readonly protocolPeriodMs: number; readonly repairIntervalMs: number; readonly repairBatch: number };
  readonly gossip: SwimHost;
  readonly catchUp: CatchUpRun;
  readonly handover: HintHandover;
  readonly rebalancer: Rebalancer;
  readonly crashed: () => boolean;
  /** The node's ring now, and how it is rebuilt when its members changed. */
  readonly ring: () => Ring | undefined;
  readonly refreshRing: () => void;
  readonly logger: Logger;
  readonly counters: NodeMetrics;
}

/**
 * A node's periodic work on its one alarm: `JobRules` (shared/jobs.ts) decide
 * which jobs run at a wake and when each is due next; this runs their work
 * and arms the alarm. Its `now` is the node's protocol time (see AlarmScheduler).
 */
export class PeriodicWork {
  /** Public so a test can schedule a job and see what is scheduled. */
  readonly rules: JobRules;
  private readonly scheduler: AlarmScheduler;
  private readonly state: NodeState;

  constructor(private readonly deps: PeriodicWorkDeps) {
    const { protocolPeriodMs, repairIntervalMs } = deps.timing;
    this.rules = new JobRules({ protocolPeriodMs, repairIntervalMs, random: Math.random });
    this.scheduler = new AlarmScheduler(deps.storage);
    this.state = {
      running: () => !deps.crashed() && deps.gossip.active,
      catchingUp: () => deps.catchUp.active,
    };
  }

  now(): number {
    return this.scheduler.now();
  }

  /** The alarm fired: the due jobs' work, then the alarm armed for the next. */
  async alarm(): Promise<void> {
    const lagMs = this.scheduler.fired();
    if (lagMs !== undefined) this.deps.counters.alarmLag.observe(lagMs / 1000);
    try {
      if (!this.deps.crashed()) await this.runDue();
    } catch (error) {
      // Never into the platform's retry loop: the next period retries on its own.
      this.deps.logger.log("error", "alarm_failed", { error });
    } finally {
      this.arm();
    }
  }

  /** The node started (or resumed) its periodic work. */
  started(): void {
    this.rules.started(this.now());
    this.arm();
  }

  /** The node left: its periodic jobs stop, a catch-up pass with them (it would never step again, and say "joining" for ever). */
  left(): void {
    this.deps.catchUp.abandon();
    this.rules.left();
    this.arm();
  }

  /** Back from a crash: repair at once. */
  recovered(): void {
    this.rules.recovered(this.now());
    this.arm();
  }

  /** Starts (or widens) this node's catch-up pass, and runs its first step at once. */
  beginCatchUp(reason: "joining" | "recovering"): void {
    this.deps.refreshRing();
    const running = this.deps.catchUp.active;
    this.deps.catchUp.begin(reason, this.peers());
    // A pass already running keeps its reason (a recovery rejoins through `join`): logged once, as it began.
    if (!running) this.deps.logger.log("info", "catch_up_started", { reason });
    this.rules.catchUpBegun(this.now());
    this.arm();
  }

  /** Coalesces a burst of ring changes (a join gossiped by several members) into one sweep a period later. */
  rebalanceSoon(): void {
    this.deps.rebalancer.restartSweep();
    this.rules.membershipChanged(this.now());
  }

  /** Arms the alarm for the earliest job, the SWIM machine's next timer included, or disarms it. */
  arm(): void {
    const at = this.rules.nextWake(this.state, this.deps.gossip.nextDeadline());
    if (at === undefined) this.scheduler.disarm();
    else this.scheduler.arm(at);
  }

  /** Runs the work of the due jobs, each on its own so one that fails costs the others nothing. */
  private async runDue(): Promise<void> {
    const { gossip, handover } = this.deps;
    const now = this.now();
    const wake = this.rules.wake(now, this.state);
    if (wake.swim) await this.attempt("swim", () => gossip.wake(wake.period));
    if (wake.periodWork) {
      // A dead member's grace may have ended: the ring is rebuilt without it (and rebalanced).
      await this.attempt("ring", async () => this.deps.refreshRing());
      await this.attempt("hints", () => handover.handOver(this.deps.ring()?.members ?? [], gossip.members()));
    }
    if (wake.catchUp) await this.attempt("catch-up", () => this.catchUpStep());
    // One batch per wake, so probes and SWIM timers run between batches.
    if (wake.rebalance) this.rules.rebalanced(now, await this.attempt("rebalance", () => this.sweepStep()), gossip.active);
    if (wake.repair) await this.attempt("repair", () => this.sweepStep());
  }

  /**
   * A few pages from each peer; unless the pass is over, it goes on a quarter
   * period later (shared/jobs.ts), so probes and SWIM timers run between steps.
   * Peers this node holds dead are not called (each would cost a timeout), but
   * stay pending.
   */
  private async catchUpStep(): Promise<void> {
    const { gossip, catchUp } = this.deps;
    if (!gossip.active || !catchUp.active) return;
    this.deps.refreshRing();
    const dead = new Set(
      gossip
        .members()
        .filter((m) => m.state === "dead")
        .map((m) => m.name),
    );
    const done = await catchUp.step(this.peers(), CATCH_UP_PAGES, (peer) => !dead.has(peer));
    if (done) this.deps.logger.log("info", "caught_up", {});
    this.rules.catchUpStepped(this.now(), done);
  }

  /**
   * The other members on this node's ring: the peers a catch-up pulls from.
   * Dead ones within their grace included: this node's own verdicts may be the
   * stale ones (it was the one cut off), so only a peer off the ring is skipped.
   */
  private peers(): string[] {
    return (this.deps.ring()?.members ?? []).filter((n) => n !== this.deps.self);
  }

  /** One batch of the sweep over this node's keys; true when it finished a pass. */
  private async sweepStep(): Promise<boolean> {
    const ring = this.deps.ring();
    if (ring === undefined) return true;
    return this.deps.rebalancer.sweepStep(ring, this.deps.timing.repairBatch);
  }

  /** Runs a job, logging rather than throwing: the alarm must not enter the platform's retry loop. */
  private async attempt<T>(job: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      this.deps.logger.log("error", "job_failed", { job, error });
      return undefined;
    }
  }
}
