/**
 * What the benchmark runs: the cluster configurations (same bundle, different
 * vars), the workloads, and the quick and full plans.
 */
import type { KeyDistribution, ValueSize } from "./keys";

export type ClusterName = "quorum" | "n1" | "fetch" | "floor3" | "floor1" | "healthy" | "slow";

export interface ClusterConfig {
  readonly title: string;
  /** Overrides of wrangler.toml's vars for this configuration. */
  readonly overrides: Record<string, string>;
  /** ringkv's bundle, or the platform floor (bench/floor/worker.ts), which runs only locally and only at the ratio concurrency. */
  readonly worker?: "floor";
  /** A node held slow with the fault switch once the preload is in (local only). */
  readonly slowNode?: { readonly node: string; readonly delayMs: number };
  /** Measured only in the baseline rounds at the ratio concurrency (uniform keys, 100 B). */
  readonly ratioOnly?: true;
}

/** The admin token of the clusters whose fault switch the benchmark uses. */
export const BENCH_ADMIN_TOKEN = "ringkv-bench-admin";

/** The vars that turn the fault switch on, with the benchmark's admin token. */
export const FAULT_SWITCH_VARS = { FAULTS_ENABLED: "true", ADMIN_TOKEN: BENCH_ADMIN_TOKEN } as const;

/**
 * quorum: the product as configured (N=3, R=2, W=2, Workers RPC).
 * n1: one replica per key, R=1, W=1: the floor cost of one object hop.
 * fetch: quorum over stub.fetch to the node's internal HTTP API.
 * floor3, floor1: the platform floor, the same requests with no ringkv code,
 * asking 2 of 3 objects (reads) or writing 3 and waiting for 2, against one
 * object: the best quorum / N=1 ratio the runtime allows on this machine.
 * healthy, slow: quorum with the fault switch on, alike in vars and key space;
 * in slow, node-2 answers every call 2 s late. Measured in the same rounds,
 * slow against healthy is what one slow replica costs.
 * All ringkv ones keep READ_REPAIR_CHANCE from wrangler.toml (0.1) unless it is overridden.
 */
export const CLUSTERS: Record<ClusterName, ClusterConfig> = {
  quorum: { title: "N=3 R=2 W=2, RPC", overrides: { REPLICA_TRANSPORT: "rpc" } },
  n1: { title: "N=1 R=1 W=1, RPC", overrides: { REPLICAS: "1", READ_QUORUM: "1", WRITE_QUORUM: "1", REPLICA_TRANSPORT: "rpc" } },
  fetch: { title: "N=3 R=2 W=2, stub.fetch", overrides: { REPLICA_TRANSPORT: "fetch" } },
  floor3: { title: "platform floor, 3 objects, 2 answers", overrides: { REPLICAS: "3", QUORUM: "2" }, worker: "floor", ratioOnly: true },
  floor1: { title: "platform floor, 1 object", overrides: { REPLICAS: "1", QUORUM: "1" }, worker: "floor", ratioOnly: true },
  healthy: {
    title: "N=3 R=2 W=2, RPC, fault switch on, no fault",
    overrides: { REPLICA_TRANSPORT: "rpc", ...FAULT_SWITCH_VARS },
    ratioOnly: true,
  },
  slow: {
    title: "N=3 R=2 W=2, RPC, node-2 held 2,000 ms slow",
    overrides: { REPLICA_TRANSPORT: "rpc", ...FAULT_SWITCH_VARS },
    slowNode: { node: "node-2", delayMs: 2000 },
    ratioOnly: true,
  },
};

export type Mix = "read" | "write" | "90/10" | "50/50" | "noop";

export const READ_SHARE: Record<Mix, number> = { read: 1, write: 0, "90/10": 0.9, "50/50": 0.5, noop: 1 };

export interface Workload {
  /** noop: GET /health (a real route that touches no node): the platform's ceiling. */
  readonly mix: Mix;
  readonly distribution: KeyDistribution;
  readonly valueSize: ValueSize;
  readonly connections: number;
}

export interface PlannedRun extends Workload {
  readonly cluster: ClusterName;
  /** Which part of the report the run belongs to. */
  readonly phase: "matrix" | "baseline";
  /** For baseline runs: the round (runs of one round are interleaved A/B/C). */
  readonly round?: number;
}

export function runName(run: Workload & { cluster: ClusterName }): string {
  if (run.mix === "noop") return `noop/health/c${run.connections}`;
  const size = run.valueSize === 100 ? "100B" : "10KiB";
  return `${run.cluster}/${run.mix}/${run.distribution}/${size}/c${run.connections}`;
}

export interface Plan {
  readonly mode: "quick" | "full";
  readonly warmupSec: number;
  readonly durationSec: number;
  /** Baseline runs are shorter and repeated in interleaved rounds. */
  readonly baselineDurationSec: number;
  /** Rounds at the ratio concurrency, where the targets are judged; other concurrencies get `otherRounds`. */
  readonly rounds: number;
  readonly otherRounds: number;
  /** Key space per value size. */
  readonly keys: Record<ValueSize, number>;
  readonly runs: readonly PlannedRun[];
  /** The concurrency the ratios and targets are judged at. */
  readonly ratioConnections: number;
  /** Pause after each run, for background work (the third write, read repair) to drain. */
  readonly pauseMs: number;
}

/** The concurrency at which the ratios and targets are judged. */
const RATIO_CONNECTIONS = 32;

const MIXES: readonly Mix[] = ["read", "write", "90/10", "50/50"];
const DISTRIBUTIONS: readonly KeyDistribution[] = ["uniform", "zipf"];
const SIZES: readonly ValueSize[] = [100, 10240];

/**
 * Baselines: at each concurrency, the no-op route, then reads and writes on
 * quorum, N=1 and fetch back to back (uniform keys, 100 B), repeated for
 * rounds; at the ratio concurrency also the platform floor, the healthy and
 * slow pair and quorum's 90/10 mix. Interleaving means slow drift of the machine (other tenants,
 * thermal, GC of a long-lived process) hits every configuration alike, and
 * each ratio is taken within one round. The ratio concurrency gets more rounds
 * than the others (which show the shape against concurrency): on a shared
 * machine one round's ratio can be twice another's, and the targets are
 * judged on the median.
 */
function baselines(concurrencies: readonly number[], rounds: number, otherRounds: number, clusters: readonly ClusterName[]): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (let round = 0; round < Math.max(rounds, otherRounds); round++) {
    for (const connections of concurrencies) {
      if (round >= (connections === RATIO_CONNECTIONS ? rounds : otherRounds)) continue;
      runs.push({ phase: "baseline", round, cluster: "quorum", mix: "noop", distribution: "uniform", valueSize: 100, connections });
      for (const mix of ["read", "write"] as const) {
        for (const cluster of clusters) {
          if (CLUSTERS[cluster].ratioOnly === true && connections !== RATIO_CONNECTIONS) continue;
          runs.push({ phase: "baseline", round, cluster, mix, distribution: "uniform", valueSize: 100, connections });
        }
      }
      // The mix whose tail is judged against the read-only tail of the same round.
      if (connections === RATIO_CONNECTIONS && clusters.includes("quorum")) {
        runs.push({ phase: "baseline", round, cluster: "quorum", mix: "90/10", distribution: "uniform", valueSize: 100, connections });
      }
    }
  }
  return runs;
}

export function plan(mode: "quick" | "full", clusters: readonly ClusterName[]): Plan {
  if (mode === "quick") {
    // Under a minute: the ratio baselines at 32 connections in two rounds, and two mixes.
    const runs: PlannedRun[] = [
      ...baselines([RATIO_CONNECTIONS], 2, 0, clusters),
      { phase: "matrix", cluster: "quorum", mix: "90/10", distribution: "zipf", valueSize: 100, connections: 32 },
      { phase: "matrix", cluster: "quorum", mix: "50/50", distribution: "uniform", valueSize: 10240, connections: 32 },
    ];
    return {
      mode,
      warmupSec: 0.4,
      durationSec: 1.5,
      baselineDurationSec: 1.25,
      rounds: 2,
      otherRounds: 0,
      keys: { 100: 500, 10240: 200 },
      runs,
      ratioConnections: RATIO_CONNECTIONS,
      pauseMs: 100,
    };
  }
  const matrix: PlannedRun[] = [];
  for (const mix of MIXES) {
    for (const distribution of DISTRIBUTIONS) {
      for (const valueSize of SIZES) {
        for (const connections of [1, 8, 32, 128]) {
          matrix.push({ phase: "matrix", cluster: "quorum", mix, distribution, valueSize, connections });
        }
      }
    }
  }
  return {
    mode,
    warmupSec: 1,
    durationSec: 4,
    baselineDurationSec: 3,
    rounds: 5,
    otherRounds: 2,
    keys: { 100: 10_000, 10240: 2_000 },
    runs: [...baselines([1, 8, RATIO_CONNECTIONS, 128], 5, 2, clusters), ...matrix],
    ratioConnections: RATIO_CONNECTIONS,
    pauseMs: 300,
  };
}
