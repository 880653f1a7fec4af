import { DEFAULT_SWIM_CONFIG } from "../shared/swim";
import { runDetection, type DetectionResult } from "./detection";
import { runFalsePositives, type FalsePositiveResult } from "./false-positives";
import { runHeal, type HealResult } from "./heal";

/** One independent piece of the report, small enough to run in its own process. */
export type Job =
  | { readonly kind: "detection"; readonly size: number; readonly seed: number; readonly trials: number; readonly crashesPerTrial: number }
  | {
      readonly kind: "loss";
      readonly size: number;
      readonly seed: number;
      readonly lifeguard: boolean;
      readonly phases: readonly { readonly loss: number; readonly periods: number }[];
      readonly quietPeriods: number;
    }
  | {
      readonly kind: "overloaded";
      readonly size: number;
      readonly seed: number;
      readonly lifeguard: boolean;
      readonly count: number;
      readonly backlogMs: number;
      readonly periods: number;
      readonly quietPeriods: number;
    }
  | { readonly kind: "heal"; readonly size: number; readonly seed: number; readonly trials: number; readonly refutableVerdicts: boolean };

export type JobResult =
  | { readonly job: Job & { kind: "detection" }; readonly detection: DetectionResult; readonly seconds: number }
  | { readonly job: Job & { kind: "loss" | "overloaded" }; readonly falsePositives: FalsePositiveResult; readonly seconds: number }
  | { readonly job: Job & { kind: "heal" }; readonly heal: readonly HealResult[]; readonly seconds: number };

export const LOSSES = [0, 0.01, 0.05, 0.1] as const;

/**
 * The overloaded-member scenario: 1% of the members (at least one) handle each
 * message they receive after an exponential delay with a mean of 3 protocol
 * periods, like the CPU-starved members of the Lifeguard paper's experiments.
 */
export const OVERLOAD = { fraction: 0.01, backlogMs: 3 * DEFAULT_SWIM_CONFIG.protocolPeriodMs } as const;

/**
 * Simulated durations per cluster size. A period costs O(n), so big clusters
 * run fewer periods; they also gather member-hours faster (10,000 members x 30
 * periods = 83 member-hours). A window with loss or overload must outlast
 * Lifeguard's longest suspicion (6 x 4 x log10 n periods: 72 at 1,000 members,
 * 96 at 10,000), or Lifeguard would look perfect only because no suspicion had
 * time to expire; windows at 0% and 1% loss, where suspicions are rare, are
 * shorter. At 10,000 members, 5% and 10% loss and the overloaded members are
 * not simulated: each needs 100+ periods at 1 to 5 CPU-seconds a period (the
 * overloaded run took 10 CPU-minutes per mode; docs/membership.md gives its
 * figures), and 5% and 10% are far beyond what piggybacked gossip can carry
 * there (docs/membership.md, "Capacity"); 1,000 members already show that.
 * Crashes at 10,000 come two at a time: more would compete for the six
 * piggyback slots and slow the spreading being measured. Partition-heal trials
 * stop at 1,000: with `refutableVerdicts` the isolated member needs about 290
 * periods to conclude its first death there, and each trial is 1 to 2
 * CPU-minutes.
 */
interface Scale {
  readonly size: number;
  readonly trials: number;
  readonly crashesPerTrial: number;
  /** Measured periods per loss rate; rates left out are not run. */
  readonly loss: readonly (readonly [loss: number, periods: number])[];
  /** Not run when absent. */
  readonly overloadPeriods?: number;
  readonly quietPeriods: number;
  /** Partition-heal trials (one member isolated, then healed), each mode; not run when absent. */
  readonly healTrials?: number;
}

const FULL: readonly Scale[] = [
  {
    size: 10,
    trials: 40,
    crashesPerTrial: 1,
    loss: LOSSES.map((l) => [l, 3_600] as const),
    overloadPeriods: 3_600,
    quietPeriods: 20,
    healTrials: 20,
  },
  {
    size: 100,
    trials: 60,
    crashesPerTrial: 1,
    loss: LOSSES.map((l) => [l, 1_200] as const),
    overloadPeriods: 1_200,
    quietPeriods: 20,
    healTrials: 10,
  },
  {
    size: 1_000,
    trials: 30,
    crashesPerTrial: 1,
    loss: [
      [0, 30],
      [0.01, 100],
      [0.05, 150],
      [0.1, 150],
    ],
    overloadPeriods: 150,
    quietPeriods: 10,
    healTrials: 2,
  },
  {
    size: 10_000,
    trials: 4,
    crashesPerTrial: 2,
    loss: [
      [0, 10],
      [0.01, 30],
    ],
    quietPeriods: 5,
  },
];

const QUICK: readonly Scale[] = [
  {
    size: 10,
    trials: 20,
    crashesPerTrial: 1,
    loss: LOSSES.map((l) => [l, 1_200] as const),
    overloadPeriods: 1_200,
    quietPeriods: 20,
    healTrials: 10,
  },
  {
    size: 100,
    trials: 16,
    crashesPerTrial: 1,
    loss: LOSSES.map((l) => [l, 300] as const),
    overloadPeriods: 300,
    quietPeriods: 10,
    healTrials: 3,
  },
  {
    size: 1_000,
    trials: 6,
    crashesPerTrial: 1,
    loss: [
      [0, 20],
      [0.01, 30],
      [0.05, 80],
      [0.1, 80],
    ],
    overloadPeriods: 80,
    quietPeriods: 5,
  },
];

export function plan(quick: boolean, seed: number): Job[] {
  const jobs: Job[] = [];
  for (const s of quick ? QUICK : FULL) {
    const { size, quietPeriods } = s;
    jobs.push({ kind: "detection", size, seed, trials: s.trials, crashesPerTrial: s.crashesPerTrial });
    const phases = s.loss.map(([loss, periods]) => ({ loss, periods }));
    const count = Math.max(1, Math.round(size * OVERLOAD.fraction));
    for (const lifeguard of [true, false]) {
      jobs.push({ kind: "loss", size, seed: seed + 1, lifeguard, phases, quietPeriods });
      const periods = s.overloadPeriods;
      if (periods === undefined) continue;
      jobs.push({ kind: "overloaded", size, seed: seed + 2, lifeguard, count, backlogMs: OVERLOAD.backlogMs, periods, quietPeriods });
    }
    if (s.healTrials === undefined) continue;
    for (const refutableVerdicts of [false, true]) {
      jobs.push({ kind: "heal", size, seed: seed + 3, trials: s.healTrials, refutableVerdicts });
    }
  }
  return jobs;
}

export function runJob(job: Job): JobResult {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  switch (job.kind) {
    case "detection": {
      const detection = runDetection(job);
      return { job, detection, seconds: seconds() };
    }
    case "loss": {
      const config = { ...DEFAULT_SWIM_CONFIG, lifeguard: job.lifeguard };
      const falsePositives = runFalsePositives({ ...job, config });
      return { job, falsePositives, seconds: seconds() };
    }
    case "overloaded": {
      const config = { ...DEFAULT_SWIM_CONFIG, lifeguard: job.lifeguard };
      const overloaded = { count: job.count, backlogMs: job.backlogMs };
      const phases = [{ loss: 0, periods: job.periods }];
      const falsePositives = runFalsePositives({ ...job, config, phases, overloaded });
      return { job, falsePositives, seconds: seconds() };
    }
    case "heal": {
      const config = { ...DEFAULT_SWIM_CONFIG, refutableVerdicts: job.refutableVerdicts };
      const heal = Array.from({ length: job.trials }, (_, t) => runHeal({ size: job.size, seed: job.seed + t, config }));
      return { job, heal, seconds: seconds() };
    }
  }
}
