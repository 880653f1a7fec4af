import { describe, expect, it } from "vitest";
import { computeRatios, failedRequests, targets, type RunRecord } from "../../bench/analysis";
import type { ClusterName, Mix } from "../../bench/workloads";

function run(cluster: ClusterName, mix: Mix, round: number, fields: Partial<RunRecord> = {}): RunRecord {
  return {
    name: `${cluster}/${mix}@r${round}`,
    workload: `${cluster}/${mix}`,
    phase: "baseline",
    round,
    cluster,
    mix,
    distribution: "uniform",
    value_bytes: 100,
    connections: 32,
    rps: 1000,
    requests: 4000,
    p50_ms: 5,
    p90_ms: 10,
    p99_ms: 50,
    p999_ms: 100,
    mean_ms: 6,
    max_ms: 120,
    errors: 0,
    error_rate: 0,
    status_codes: { "200": 4000 },
    cpu: { server: 1, loadgen: 0.2, others: 0.1, machine: 0.65 },
    server_us_per_request: 500,
    window_s: 4,
    timeline: [],
    error_samples: [],
    cdf: [],
    histogram: "",
    ...fields,
  };
}

const target = (name: string, runs: RunRecord[]) => targets(computeRatios(runs, 32), runs).find((t) => t.name.startsWith(name));

describe("tail ratios", () => {
  it("judge the 90/10 tail against the read-only tail of the same round, then take the median", () => {
    const runs = [
      run("quorum", "read", 0, { p99_ms: 40, p999_ms: 80 }),
      run("quorum", "90/10", 0, { p99_ms: 80, p999_ms: 120 }),
      run("quorum", "read", 1, { p99_ms: 100, p999_ms: 200 }),
      run("quorum", "90/10", 1, { p99_ms: 110, p999_ms: 180 }),
      run("quorum", "read", 2, { p99_ms: 50, p999_ms: 100 }),
      run("quorum", "90/10", 2, { p99_ms: 60, p999_ms: 150 }),
    ];
    const { tails, detail } = computeRatios(runs, 32);
    expect(detail.c32!.mixed_p99!.perRound).toEqual([2, 1.1, 1.2]);
    expect(tails.mixed_p99).toBe(1.2);
    expect(tails.mixed_p999).toBe(1.5);
    expect(target("quorum 90/10 p99 /", runs)).toMatchObject({ value: 1.2, pass: true });
    expect(target("quorum 90/10 p99.9 /", runs)).toMatchObject({ value: 1.5, pass: true });
  });

  it("compare the slow cluster with its healthy twin, not with quorum, and count its failures and 429s", () => {
    const runs = [
      run("quorum", "read", 0, { rps: 1000, p99_ms: 400 }),
      run("healthy", "read", 0, { rps: 2000, p99_ms: 40 }),
      run("slow", "read", 0, { rps: 1200, p99_ms: 160, errors: 3, status_codes: { "200": 3997, "503": 2, "429": 1 } }),
      run("quorum", "write", 0, { p99_ms: 10 }),
      run("healthy", "write", 0, { p99_ms: 80 }),
      run("slow", "write", 0, { p99_ms: 100 }),
    ];
    expect(computeRatios(runs, 32).tails).toMatchObject({ slow_read: 0.6, slow_read_p99: 4, slow_write_p99: 1.25 });
    expect(target("one replica 2 s slow: read throughput", runs)).toMatchObject({ value: 0.6, pass: false });
    expect(target("one replica 2 s slow: read p99", runs)).toMatchObject({ value: 4, pass: false });
    expect(target("one replica 2 s slow: write p99", runs)).toMatchObject({ value: 1.25, pass: true });
    expect(target("one replica 2 s slow: failed or shed", runs)).toMatchObject({ value: 3, pass: false });
  });

  it("are n/a when the run did not measure them", () => {
    const runs = [run("quorum", "read", 0), run("n1", "read", 0)];
    expect(target("quorum 90/10 p99 /", runs)).toMatchObject({ value: null, pass: null });
    expect(target("one replica 2 s slow: failed or shed", runs)).toMatchObject({ value: null, pass: null });
    expect(target("c=128", runs)).toMatchObject({ value: null, pass: null });
  });
});

describe("failedRequests", () => {
  it("counts 429s as shed, not failed", () => {
    const runs = [
      run("quorum", "write", 0, { connections: 128, errors: 7, status_codes: { "200": 993, "429": 5, "503": 2 } }),
      run("quorum", "read", 0, { connections: 128, errors: 4, status_codes: { "200": 996, "429": 4 } }),
      run("quorum", "read", 0, { connections: 32, errors: 9, status_codes: { "500": 9 } }),
    ];
    expect(failedRequests(runs, (r) => r.connections === 128)).toEqual({ failed: 2, shed: 9 });
    expect(target("c=128", runs)).toMatchObject({ value: 2, pass: false });
  });

  it("counts connection errors, which have no status, as failed", () => {
    const runs = [run("slow", "read", 0, { errors: 2, status_codes: { "200": 100 } })];
    expect(failedRequests(runs, (r) => r.cluster === "slow")).toEqual({ failed: 2, shed: 0 });
  });
});
