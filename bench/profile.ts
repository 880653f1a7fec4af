/**
 * Where the time goes: a V8 CPU profile of workerd's isolates under load.
 *
 *   npx tsx bench/profile.ts [--cluster quorum|n1|fetch] [--mix read|write|90/10|50/50]
 *                            [--connections 32] [--seconds 10] [--size 100|10240]
 *
 * Starts the Worker in workerd with its inspector open, preloads keys, starts the
 * profiler on the router/node isolate (`core:user:ringkv`: the router and the ring
 * node objects share it) and on Miniflare's entry worker (`core:entry`, in
 * front of every request), runs the load, and prints the top self-time
 * functions. The .cpuprofile files (open them in Chrome DevTools) go to
 * bench/results/.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildBundle, holdSlow, readWranglerToml, ROOT, startCluster } from "./cluster";
import { CLUSTERS, READ_SHARE, type ClusterName } from "./workloads";
import { InspectorSession, listTargets, selfTimes, type CpuProfile } from "./inspector";
import { keyValues } from "./args";
import { LoadGenerator } from "./loadgen-client";
import type { ValueSize } from "./keys";

const { values } = parseArgs({
  options: {
    cluster: { type: "string", default: "quorum" },
    mix: { type: "string", default: "read" },
    connections: { type: "string", default: "32" },
    seconds: { type: "string", default: "10" },
    size: { type: "string", default: "100" },
    keys: { type: "string", default: "2000" },
    top: { type: "string", default: "25" },
    /** workerd's inspector port; 0 (default) for a free one. */
    "inspector-port": { type: "string", default: "0" },
    /** A ringkv source tree to profile instead of this checkout (e.g. a copy without a change). */
    source: { type: "string" },
    var: { type: "string", multiple: true },
    /** Also print these functions' shares, whatever their rank (comma-separated names). */
    watch: { type: "string" },
  },
});
const extraVars = Object.fromEntries(keyValues(values.var, "--var"));
const sourceDir = values.source === undefined ? ROOT : resolve(values.source);
if (!existsSync(join(sourceDir, "node_modules"))) symlinkSync(join(ROOT, "node_modules"), join(sourceDir, "node_modules"));

const clusterName = values.cluster as ClusterName;
if (!(clusterName in CLUSTERS)) throw new Error(`--cluster must be one of ${Object.keys(CLUSTERS).join(", ")}`);
const mixes = ["read", "write", "90/10", "50/50"] as const;
const mix = mixes.find((m) => m === values.mix);
if (mix === undefined) throw new Error(`--mix must be one of ${mixes.join(", ")}`);
const readShare = READ_SHARE[mix];
const valueSize = Number(values.size) as ValueSize;

const scriptPath = await buildBundle(undefined, sourceDir);
const bundleLines = readFileSync(scriptPath, "utf8").split("\n");
const cluster = await startCluster({
  label: clusterName,
  scriptPath,
  settings: readWranglerToml(join(sourceDir, "wrangler.toml")),
  overrides: { ...CLUSTERS[clusterName].overrides, ...extraVars },
  inspectorPort: Number(values["inspector-port"]),
});
const inspectorPort = cluster.inspectorPort!;
const load = new LoadGenerator();
try {
  const base = {
    url: cluster.url.href,
    readShare,
    distribution: "uniform" as const,
    keys: Number(values.keys),
    valueSize,
    connections: Number(values.connections),
    warmupSec: 1,
    durationSec: Number(values.seconds),
    seed: 7,
    serverPid: cluster.pid,
  };
  await load.run({ ...base, kind: "preload" });
  const slowNode = CLUSTERS[clusterName].slowNode;
  if (slowNode !== undefined) await holdSlow(cluster.url, slowNode.node, slowNode.delayMs);
  // Warm both sides' JIT before the profiler starts, so the profile is of steady state.
  await load.run({ ...base, kind: "store", warmupSec: 0, durationSec: 2 });

  // The router/node isolate is `core:user:<worker name>` (the cluster names its worker), the entry worker `core:entry`.
  const targets = (await listTargets(inspectorPort)).filter((t) => t.id.startsWith("core:user:") || t.id === "core:entry");
  const sessions = await Promise.all(
    targets.map(async (t) => ({ id: t.id, session: await InspectorSession.open(t.webSocketDebuggerUrl) })),
  );
  for (const { session } of sessions) {
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: 200 });
    await session.send("Profiler.start");
  }
  const result = await load.run({ ...base, kind: "store", warmupSec: 0 });
  const profiles = await Promise.all(
    sessions.map(async ({ id, session }) => ({ id, profile: (await session.send<{ profile: CpuProfile }>("Profiler.stop")).profile })),
  );
  for (const { session } of sessions) session.close();

  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  console.log(
    `${clusterName} ${values.mix} c=${base.connections} ${valueSize}B: ${result.rps.toFixed(0)} req/s, p50 ${result.latency.p50_ms} ms, ` +
      `p99 ${result.latency.p99_ms} ms, errors ${result.non2xx + result.failed}; workerd ${fmt(result.cpu.server)} cores, ` +
      `load generator ${fmt(result.cpu.loadgen)} cores, machine ${(result.cpu.machine * 100).toFixed(0)}% busy`,
  );
  for (const { id, profile } of profiles) {
    const file = join(dir, `profile-${stamp}-${clusterName}-${id.replace(/[^a-z]+/g, "")}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    const rows = selfTimes(profile);
    const busy = rows.filter((r) => r.function !== "(idle)").reduce((a, r) => a + r.ms, 0);
    const total = rows.reduce((a, r) => a + r.ms, 0);
    console.log(
      `\n${id}: ${file}\n  busy ${(busy / 1000).toFixed(2)} s of ${(total / 1000).toFixed(2)} s sampled; top self time (share of busy time):`,
    );
    for (const row of rows.filter((r) => r.function !== "(idle)").slice(0, Number(values.top))) {
      console.log(`  ${((row.ms / busy) * 100).toFixed(1).padStart(5)}%  ${row.function}  ${sourceOf(row.location)}`);
    }
    if (values.watch) {
      const names = values.watch.split(",");
      const share = (name: string) => rows.filter((r) => r.function === name).reduce((a, r) => a + r.ms, 0) / busy;
      console.log(
        `  watched: ${names.map((n) => `${n} ${(share(n) * 100).toFixed(2)}%`).join(", ")}; per request: ${names.map((n) => `${n} ${((share(n) * busy * 1000) / result.requests).toFixed(1)} µs`).join(", ")}`,
      );
    }
  }
} finally {
  load.close();
  await cluster.dispose();
}

function fmt(n: number | null): string {
  return n === null ? "?" : n.toFixed(2);
}

/** Maps `index.js:LINE` of the bundle to the source module, from esbuild's `// path` markers. */
function sourceOf(location: string): string {
  const match = /^index\.js:(\d+)$/.exec(location);
  if (!match) return location;
  const line = Number(match[1]);
  for (let i = line - 1; i >= 0; i--) {
    const marker = /^\/\/ ((?:worker|durable|shared|node_modules)\/\S+)$/.exec(bundleLines[i] ?? "");
    if (marker) return `${marker[1]} (bundle line ${line})`;
  }
  return location;
}
