import { DEFAULT_SWIM_CONFIG, type MemberState, type SwimConfig, type SwimSnapshot } from "../shared/swim";
import { SimCluster } from "./cluster";
import type { NetworkOptions } from "./network";
import { Rng } from "./random";
import { mean } from "./stats";

export interface DetectionOptions {
  readonly size: number;
  readonly seed: number;
  /** Rounds of crashes, one after the other; even rounds at a period boundary, odd ones at a random instant. */
  readonly trials: number;
  /**
   * Members crashed together in each round. Their detections barely interact
   * (a handful among thousands), so a large cluster yields many samples per
   * simulated minute.
   */
  readonly crashesPerTrial?: number;
  readonly config?: SwimConfig;
  readonly network?: Partial<NetworkOptions>;
  readonly warmupPeriods?: number;
  /** Give up on a round (and report what was seen) after this long. */
  readonly maxPeriodsPerTrial?: number;
}

/** One crash, all times in protocol periods. */
export interface CrashSample {
  readonly member: string;
  /** Crashed just before a period boundary (SWIM's model) rather than at a random instant. */
  readonly atBoundary: boolean;
  /** Crash to the first member marking it suspect. */
  readonly firstDetection: number | undefined;
  /** First suspicion to every live member holding it suspect or dead: how fast gossip spreads. */
  readonly dissemination: number | undefined;
  /** Crash to every live member holding it dead. */
  readonly deadEverywhere: number | undefined;
}

export interface DetectionResult {
  readonly size: number;
  readonly samples: readonly CrashSample[];
  /** Means over the samples that got that far, in periods. */
  readonly firstDetectionAtBoundary: number;
  readonly firstDetectionAtRandom: number;
  readonly dissemination: number;
  readonly deadEverywhere: number;
  /** Samples that did not reach "dead everywhere" in time (should be 0). */
  readonly incomplete: number;
}

interface Watch {
  readonly member: string;
  readonly atBoundary: boolean;
  readonly crashedAt: number;
  /** Live members that must learn of the crash. */
  readonly live: number;
  readonly aware: Set<number>;
  readonly dead: Set<number>;
  firstSuspicion?: number;
  everyoneAware?: number;
  everyoneDead?: number;
}

/**
 * Crash members in an otherwise healthy cluster and time how the failure is
 * detected and spread. Periods are aligned across members, as in SWIM's
 * analysis: for a crash just before a boundary, the expected time to the first
 * suspicion is e/(e-1) ~ 1.58 periods (the first period in which anyone picks
 * the member, plus that period to conclude); a crash at a random instant waits
 * half a period more on average for the next boundary.
 */
export function runDetection(options: DetectionOptions): DetectionResult {
  const config = options.config ?? DEFAULT_SWIM_CONFIG;
  const cluster = new SimCluster({ size: options.size, seed: options.seed, config, network: options.network ?? {}, alignedPeriods: true });
  const rng = new Rng(options.seed ^ 0x5eed);
  const period = cluster.period;
  const maxMs = (options.maxPeriodsPerTrial ?? 200) * period;
  cluster.runFor((options.warmupPeriods ?? 5) * period);

  const watches = new Map<string, Watch>();
  cluster.observe((observer, event) => {
    const watch = watches.get(event.member);
    if (watch === undefined || !cluster.isUp(observer) || (event.type !== "suspect" && event.type !== "dead")) return;
    if (event.type === "suspect") watch.firstSuspicion ??= cluster.now;
    watch.aware.add(observer);
    if (watch.aware.size === watch.live) watch.everyoneAware ??= cluster.now;
    if (event.type === "dead") {
      watch.dead.add(observer);
      if (watch.dead.size === watch.live) watch.everyoneDead = cluster.now;
    }
  });

  const samples: CrashSample[] = [];
  for (let t = 0; t < options.trials; t++) {
    const atBoundary = t % 2 === 0;
    const nextBoundary = (Math.floor(cluster.now / period) + 1) * period;
    const crashedAt = atBoundary ? nextBoundary - 1 : nextBoundary + rng.next() * period;
    cluster.runUntil(crashedAt);
    const live = cluster.liveIndices();
    const victims = new Set<number>();
    while (victims.size < Math.min(options.crashesPerTrial ?? 1, live.length - 1)) victims.add(live[rng.int(live.length)]!);
    const snapshots = new Map<number, SwimSnapshot>();
    for (const victim of victims) {
      snapshots.set(victim, cluster.crash(victim));
      const member = cluster.names[victim]!;
      watches.set(member, { member, atBoundary, crashedAt, live: live.length - victims.size, aware: new Set(), dead: new Set() });
    }
    const done = () => [...watches.values()].every((w) => w.everyoneDead !== undefined);
    while (!done() && cluster.now < crashedAt + maxMs) cluster.runFor(period);
    for (const w of watches.values()) samples.push(sample(w, period));
    watches.clear();
    // Small clusters would run out of members: bring the victims back from their
    // persisted state. A large one just loses a few (restarting costs full syncs).
    if ((options.trials * victims.size) / options.size > 0.1) {
      const introducer = cluster.names[cluster.liveIndices()[0]!]!;
      for (const victim of victims) cluster.restart(victim, snapshots.get(victim), [introducer]);
      const back = () => [...victims].every((v) => everyoneSees(cluster, cluster.names[v]!, "alive"));
      while (!back() && cluster.now < crashedAt + 2 * maxMs) cluster.runFor(period);
    }
  }
  const of = (pick: (s: CrashSample) => number | undefined, which: readonly CrashSample[] = samples) =>
    mean(which.map(pick).filter((x): x is number => x !== undefined));
  return {
    size: options.size,
    samples,
    firstDetectionAtBoundary: of(
      (s) => s.firstDetection,
      samples.filter((s) => s.atBoundary),
    ),
    firstDetectionAtRandom: of(
      (s) => s.firstDetection,
      samples.filter((s) => !s.atBoundary),
    ),
    dissemination: of((s) => s.dissemination),
    deadEverywhere: of((s) => s.deadEverywhere),
    incomplete: samples.filter((s) => s.deadEverywhere === undefined).length,
  };
}

/** Does every running member hold `member` in `state`? */
export function everyoneSees(cluster: SimCluster, member: string, state: MemberState): boolean {
  for (const i of cluster.liveIndices()) {
    if (cluster.names[i] !== member && cluster.member(i).member(member)?.state !== state) return false;
  }
  return true;
}

function sample(w: Watch, period: number): CrashSample {
  const periods = (from: number | undefined, to: number | undefined) =>
    from === undefined || to === undefined ? undefined : (to - from) / period;
  return {
    member: w.member,
    atBoundary: w.atBoundary,
    firstDetection: periods(w.crashedAt, w.firstSuspicion),
    dissemination: periods(w.firstSuspicion, w.everyoneAware),
    deadEverywhere: periods(w.crashedAt, w.everyoneDead),
  };
}
