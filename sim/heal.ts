import { DEFAULT_SWIM_CONFIG, type SwimConfig } from "../shared/swim";
import { SimCluster } from "./cluster";
import { everyoneSees } from "./detection";

export interface HealOptions {
  readonly size: number;
  readonly seed: number;
  readonly config?: SwimConfig;
  /** Give up isolating after this many periods (the result then says so). */
  readonly maxIsolationPeriods?: number;
  /** Periods watched after the network heals. */
  readonly healPeriods?: number;
}

export interface HealResult {
  readonly size: number;
  readonly refutableVerdicts: boolean;
  /**
   * Periods the member was cut off: until every other member held it dead and
   * it held at least one of them dead. Undefined if that did not happen within
   * the limit (the rest of the result is then meaningless).
   */
  readonly isolationPeriods: number | undefined;
  /** Members the isolated member held dead when the network healed. */
  readonly concludedWhileIsolated: number;
  /**
   * Never-partitioned members declared dead by anyone after the heal, or by a
   * never-partitioned member at any time: each counted once. Target: 0.
   */
  readonly healthyDeclaredDead: number;
  /** Heal until every member holds every member alive; undefined if not within the window. */
  readonly healedPeriods: number | undefined;
}

/**
 * One member is cut off from all the others until each side has declared the
 * other dead, then the network heals. Counts the healthy members that the
 * returning member's stale verdicts get declared dead: the failure of issue 9.
 */
export function runHeal(options: HealOptions): HealResult {
  const config = options.config ?? DEFAULT_SWIM_CONFIG;
  const cluster = new SimCluster({ size: options.size, seed: options.seed, config });
  const n = cluster.size;
  const isolated = n - 1;
  const name = cluster.names[isolated]!;
  cluster.runFor(5 * cluster.period);

  let healedAt = Infinity;
  let concluded = 0;
  const falseDead = new Set<string>();
  cluster.observe((observer, event) => {
    if (event.type !== "dead" || event.member === name) return;
    if (observer === isolated && cluster.now < healedAt) concluded++;
    else falseDead.add(event.member);
  });

  cluster.network.split(Int32Array.from({ length: n }, (_, i) => (i === isolated ? 1 : 0)));
  const isolationPeriods = periodsUntil(
    cluster,
    () => concluded > 0 && everyoneSees(cluster, name, "dead"),
    options.maxIsolationPeriods ?? 600,
  );
  const concludedWhileIsolated = countDeadIn(cluster, isolated);
  healedAt = cluster.now;
  cluster.network.split(undefined);
  const healedPeriods = periodsUntil(cluster, () => allAlive(cluster), options.healPeriods ?? 120);
  const rest = (options.healPeriods ?? 120) - (healedPeriods ?? 0);
  // Keep watching: stale verdicts may still be on their way when views first agree.
  cluster.runFor(Math.max(0, rest) * cluster.period);
  return {
    size: n,
    refutableVerdicts: config.refutableVerdicts,
    isolationPeriods,
    concludedWhileIsolated,
    healthyDeclaredDead: falseDead.size,
    healedPeriods,
  };
}

function periodsUntil(cluster: SimCluster, done: () => boolean, maxPeriods: number): number | undefined {
  const from = cluster.now;
  for (let p = 0; p < maxPeriods && !done(); p++) cluster.runFor(cluster.period);
  return done() ? (cluster.now - from) / cluster.period : undefined;
}

function countDeadIn(cluster: SimCluster, i: number): number {
  return cluster
    .member(i)
    .members()
    .filter((m) => m.state === "dead").length;
}

/** O(n) per member, so O(n^2): the whole window is checked only at the end of each period. */
function allAlive(cluster: SimCluster): boolean {
  for (let i = 0; i < cluster.size; i++) {
    for (const view of cluster.member(i).members()) if (view.state !== "alive") return false;
  }
  return true;
}
