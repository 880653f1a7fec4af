/**
 * Before/after of a change, measured the way the main benchmark measures:
 *
 *   npx tsx bench/ab.ts --variant before=DIR --variant after=DIR
 *        [--cluster quorum|n1|fetch|healthy|slow] [--mix read,write] [--connections 32]
 *        [--rounds 5] [--seconds 3] [--size 100|10240] [--var KEY=VALUE ...]
 *        [--vary NAME:KEY=VALUE ...] [--slow NAME:NODE:MS ...]
 *        [--rate RPS] [--poll-trace]
 *
 * Each DIR is a source tree of ringkv (a copy with the change, or without it;
 * its node_modules may be missing: the checkout's is linked in). Every variant
 * is bundled with `wrangler deploy --dry-run`, served by its own workerd with
 * the same vars, preloaded, and loaded in interleaved rounds (A, B, A, B...),
 * so machine drift hits both alike. Prints per-variant medians and the
 * per-round ratios of each variant to the first. `--vary` sets a var for one
 * variant only, so one tree can be compared with itself under other settings
 * (`--variant base=. --variant quiet=. --vary quiet:REPAIR_INTERVAL_MS=86400000`).
 * `--slow` holds one node of a variant slow with the fault switch after its
 * preload: issue 13's slow-replica target is
 * `--variant healthy=. --variant slow=. --slow slow:node-2:2000 --mix read,write`.
 * `--rate` drives an open loop at that many requests per second instead of
 * the closed loop (bench/open-loop.ts); `--poll-trace` reports how often
 * workerd polled for I/O in each run (bench/poll-trace.ts, needs perf).
 */
import { existsSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { median } from "./analysis";
import { buildBundle, holdSlow, readWranglerToml, ROOT, startCluster, type LocalCluster } from "./cluster";
import type { ValueSize } from "./keys";
import { LoadGenerator } from "./loadgen-client";
import type { LoadResult } from "./loadgen";
import { keyValues } from "./args";
import { describePollTrace } from "./poll-trace";
import { CLUSTERS, FAULT_SWITCH_VARS, READ_SHARE, type ClusterName, type Mix } from "./workloads";

const { values } = parseArgs({
  options: {
    variant: { type: "string", multiple: true },
    cluster: { type: "string", default: "quorum" },
    mix: { type: "string", default: "read,write" },
    connections: { type: "string", default: "32" },
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "3" },
    size: { type: "string", default: "100" },
    keys: { type: "string", default: "2000" },
    /** Extra var overrides for every variant, KEY=VALUE (repeatable). */
    var: { type: "string", multiple: true },
    /** A var override for one variant, NAME:KEY=VALUE (repeatable). */
    vary: { type: "string", multiple: true },
    /** Holds a node of one variant slow, NAME:NODE:MS (repeatable). */
    slow: { type: "string", multiple: true },
    /** Offered requests per second (open loop); unset: closed loop. */
    rate: { type: "string" },
    "poll-trace": { type: "boolean", default: false },
  },
});
const extraVars = Object.fromEntries(keyValues(values.var, "--var"));
const varied = new Map<string, Record<string, string>>();
for (const flag of values.vary ?? []) {
  const colon = flag.indexOf(":");
  if (colon < 1) throw new Error(`--vary NAME:KEY=VALUE, got ${flag}`);
  const [[key, value]] = keyValues([flag.slice(colon + 1)], "--vary") as [[string, string]];
  varied.set(flag.slice(0, colon), { ...varied.get(flag.slice(0, colon)), [key]: value });
}

const slowed = (values.slow ?? []).map((flag) => {
  const [name, node, ms] = flag.split(":");
  if (name === undefined || node === undefined || !/^\d+$/.test(ms ?? "")) throw new Error(`--slow NAME:NODE:MS, got ${flag}`);
  return { name, node, delayMs: Number(ms) };
});
const variants = keyValues(values.variant, "--variant").map(([name, dir]) => ({ name, dir: resolve(dir) }));
if (variants.length < 2) throw new Error("give at least two --variant NAME=DIR");
const clusterName = values.cluster as ClusterName;
const mixes = values.mix!.split(",") as Mix[];
const connections = Number(values.connections);
const valueSize = Number(values.size) as ValueSize;
const keys = Number(values.keys);
const rate = values.rate === undefined ? undefined : Number(values.rate);
if (rate !== undefined && !(rate > 0)) throw new Error(`--rate must be a positive number, got ${values.rate}`);

const clusters: LocalCluster[] = [];
const load = new LoadGenerator();
try {
  for (const v of variants) {
    if (!existsSync(join(v.dir, "node_modules"))) symlinkSync(join(ROOT, "node_modules"), join(v.dir, "node_modules"));
    const scriptPath = await buildBundle(undefined, v.dir);
    const cluster = await startCluster({
      label: v.name,
      scriptPath,
      settings: readWranglerToml(join(v.dir, "wrangler.toml")),
      overrides: {
        ...CLUSTERS[clusterName].overrides,
        ...extraVars,
        ...(slowed.length > 0 && FAULT_SWITCH_VARS),
        ...varied.get(v.name),
      },
    });
    clusters.push(cluster);
    await load.run({
      url: cluster.url.href,
      kind: "preload",
      readShare: 0,
      distribution: "uniform",
      keys,
      valueSize,
      connections: 32,
      warmupSec: 0,
      durationSec: 0,
      seed: 1,
      serverPid: cluster.pid,
    });
    const slowNode = CLUSTERS[clusterName].slowNode;
    const faults = [...slowed.filter((f) => f.name === v.name), ...(slowNode === undefined ? [] : [slowNode])];
    for (const fault of faults) await holdSlow(cluster.url, fault.node, fault.delayMs);
  }
  const results = new Map<string, LoadResult[]>();
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const mix of mixes) {
      // Alternate which variant goes first, so neither always follows the other.
      const order = round % 2 === 0 ? clusters : [...clusters].reverse();
      for (const cluster of order) {
        const result = await load.run({
          url: cluster.url.href,
          kind: "store",
          readShare: READ_SHARE[mix],
          distribution: "uniform",
          keys,
          valueSize,
          connections,
          warmupSec: 1,
          durationSec: Number(values.seconds),
          seed: 100 + round,
          serverPid: cluster.pid,
          ...(rate !== undefined && { rate }),
          pollTrace: values["poll-trace"],
        });
        const key = `${mix}|${cluster.label}`;
        results.set(key, [...(results.get(key) ?? []), result]);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }
  const cost = (r: LoadResult) => (r.cpu.server === null ? NaN : (r.cpu.server * r.windowSec * 1e6) / r.requests);
  console.log(
    `${clusterName} (${CLUSTERS[clusterName].title}), c=${connections}, ${valueSize} B, ${values.rounds} rounds of ${values.seconds} s` +
      (Object.keys(extraVars).length > 0 ? `, vars ${JSON.stringify(extraVars)}` : "") +
      (slowed.length > 0 ? `, slow: ${slowed.map((f) => `${f.name}:${f.node} ${f.delayMs} ms`).join(", ")}` : "") +
      (rate === undefined ? ", closed loop" : `, open loop at ${rate} req/s offered`),
  );
  console.log(
    `${"mix".padEnd(7)} ${"variant".padEnd(12)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"p99.9".padStart(8)} ${"max".padStart(8)} ${"µs/req".padStart(8)}  per-round req/s ratio to ${variants[0]!.name}; µs/req ratio`,
  );
  for (const mix of mixes) {
    const base = results.get(`${mix}|${variants[0]!.name}`)!;
    for (const v of variants) {
      const list = results.get(`${mix}|${v.name}`)!;
      const errors = list.reduce((a, r) => a + r.non2xx + r.failed, 0);
      const unfinished = list.reduce((a, r) => a + (r.unfinished ?? 0), 0);
      const rpsRatios = list.map((r, i) => r.rps / base[i]!.rps);
      const costRatios = list.map((r, i) => cost(r) / cost(base[i]!));
      console.log(
        `${mix.padEnd(7)} ${v.name.padEnd(12)} ${median(list.map((r) => r.rps))
          .toFixed(0)
          .padStart(8)} ` +
          `${median(list.map((r) => r.latency.p50_ms))
            .toFixed(2)
            .padStart(8)} ${median(list.map((r) => r.latency.p99_ms))
            .toFixed(2)
            .padStart(8)} ${median(list.map((r) => r.latency.p999_ms))
            .toFixed(2)
            .padStart(8)} ${Math.max(...list.map((r) => r.latency.max_ms))
            .toFixed(1)
            .padStart(8)} ` +
          `${median(list.map(cost)).toFixed(0).padStart(8)}  ` +
          (v === variants[0]
            ? ""
            : `x${median(rpsRatios).toFixed(3)} [${rpsRatios.map((x) => x.toFixed(2)).join(" ")}]; x${median(costRatios).toFixed(3)}`) +
          (errors > 0 ? `  ${errors} ERRORS ${JSON.stringify(statusCounts(list))}` : "") +
          (unfinished > 0 ? `  ${unfinished} unanswered at the window's end (in the percentiles at their age)` : ""),
      );
    }
  }
  if (values["poll-trace"]) {
    for (const [key, list] of results)
      for (const [i, r] of list.entries()) console.log(`${key} round ${i}: ${describePollTrace(r.pollTrace)}`);
  }
} finally {
  load.close();
  await Promise.all(clusters.map((c) => c.dispose()));
}

function statusCounts(list: readonly LoadResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of list) {
    for (const [code, n] of Object.entries(r.statusCodes)) if (!code.startsWith("2")) counts[code] = (counts[code] ?? 0) + n;
    if (r.failed > 0) counts.failed = (counts.failed ?? 0) + r.failed;
  }
  return counts;
}
