/**
 * From runs to conclusions: the baseline medians, the ratios (each taken within
 * one interleaved round, then the median over rounds), and the targets.
 */
import type { ClusterName, Mix } from "./workloads";

export interface RunRecord {
  /** The workload and, for baseline runs, the round: `quorum/read/uniform/100B/c32@r1`. */
  readonly name: string;
  /** The workload without the round. */
  readonly workload: string;
  readonly phase: "matrix" | "baseline";
  readonly round: number | null;
  readonly cluster: ClusterName | "noop";
  readonly mix: Mix;
  readonly distribution: string;
  readonly value_bytes: number;
  readonly connections: number;
  readonly rps: number;
  readonly requests: number;
  readonly p50_ms: number;
  readonly p90_ms: number;
  readonly p99_ms: number;
  readonly p999_ms: number;
  readonly mean_ms: number;
  readonly max_ms: number;
  /** Requests that failed: non-2xx answers plus connection errors and timeouts. */
  readonly errors: number;
  readonly error_rate: number;
  readonly status_codes: Readonly<Record<string, number>>;
  /** Cores' worth of CPU: workerd, the load generator, and everything else on the machine. */
  readonly cpu: { readonly server: number | null; readonly loadgen: number; readonly others: number | null; readonly machine: number };
  /** workerd CPU time per request, in µs: the cost that does not depend on how much CPU was free. */
  readonly server_us_per_request: number | null;
  readonly window_s: number;
  /** [start ms, responses, worst latency ms] per 250 ms slice of the window. */
  readonly timeline: readonly (readonly [number, number, number])[];
  /** Up to five non-2xx answers: status and the start of the body. */
  readonly error_samples: readonly string[];
  readonly cdf: readonly (readonly [number, number])[];
  readonly histogram: string;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The baseline runs of one workload across rounds, summarised by medians. */
export interface BaselineSummary {
  readonly name: string;
  readonly cluster: ClusterName | "noop";
  readonly mix: Mix;
  readonly connections: number;
  readonly rounds: number;
  readonly rps: number;
  readonly rps_min: number;
  readonly rps_max: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly p999_ms: number;
  readonly errors: number;
  readonly server_us_per_request: number | null;
  /** The round whose throughput is the median: its CDF stands for the workload. */
  readonly representative: RunRecord;
}

export function summariseBaselines(runs: readonly RunRecord[]): BaselineSummary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const run of runs) {
    if (run.phase !== "baseline") continue;
    const list = groups.get(run.workload) ?? [];
    list.push(run);
    groups.set(run.workload, list);
  }
  return [...groups.entries()].map(([name, list]) => {
    const byRps = [...list].sort((a, b) => a.rps - b.rps);
    const costs = list.map((r) => r.server_us_per_request).filter((c): c is number => c !== null);
    return {
      name,
      cluster: list[0]!.cluster,
      mix: list[0]!.mix,
      connections: list[0]!.connections,
      rounds: list.length,
      rps: median(list.map((r) => r.rps)),
      rps_min: byRps[0]!.rps,
      rps_max: byRps[byRps.length - 1]!.rps,
      p50_ms: median(list.map((r) => r.p50_ms)),
      p99_ms: median(list.map((r) => r.p99_ms)),
      p999_ms: median(list.map((r) => r.p999_ms)),
      errors: list.reduce((a, r) => a + r.errors, 0),
      server_us_per_request: costs.length > 0 ? median(costs) : null,
      representative: byRps[(byRps.length - 1) >> 1]!,
    };
  });
}

export interface Ratio {
  /** Median over rounds of the per-round ratio. */
  readonly value: number;
  readonly perRound: readonly number[];
}

/** a/b of `metric` for two baseline workloads, per round, then the median. */
export function ratio(
  runs: readonly RunRecord[],
  a: { cluster: ClusterName | "noop"; mix: Mix },
  b: { cluster: ClusterName | "noop"; mix: Mix },
  connections: number,
  metric: (r: RunRecord) => number | null,
): Ratio | null {
  const pick = (w: { cluster: ClusterName | "noop"; mix: Mix }) =>
    new Map(
      runs
        .filter((r) => r.phase === "baseline" && r.cluster === w.cluster && r.mix === w.mix && r.connections === connections)
        .map((r) => [r.round, r]),
    );
  const left = pick(a);
  const right = pick(b);
  const perRound: number[] = [];
  for (const [round, ra] of left) {
    const rb = right.get(round);
    const x = metric(ra);
    const y = rb === undefined ? null : metric(rb);
    if (x !== null && y !== null && y > 0) perRound.push(x / y);
  }
  return perRound.length === 0 ? null : { value: median(perRound), perRound };
}

export interface Ratios {
  /** Throughput, quorum / N=1, at the ratio concurrency: the issue's `ratios.read` and `ratios.write`. */
  readonly read: number | null;
  readonly write: number | null;
  /** p99, quorum / N=1, at the ratio concurrency. */
  readonly read_p99: number | null;
  readonly write_p99: number | null;
  /** Throughput, quorum over RPC / quorum over stub.fetch. */
  readonly rpc_vs_fetch_read: number | null;
  readonly rpc_vs_fetch_write: number | null;
  /** workerd CPU per request, quorum / N=1: the same comparison by cost rather than by rate. */
  readonly read_cost: number | null;
  readonly write_cost: number | null;
  /**
   * The platform floor's own quorum / N=1 throughput ratios (no ringkv code), and
   * ringkv's ratios as a share of them: 1.0 means ringkv adds nothing to what
   * the runtime charges for the extra object calls.
   */
  readonly floor_read: number | null;
  readonly floor_write: number | null;
  readonly read_vs_floor: number | null;
  readonly write_vs_floor: number | null;
  /** Throughput of each against the no-op route (the platform's ceiling). */
  readonly vs_noop: Readonly<Record<string, number | null>>;
  /**
   * Tails at the ratio concurrency: quorum's 90/10 mix against its read-only
   * runs (p99 and p99.9), and the slow cluster against its healthy twin (read
   * throughput, read and write p99).
   */
  readonly tails: {
    readonly mixed_p99: number | null;
    readonly mixed_p999: number | null;
    readonly slow_read: number | null;
    readonly slow_read_p99: number | null;
    readonly slow_write_p99: number | null;
  };
  readonly connections: number;
  /** Every ratio at every concurrency measured, with its per-round values. */
  readonly detail: Readonly<Record<string, Readonly<Record<string, Ratio | null>>>>;
}

const rps = (r: RunRecord) => r.rps;
const p99 = (r: RunRecord) => r.p99_ms;
const p999 = (r: RunRecord) => r.p999_ms;
const cost = (r: RunRecord) => r.server_us_per_request;

export function computeRatios(runs: readonly RunRecord[], connections: number): Ratios {
  const detail: Record<string, Record<string, Ratio | null>> = {};
  const levels = [...new Set(runs.filter((r) => r.phase === "baseline").map((r) => r.connections))].sort((a, b) => a - b);
  for (const c of levels) {
    const noop = { cluster: "noop" as const, mix: "noop" as const };
    detail[`c${c}`] = {
      read: ratio(runs, { cluster: "quorum", mix: "read" }, { cluster: "n1", mix: "read" }, c, rps),
      write: ratio(runs, { cluster: "quorum", mix: "write" }, { cluster: "n1", mix: "write" }, c, rps),
      read_p99: ratio(runs, { cluster: "quorum", mix: "read" }, { cluster: "n1", mix: "read" }, c, p99),
      write_p99: ratio(runs, { cluster: "quorum", mix: "write" }, { cluster: "n1", mix: "write" }, c, p99),
      read_cost: ratio(runs, { cluster: "quorum", mix: "read" }, { cluster: "n1", mix: "read" }, c, cost),
      write_cost: ratio(runs, { cluster: "quorum", mix: "write" }, { cluster: "n1", mix: "write" }, c, cost),
      floor_read: ratio(runs, { cluster: "floor3", mix: "read" }, { cluster: "floor1", mix: "read" }, c, rps),
      floor_write: ratio(runs, { cluster: "floor3", mix: "write" }, { cluster: "floor1", mix: "write" }, c, rps),
      rpc_vs_fetch_read: ratio(runs, { cluster: "quorum", mix: "read" }, { cluster: "fetch", mix: "read" }, c, rps),
      rpc_vs_fetch_write: ratio(runs, { cluster: "quorum", mix: "write" }, { cluster: "fetch", mix: "write" }, c, rps),
      quorum_read_vs_noop: ratio(runs, { cluster: "quorum", mix: "read" }, noop, c, rps),
      quorum_write_vs_noop: ratio(runs, { cluster: "quorum", mix: "write" }, noop, c, rps),
      n1_read_vs_noop: ratio(runs, { cluster: "n1", mix: "read" }, noop, c, rps),
      n1_write_vs_noop: ratio(runs, { cluster: "n1", mix: "write" }, noop, c, rps),
      mixed_p99: ratio(runs, { cluster: "quorum", mix: "90/10" }, { cluster: "quorum", mix: "read" }, c, p99),
      mixed_p999: ratio(runs, { cluster: "quorum", mix: "90/10" }, { cluster: "quorum", mix: "read" }, c, p999),
      slow_read: ratio(runs, { cluster: "slow", mix: "read" }, { cluster: "healthy", mix: "read" }, c, rps),
      slow_read_p99: ratio(runs, { cluster: "slow", mix: "read" }, { cluster: "healthy", mix: "read" }, c, p99),
      slow_write_p99: ratio(runs, { cluster: "slow", mix: "write" }, { cluster: "healthy", mix: "write" }, c, p99),
    };
  }
  const at = detail[`c${connections}`] ?? {};
  const v = (name: string) => at[name]?.value ?? null;
  return {
    read: v("read"),
    write: v("write"),
    read_p99: v("read_p99"),
    write_p99: v("write_p99"),
    rpc_vs_fetch_read: v("rpc_vs_fetch_read"),
    rpc_vs_fetch_write: v("rpc_vs_fetch_write"),
    read_cost: v("read_cost"),
    write_cost: v("write_cost"),
    floor_read: v("floor_read"),
    floor_write: v("floor_write"),
    read_vs_floor: share(v("read"), v("floor_read")),
    write_vs_floor: share(v("write"), v("floor_write")),
    vs_noop: {
      quorum_read: v("quorum_read_vs_noop"),
      quorum_write: v("quorum_write_vs_noop"),
      n1_read: v("n1_read_vs_noop"),
      n1_write: v("n1_write_vs_noop"),
    },
    tails: {
      mixed_p99: v("mixed_p99"),
      mixed_p999: v("mixed_p999"),
      slow_read: v("slow_read"),
      slow_read_p99: v("slow_read_p99"),
      slow_write_p99: v("slow_write_p99"),
    },
    connections,
    detail,
  };
}

function share(x: number | null, of: number | null): number | null {
  return x === null || of === null || of === 0 ? null : x / of;
}

export interface Target {
  readonly name: string;
  readonly value: number | null;
  readonly goal: string;
  readonly pass: boolean | null;
}

/**
 * Requests that failed, not counting those shed with 429 (an answer a client is
 * told to retry, reported apart), over the runs `which` selects; null if none ran.
 */
export function failedRequests(runs: readonly RunRecord[], which: (r: RunRecord) => boolean): { failed: number; shed: number } | null {
  const picked = runs.filter(which);
  if (picked.length === 0) return null;
  const shed = picked.reduce((a, r) => a + (r.status_codes["429"] ?? 0), 0);
  return { failed: picked.reduce((a, r) => a + r.errors, 0) - shed, shed };
}

/** Every request that did not succeed, 429s included: with one replica slow, none may be shed either. */
function failedOrShed(runs: readonly RunRecord[], which: (r: RunRecord) => boolean): number | null {
  const counts = failedRequests(runs, which);
  return counts === null ? null : counts.failed + counts.shed;
}

export function targets(r: Ratios, runs: readonly RunRecord[], ringLookupsPerSecond?: number): Target[] {
  const atLeast = (name: string, value: number | null, min: number): Target => ({
    name,
    value,
    goal: `>= ${min}`,
    pass: value === null ? null : value >= min,
  });
  const atMost = (name: string, value: number | null, max: number): Target => ({
    name,
    value,
    goal: `<= ${max}`,
    pass: value === null ? null : value <= max,
  });
  const list = [
    atLeast(`quorum read throughput / N=1 (c=${r.connections})`, r.read, 0.8),
    atLeast(`quorum write throughput / N=1 (c=${r.connections})`, r.write, 0.65),
    atMost(`quorum read p99 / N=1 p99 (c=${r.connections})`, r.read_p99, 2),
    atMost(`quorum write p99 / N=1 p99 (c=${r.connections})`, r.write_p99, 2),
    atMost(`quorum 90/10 p99 / read-only p99 (c=${r.connections})`, r.tails.mixed_p99, 1.5),
    atMost(`quorum 90/10 p99.9 / read-only p99.9 (c=${r.connections})`, r.tails.mixed_p999, 2),
    atMost(`one replica 2 s slow: read p99 / healthy (c=${r.connections})`, r.tails.slow_read_p99, 3),
    atLeast(`one replica 2 s slow: read throughput / healthy (c=${r.connections})`, r.tails.slow_read, 0.7),
    atMost(`one replica 2 s slow: write p99 / healthy (c=${r.connections})`, r.tails.slow_write_p99, 1.5),
    atMost(
      "one replica 2 s slow: failed or shed requests",
      failedOrShed(runs, (run) => run.cluster === "slow"),
      0,
    ),
    atMost(
      "c=128, every workload: failed requests (429s apart)",
      failedRequests(runs, (run) => run.connections === 128)?.failed ?? null,
      0,
    ),
  ];
  if (ringLookupsPerSecond !== undefined) list.push(atLeast("ring lookups/s, 1,000 nodes x 128 vnodes", ringLookupsPerSecond, 5_000_000));
  return list;
}
