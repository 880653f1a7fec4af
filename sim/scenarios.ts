import { DEFAULT_SWIM_CONFIG, type SwimConfig } from "../shared/swim";
import { SimCluster } from "./cluster";
import { everyoneSees } from "./detection";
import type { NetworkOptions } from "./network";

/**
 * Smaller scenarios for the behaviours the tests pin down: a member coming
 * back, a cut link, a join, a leave. Each returns times in protocol periods
 * (undefined: did not happen within the limit).
 */
export interface ScenarioOptions {
  readonly size: number;
  readonly seed: number;
  readonly config?: SwimConfig;
  readonly network?: Partial<NetworkOptions>;
  readonly maxPeriods?: number;
}

function start(options: ScenarioOptions): SimCluster {
  const config = options.config ?? DEFAULT_SWIM_CONFIG;
  const cluster = new SimCluster({ size: options.size, seed: options.seed, config, network: options.network ?? {} });
  cluster.runFor(5 * cluster.period);
  return cluster;
}

/** Runs period by period until `done`; the periods it took, or undefined at the limit. */
function periodsUntil(cluster: SimCluster, done: () => boolean, maxPeriods: number): number | undefined {
  const from = cluster.now;
  for (let p = 0; p < maxPeriods; p++) {
    if (done()) return (cluster.now - from) / cluster.period;
    cluster.runFor(cluster.period);
  }
  return done() ? maxPeriods : undefined;
}

export interface RecoveryResult {
  /** Crash until every running member holds it dead. */
  readonly deadEverywhere: number | undefined;
  /** Restart until every running member holds it alive again. */
  readonly aliveEverywhere: number | undefined;
  readonly incarnationBefore: number;
  readonly incarnationAfter: number;
}

/**
 * A member crashes, is declared dead, and restarts: from its persisted
 * snapshot, or with no memory at all (joining through an introducer).
 */
export function runRecovery(options: ScenarioOptions & { readonly memory: "snapshot" | "none" }): RecoveryResult {
  const cluster = start(options);
  const max = options.maxPeriods ?? 200;
  const victim = 1;
  const name = cluster.names[victim]!;
  const incarnationBefore = cluster.member(victim).incarnation;
  const saved = cluster.crash(victim);
  const deadEverywhere = periodsUntil(cluster, () => everyoneSees(cluster, name, "dead"), max);
  cluster.restart(victim, options.memory === "snapshot" ? saved : undefined, [cluster.names[0]!]);
  const aliveEverywhere = periodsUntil(cluster, () => everyoneSees(cluster, name, "alive"), max);
  return { deadEverywhere, aliveEverywhere, incarnationBefore, incarnationAfter: cluster.member(victim).incarnation };
}

export interface CutLinkResult {
  readonly periods: number;
  /** Times either end of the cut link was suspected, or declared dead, by anyone. */
  readonly suspicions: number;
  readonly deaths: number;
}

/** Two members cannot reach each other directly but everyone else can reach both. */
export function runCutLink(options: ScenarioOptions & { readonly periods: number }): CutLinkResult {
  const cluster = start(options);
  const [a, b] = [0, 1];
  cluster.network.cutLink(a, b);
  let suspicions = 0;
  let deaths = 0;
  cluster.observe((_observer, event) => {
    if (event.member !== cluster.names[a] && event.member !== cluster.names[b]) return;
    if (event.type === "suspect") suspicions++;
    if (event.type === "dead") deaths++;
  });
  cluster.runFor(options.periods * cluster.period);
  return { periods: options.periods, suspicions, deaths };
}

export interface JoinResult {
  /** Until every member holds the newcomer alive. */
  readonly knownEverywhere: number | undefined;
  /** Members the newcomer itself knows, itself included, at the end. */
  readonly newcomerKnows: number;
}

/** A member that knows only one introducer joins a running cluster. */
export function runJoin(options: ScenarioOptions): JoinResult {
  const cluster = start(options);
  const newcomer = cluster.join("newcomer", [cluster.names[0]!]);
  const knownEverywhere = periodsUntil(cluster, () => everyoneSees(cluster, "newcomer", "alive"), options.maxPeriods ?? 100);
  const newcomerKnows = cluster
    .member(newcomer)
    .members()
    .filter((m) => m.state === "alive").length;
  return { knownEverywhere, newcomerKnows };
}

/** A member leaves gracefully: until every member holds it left (and none ever held it dead). */
export function runLeave(options: ScenarioOptions): { readonly leftEverywhere: number | undefined; readonly declaredDead: number } {
  const cluster = start(options);
  const leaver = 1;
  const name = cluster.names[leaver]!;
  let declaredDead = 0;
  cluster.observe((_observer, event) => {
    if (event.member === name && event.type === "dead") declaredDead++;
  });
  cluster.leave(leaver);
  const leftEverywhere = periodsUntil(cluster, () => everyoneSees(cluster, name, "left"), options.maxPeriods ?? 100);
  // Keep going: nothing should turn the departed member back into anything else.
  cluster.runFor(30 * cluster.period);
  return { leftEverywhere: everyoneSees(cluster, name, "left") ? leftEverywhere : undefined, declaredDead };
}

export interface PartitionResult {
  /** Pairs (observer, member) where the observer did not hold the member alive, when the partition ended. */
  readonly splitPairs: number;
  /** Partition end until every member holds every other alive again. */
  readonly healed: number | undefined;
}

/**
 * The cluster splits in two halves long enough for each to declare the other
 * dead, then the network heals. Nothing but the protocol brings them back
 * together: push-pull with members held dead, and refutation.
 */
export function runPartition(options: ScenarioOptions & { readonly splitPeriods: number }): PartitionResult {
  const cluster = start(options);
  const n = cluster.size;
  cluster.network.split(Int32Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : 1)));
  cluster.runFor(options.splitPeriods * cluster.period);
  const notAlive = () => {
    let pairs = 0;
    for (let i = 0; i < n; i++)
      for (const name of cluster.names) if (name !== cluster.names[i] && cluster.member(i).member(name)?.state !== "alive") pairs++;
    return pairs;
  };
  const splitPairs = notAlive();
  cluster.network.split(undefined);
  return { splitPairs, healed: periodsUntil(cluster, () => notAlive() === 0, options.maxPeriods ?? 300) };
}
