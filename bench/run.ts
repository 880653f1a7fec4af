/**
 * npm run bench [-- --quick] [--url URL [--n1-url URL] [--fetch-url URL]] [--json FILE]
 *                  [--storage tmpfs|disk] [--out DIR] [--seed N] [--var KEY=VALUE ...]
 *
 * Load at several concurrencies against the Worker in workerd (Miniflare's API,
 * no wrangler dev proxy) or against a running deployment, with same-run
 * baselines: the no-op route GET /health, the store with N=1 (R=1, W=1), the
 * quorum over stub.fetch, and (locally) the platform floor, the same requests
 * with no ringkv code, on 3 objects and on 1. Baseline runs are interleaved in rounds and each
 * ratio is taken within a round. Writes bench/results/<timestamp>.json and .html.
 * See docs/performance.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import { computeRatios, failedRequests, summariseBaselines, targets, type RunRecord } from "./analysis";
import { buildBundle, buildFloor, holdSlow, readWranglerToml, ROOT, startCluster, workerdVersion, type LocalCluster } from "./cluster";
import { keyName, type ValueSize } from "./keys";
import { LoadGenerator } from "./loadgen-client";
import type { LoadResult } from "./loadgen";
import { renderHtml } from "./report-html";
import { bigRing, lookupKeys, measureLookups } from "./ring-lookup";
import { keyValues } from "./args";
import { CLUSTERS, plan, READ_SHARE, runName, type ClusterName, type PlannedRun } from "./workloads";

// Scenarios with a harness of their own (see each file's header).
const scenarioAt = process.argv.indexOf("--scenario");
if (scenarioAt >= 0) {
  const scenario = process.argv[scenarioAt + 1];
  if (scenario === "capacity") await import("./capacity");
  else if (scenario === "dataops") await import("./dataops");
  else throw new Error(`unknown scenario ${scenario}; known: capacity, dataops`);
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    url: { type: "string" },
    "n1-url": { type: "string" },
    "fetch-url": { type: "string" },
    json: { type: "string" },
    out: { type: "string", default: join(ROOT, "bench", "results") },
    storage: { type: "string", default: "tmpfs" },
    seed: { type: "string", default: "1" },
    /** Overrides of wrangler.toml's vars for every local configuration, KEY=VALUE (repeatable). */
    var: { type: "string", multiple: true },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(
    "npm run bench -- [--quick] [--url URL [--n1-url URL] [--fetch-url URL]] [--json FILE] [--storage tmpfs|disk] [--out DIR] [--seed N] [--var KEY=VALUE ...]",
  );
  process.exit(0);
}
if (values.storage !== "tmpfs" && values.storage !== "disk") throw new Error("--storage must be tmpfs or disk");

const started = Date.now();
const stamp = new Date(started).toISOString().replace(/[:.]/g, "-");
const mode = values.quick ? "quick" : "full";
const remote = values.url !== undefined;
const seed = Number(values.seed);
const extraVars: Record<string, string> = Object.fromEntries(keyValues(values.var, "--var"));

/** Where each configuration is served: local Miniflare instances, or the URLs given. */
const targetsByCluster = new Map<ClusterName, { url: string; pid?: number | undefined }>();
const locals: LocalCluster[] = [];
const settings = readWranglerToml();

const load = new LoadGenerator();
let interrupted = false;
process.on("SIGINT", () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.error("\ninterrupted: stopping after the current run");
});

try {
  let bundleBuildMs = 0;
  if (remote) {
    targetsByCluster.set("quorum", { url: values.url! });
    if (values["n1-url"]) targetsByCluster.set("n1", { url: values["n1-url"] });
    if (values["fetch-url"]) targetsByCluster.set("fetch", { url: values["fetch-url"] });
  } else {
    const t = Date.now();
    const scriptPath = await buildBundle();
    bundleBuildMs = Date.now() - t;
    const floorPath = buildFloor();
    for (const name of Object.keys(CLUSTERS) as ClusterName[]) {
      const floor = CLUSTERS[name].worker === "floor";
      const cluster = await startCluster({
        label: name,
        scriptPath: floor ? floorPath : scriptPath,
        settings,
        overrides: floor ? CLUSTERS[name].overrides : { ...extraVars, ...CLUSTERS[name].overrides },
        storage: values.storage as "tmpfs" | "disk",
        ...(floor && { worker: "floor" as const }),
      });
      locals.push(cluster);
      targetsByCluster.set(name, { url: cluster.url.href, pid: cluster.pid });
    }
  }
  const clusters = [...targetsByCluster.keys()];
  const thePlan = plan(mode, clusters);
  const runs = thePlan.runs.filter((r) => r.mix === "noop" || targetsByCluster.has(r.cluster));
  const estimate = runs.reduce(
    (a, r) => a + thePlan.warmupSec + (r.phase === "baseline" ? thePlan.baselineDurationSec : thePlan.durationSec) + thePlan.pauseMs / 1000,
    0,
  );
  console.log(
    `ringkv bench (${mode}): ${runs.length} runs, about ${Math.round(estimate)} s of load after the preload; ` +
      `configurations: ${clusters.map((c) => `${c} (${CLUSTERS[c].title})`).join(", ")}; ` +
      `READ_REPAIR_CHANCE=${extraVars.READ_REPAIR_CHANCE ?? settings.vars.READ_REPAIR_CHANCE ?? "default"}; storage ${remote ? "remote" : values.storage}` +
      (Object.keys(extraVars).length > 0 ? `; var overrides ${JSON.stringify(extraVars)}` : ""),
  );

  // Preload: every key of each key space once, with ?w=all so every replica holds
  // it before reads start (no read repair traffic from a cold start). Every ringkv
  // configuration holds every key space any of them runs on, so the ones a ratio
  // compares hold the same data (and their node caches the same values).
  const sizesOf = (which: (cluster: ClusterName) => boolean): ValueSize[] => [
    ...new Set(runs.filter((r) => which(r.cluster) && r.mix !== "noop").map((r) => r.valueSize)),
  ];
  const ringkvSizes = sizesOf((c) => CLUSTERS[c].worker !== "floor");
  const sizesFor = (cluster: ClusterName): ValueSize[] =>
    CLUSTERS[cluster].worker === "floor" ? sizesOf((c) => c === cluster) : ringkvSizes;
  const preloadStart = Date.now();
  for (const cluster of clusters) {
    const target = targetsByCluster.get(cluster)!;
    for (const valueSize of sizesFor(cluster)) {
      const t = Date.now();
      const result = await load.run({
        url: target.url,
        kind: "preload",
        readShare: 0,
        distribution: "uniform",
        keys: thePlan.keys[valueSize],
        valueSize,
        connections: 32,
        warmupSec: 0,
        durationSec: 0,
        seed,
        serverPid: target.pid,
      });
      const failed = result.non2xx + result.failed;
      console.log(
        `  preload ${cluster}: ${thePlan.keys[valueSize]} keys of ${valueSize} B (${keyName(valueSize, 0)}..) in ` +
          `${((Date.now() - t) / 1000).toFixed(1)} s${failed > 0 ? `, ${failed} FAILED` : ""}`,
      );
      if (failed > 0) throw new Error(`preload of ${cluster} failed for ${failed} keys: ${JSON.stringify(result.statusCodes)}`);
    }
  }
  const preloadSec = (Date.now() - preloadStart) / 1000;
  for (const cluster of clusters) {
    const slowNode = CLUSTERS[cluster].slowNode;
    if (slowNode === undefined) continue;
    await holdSlow(targetsByCluster.get(cluster)!.url, slowNode.node, slowNode.delayMs);
    console.log(`  ${cluster}: ${slowNode.node} held ${slowNode.delayMs} ms slow`);
  }

  console.log(
    `\n  ${"run".padEnd(40)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p90".padStart(8)} ${"p99".padStart(8)} ${"p99.9".padStart(8)} ${"max".padStart(8)} ${"err".padStart(5)}  cpu: workerd/loadgen/other (cores), µs/req`,
  );
  const records: RunRecord[] = [];
  for (const [i, run] of runs.entries()) {
    if (interrupted) break;
    const cluster = run.mix === "noop" ? clusters[0]! : run.cluster;
    const target = targetsByCluster.get(cluster)!;
    const result = await load.run({
      url: target.url,
      kind: run.mix === "noop" ? "health" : "store",
      readShare: READ_SHARE[run.mix],
      distribution: run.distribution,
      keys: thePlan.keys[run.valueSize],
      valueSize: run.valueSize,
      connections: run.connections,
      warmupSec: thePlan.warmupSec,
      durationSec: run.phase === "baseline" ? thePlan.baselineDurationSec : thePlan.durationSec,
      seed: seed + i,
      serverPid: target.pid,
    });
    const record = toRecord(run, result);
    records.push(record);
    console.log(`  ${line(record)}`);
    // Let background work (the third write, read repair) drain before the next run.
    await new Promise((r) => setTimeout(r, thePlan.pauseMs));
  }

  const groupCommit = await groupCommitOf(targetsByCluster);
  const ratios = computeRatios(records, thePlan.ratioConnections);
  const ring = bigRing();
  const ringLookups = mode === "quick" ? measureLookups(ring, lookupKeys(), 300, 5, 100) : measureLookups(ring, lookupKeys());
  const goals = targets(ratios, records, ringLookups);
  const baselines = summariseBaselines(records);
  const finished = Date.now();

  const report = {
    schema: 1,
    mode,
    started_at: new Date(started).toISOString(),
    duration_s: (finished - started) / 1000,
    target: remote
      ? { kind: "url", urls: Object.fromEntries([...targetsByCluster].map(([k, v]) => [k, v.url])) }
      : { kind: "miniflare", storage: values.storage },
    environment: {
      node: process.version,
      workerd: remote ? null : await workerdVersion(),
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? "unknown",
      memory_gb: Math.round(totalmem() / 2 ** 30),
      git_commit: gitCommit(),
      load_generator: "autocannon 9 (closed loop, keep-alive), own process; latencies in an HDR histogram (µs)",
    },
    settings: {
      vars: { ...settings.vars, ...extraVars },
      var_overrides: extraVars,
      clusters: Object.fromEntries(clusters.map((c) => [c, { title: CLUSTERS[c].title, overrides: CLUSTERS[c].overrides }])),
      warmup_s: thePlan.warmupSec,
      duration_s: thePlan.durationSec,
      baseline_duration_s: thePlan.baselineDurationSec,
      rounds: thePlan.rounds,
      other_rounds: thePlan.otherRounds,
      keys: thePlan.keys,
      zipf_s: 0.99,
      seed,
      bundle_build_ms: bundleBuildMs,
      preload_s: preloadSec,
    },
    runs: records,
    group_commit: groupCommit,
    baselines: baselines.map(({ representative, ...rest }) => ({ ...rest, representative: representative.name })),
    ratios,
    ring_lookups_per_s: ringLookups,
    targets: goals,
  };

  mkdirSync(resolve(values.out!), { recursive: true });
  const jsonPath = join(resolve(values.out!), `${stamp}.json`);
  const htmlPath = join(resolve(values.out!), `${stamp}.html`);
  writeFileSync(jsonPath, JSON.stringify(report, null, 1));
  if (values.json) writeFileSync(resolve(values.json), JSON.stringify(report, null, 1));
  writeFileSync(htmlPath, renderHtml(report, baselines));

  console.log(
    `\nBaselines (median of ${thePlan.rounds} interleaved rounds at c=${thePlan.ratioConnections}` +
      `${thePlan.otherRounds > 0 ? `, ${thePlan.otherRounds} at the other concurrencies` : ""}; uniform keys, 100 B values):`,
  );
  console.log(
    `  ${"workload".padEnd(34)} ${"req/s".padStart(8)} ${"(min-max)".padStart(13)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"p99.9".padStart(8)} ${"µs/req".padStart(7)}`,
  );
  for (const b of baselines) {
    console.log(
      `  ${b.name.padEnd(34)} ${b.rps.toFixed(0).padStart(8)} ${`${b.rps_min.toFixed(0)}-${b.rps_max.toFixed(0)}`.padStart(13)} ` +
        `${b.p50_ms.toFixed(2).padStart(8)} ${b.p99_ms.toFixed(2).padStart(8)} ${b.p999_ms.toFixed(2).padStart(8)} ${(b.server_us_per_request?.toFixed(0) ?? "-").padStart(7)}`,
    );
  }
  console.log(`\nRatios at c=${ratios.connections} (median of per-round ratios):`);
  const f = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));
  console.log(`  quorum / N=1 throughput: read ${f(ratios.read)}, write ${f(ratios.write)}`);
  console.log(`  quorum / N=1 p99:        read ${f(ratios.read_p99)}, write ${f(ratios.write_p99)}`);
  console.log(`  quorum / N=1 workerd CPU per request: read ${f(ratios.read_cost)}, write ${f(ratios.write_cost)}`);
  console.log(`  quorum RPC / stub.fetch throughput: read ${f(ratios.rpc_vs_fetch_read)}, write ${f(ratios.rpc_vs_fetch_write)}`);
  console.log(`  platform floor, 3 objects / 1 (no ringkv code): read ${f(ratios.floor_read)}, write ${f(ratios.floor_write)}`);
  console.log(`  ringkv's ratios as a share of the floor's: read ${f(ratios.read_vs_floor)}, write ${f(ratios.write_vs_floor)}`);
  console.log(
    `  vs no-op (GET /health): ${Object.entries(ratios.vs_noop)
      .map(([k, v]) => `${k} ${f(v)}`)
      .join(", ")}`,
  );
  const t = ratios.tails;
  console.log(`  quorum 90/10 / read-only: p99 ${f(t.mixed_p99)}, p99.9 ${f(t.mixed_p999)}`);
  console.log(
    `  one replica slow / healthy: read throughput ${f(t.slow_read)}, read p99 ${f(t.slow_read_p99)}, write p99 ${f(t.slow_write_p99)}`,
  );
  const at128 = failedRequests(records, (r) => r.connections === 128);
  if (at128 !== null) console.log(`  c=128, every workload: ${at128.failed} failed, ${at128.shed} shed with 429`);
  console.log(`  ring lookups: ${(ringLookups / 1e6).toFixed(2)} M/s (1,000 nodes x 128 virtual nodes)`);
  for (const [name, g] of Object.entries(groupCommit)) {
    console.log(`  group commit, ${name}: ${g.writes} replica writes in ${g.commits} commits (${f(g.writes_per_commit)} per commit)`);
  }
  console.log("\nTargets:");
  for (const t of goals) {
    const value = t.value === null ? "n/a" : t.value >= 1000 ? `${(t.value / 1e6).toFixed(2)} M/s` : t.value.toFixed(3);
    console.log(`  ${t.pass === null ? "n/a " : t.pass ? "PASS" : "MISS"}  ${t.name}: ${value} (goal ${t.goal})`);
  }
  const all = failedRequests(records, () => true) ?? { failed: 0, shed: 0 };
  console.log(
    `\n${records.length} runs, ${all.failed} failed requests, ${all.shed} shed with 429, ${((finished - started) / 1000).toFixed(0)} s in all.`,
  );
  console.log(`Results: ${jsonPath}\nReport:  ${htmlPath}${values.json ? `\nJSON:    ${resolve(values.json)}` : ""}`);
} finally {
  load.close();
  await Promise.all(locals.map((c) => c.dispose()));
}

// A full local run ends with the capacity scenario (bench/capacity.ts, with its defaults), on its own
// clusters once the ones above are gone, its figures next to the run's.
if (mode === "full" && !remote && !interrupted) {
  const capacityJson = join(resolve(values.out!), `${stamp}-capacity.json`);
  console.log("\nCapacity scenario (bench/capacity.ts) ...");
  execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "bench/capacity.ts"), "--floor", "--json", capacityJson], {
    stdio: "inherit",
  });
  console.log(`Capacity: ${capacityJson}`);
}

function toRecord(run: PlannedRun, result: LoadResult): RunRecord {
  const errors = result.non2xx + result.failed;
  const attempted = result.requests + result.failed;
  const server = result.cpu.server;
  const othersCores = server === null ? null : Math.max(0, result.cpu.machine * result.cpu.cores - server - result.cpu.loadgen);
  return {
    name: runName(run) + (run.phase === "baseline" ? `@r${run.round}` : ""),
    workload: runName(run),
    phase: run.phase,
    round: run.round ?? null,
    cluster: run.mix === "noop" ? "noop" : run.cluster,
    mix: run.mix,
    distribution: run.distribution,
    value_bytes: run.valueSize,
    connections: run.connections,
    rps: round(result.rps, 1),
    requests: result.requests,
    p50_ms: result.latency.p50_ms,
    p90_ms: result.latency.p90_ms,
    p99_ms: result.latency.p99_ms,
    p999_ms: result.latency.p999_ms,
    mean_ms: round(result.latency.mean_ms, 3),
    max_ms: result.latency.max_ms,
    errors,
    error_rate: attempted > 0 ? errors / attempted : 0,
    status_codes: result.statusCodes,
    cpu: {
      server: server === null ? null : round(server, 3),
      loadgen: round(result.cpu.loadgen, 3),
      others: othersCores === null ? null : round(othersCores, 3),
      machine: round(result.cpu.machine, 3),
    },
    server_us_per_request: server === null || result.requests === 0 ? null : round((server * result.windowSec * 1e6) / result.requests, 1),
    window_s: round(result.windowSec, 3),
    timeline: result.timeline,
    error_samples: result.errorSamples,
    cdf: result.latency.cdf,
    histogram: result.histogram,
  };
}

function line(r: RunRecord): string {
  const n = (x: number, d = 2) => x.toFixed(d).padStart(8);
  const cpu = `${r.cpu.server?.toFixed(2) ?? "-"}/${r.cpu.loadgen.toFixed(2)}/${r.cpu.others?.toFixed(2) ?? "-"}`;
  return (
    `${r.name.padEnd(40)} ${n(r.rps, 0)} ${n(r.p50_ms)} ${n(r.p90_ms)} ${n(r.p99_ms)} ${n(r.p999_ms)} ${n(r.max_ms)} ${String(r.errors).padStart(5)}  ` +
    `${cpu.padEnd(15)} ${r.server_us_per_request?.toFixed(0) ?? "-"}` +
    (r.errors > 0
      ? `  status ${JSON.stringify(Object.fromEntries(Object.entries(r.status_codes).filter(([c]) => !c.startsWith("2"))))}`
      : "")
  );
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function gitCommit(): string | null {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
    return dirty ? `${head}+changes` : head;
  } catch {
    return null;
  }
}

/**
 * How many replica writes each configuration's nodes took per storage commit
 * over the whole run (GET /cluster, summed over nodes): the effect of group
 * commit under this load. Skipped for a target that does not answer.
 */
interface GroupCommitTotals {
  readonly writes: number;
  readonly commits: number;
  readonly writes_per_commit: number;
}

async function groupCommitOf(targets: ReadonlyMap<ClusterName, { url: string }>): Promise<Record<string, GroupCommitTotals>> {
  const out: Record<string, GroupCommitTotals> = {};
  for (const [name, { url }] of targets) {
    if (CLUSTERS[name].worker === "floor") continue; // no group commit, no /cluster
    try {
      const body = (await (await fetch(new URL("cluster", url))).json()) as {
        nodes: { groupCommit?: { writes: number; commits: number } }[];
      };
      const writes = body.nodes.reduce((sum, n) => sum + (n.groupCommit?.writes ?? 0), 0);
      const commits = body.nodes.reduce((sum, n) => sum + (n.groupCommit?.commits ?? 0), 0);
      if (commits > 0) out[name] = { writes, commits, writes_per_commit: writes / commits };
    } catch {
      // A remote deployment of an older version, or one that is down: nothing to report.
    }
  }
  return out;
}
