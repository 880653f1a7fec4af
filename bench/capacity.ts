/**
 * npm run bench -- --scenario capacity [--keys N] [--value-bytes B] [--cache-bytes B]
 *                  [--connections C] [--seconds S] [--source DIR] [--json FILE]
 *
 * Storage that outgrows memory (issue 11), in one run on two local clusters of
 * the same code: one empty, one preloaded with `--keys` values of `--value-bytes`
 * at w=all. Measures uniform reads over every key (mostly cache misses) and
 * Zipf reads (mostly hits): throughput, p50, p99; workerd's resident memory,
 * empty next to preloaded, after the preload and after the reads; and a node's
 * first read after a reset (the `restart` fault: memory gone, storage kept, as a
 * deploy does; then one read of its own copy) on the loaded cluster against the
 * empty one. `--source` benches another
 * tree's code (e.g. main's, for an A/B); `--cache-bytes` sets CACHE_BYTES (2 MiB by
 * default, so the default preload is 20x the cluster's cache; scale it with `--keys`).
 * `npm run bench` (the full local run) ends with this scenario at its defaults.
 * `--floor` also preloads the platform floor (no ringkv code, nothing held in
 * memory) and reports workerd's memory there, for what the runtime itself grows.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildBundle, buildFloor, readWranglerToml, ROOT, startCluster, type LocalCluster } from "./cluster";
import { newHistogram, summarise } from "./histogram";
import { InspectorSession, listTargets } from "./inspector";
import { prng, sampler, zipfCdf, type KeyDistribution } from "./keys";

const { values } = parseArgs({
  options: {
    scenario: { type: "string" },
    keys: { type: "string", default: "200000" },
    "value-bytes": { type: "string", default: "1024" },
    // 2 MiB per node: 200,000 keys of 1 KiB are then 20x the five nodes' caches.
    "cache-bytes": { type: "string", default: String(2 * 1024 * 1024) },
    connections: { type: "string", default: "32" },
    seconds: { type: "string", default: "10" },
    source: { type: "string", default: ROOT },
    json: { type: "string" },
    floor: { type: "boolean", default: false },
  },
});
const keys = Number(values.keys);
const valueBytes = Number(values["value-bytes"]);
const connections = Number(values.connections);
const seconds = Number(values.seconds);
const ADMIN = { authorization: "Bearer capacity-bench-token" };
const overrides = {
  CACHE_BYTES: values["cache-bytes"],
  ADMIN_TOKEN: "capacity-bench-token",
  FAULTS_ENABLED: "true",
  READ_REPAIR_CHANCE: "0",
  // The machine is shared: a slow moment must not fail the preload.
  REPLICA_TIMEOUT_MS: "10000",
};

const key = (i: number): string => `c${i.toString().padStart(7, "0")}`;
const fill = "x".repeat(valueBytes - 2);

/** workerd's resident memory in MB, from /proc: all of it, its anonymous pages (heaps) and its file-backed and shared pages. */
function rssMb(pid: number | undefined): { total: number; anon: number; file: number } {
  const fields = pid === undefined ? "" : readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (name: string): number => {
    const line = fields.split("\n").find((l) => l.startsWith(`${name}:`));
    return Math.round(Number(line?.split(/\s+/)[1] ?? NaN) / 1024);
  };
  return { total: mb("VmRSS"), anon: mb("RssAnon"), file: mb("RssFile") + mb("RssShmem") };
}

/**
 * What the cluster's isolates hold after a full collection, in MB: each isolate
 * collected through workerd's inspector (a heap snapshot, which collects first:
 * workerd's inspector does not always answer HeapProfiler.collectGarbage), then
 * its V8 heap's used and total size, summed over the isolates; and workerd's
 * resident memory after those collections. The used heap is what the
 * platform's 128 MB isolate limit counts.
 */
async function afterGc(cluster: LocalCluster): Promise<{ heapUsedMb: number; heapTotalMb: number; rss: ReturnType<typeof rssMb> }> {
  let used = 0;
  let total = 0;
  for (const target of await listTargets(cluster.inspectorPort ?? NaN)) {
    const session = await InspectorSession.open(target.webSocketDebuggerUrl);
    try {
      await session.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      const usage = await session.send<{ usedSize: number; totalSize: number }>("Runtime.getHeapUsage");
      used += usage.usedSize;
      total += usage.totalSize;
    } finally {
      session.close();
    }
  }
  const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
  return { heapUsedMb: mb(used), heapTotalMb: mb(total), rss: rssMb(cluster.pid) };
}

/** Runs `one(i)` for i in 0..count-1 on `connections` concurrent loops. */
async function pool(count: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < count) await one(next++);
    }),
  );
}

async function preload(url: URL): Promise<number> {
  const started = Date.now();
  await pool(keys, async (i) => {
    // A write is retried (it is idempotent) until every replica holds it.
    for (let attempt = 1; ; attempt++) {
      const outcome = await fetch(new URL("/s/key?w=all", url), {
        method: "POST",
        body: `{"key":"${key(i)}","value":"${fill}"}`,
      }).then(
        async (response) => `${response.status} ${await response.text()}`,
        (error: unknown) => String(error),
      );
      if (outcome.startsWith("200 ")) return;
      if (attempt === 5) throw new Error(`preload ${key(i)}: ${outcome}`);
    }
  });
  return Date.now() - started;
}

async function reads(url: URL, distribution: KeyDistribution) {
  const next = sampler(distribution, keys, prng(7), distribution === "zipf" ? zipfCdf(keys) : undefined);
  const histogram = newHistogram();
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) {
        const t = performance.now();
        const status = await fetch(new URL(`/s/key?key=${key(next())}`, url)).then(
          async (response) => (await response.arrayBuffer(), response.status),
          () => 0,
        );
        histogram.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
        if (status === 200) done++;
        else errors++;
      }
    }),
  );
  const { p50_ms, p99_ms } = summarise(histogram);
  return { distribution, rps: Math.round(done / seconds), p50_ms, p99_ms, errors };
}

/**
 * Resets node-1's object as a deploy does (`restart`: memory gone, storage kept,
 * no catch-up) and times, from the restart's reply, until a read of its own copy
 * answers: the reset, the object's start-up and one uncached lookup. A read that
 * meets the reset itself fails and is sent again at once, so no alarm or peer
 * call has time to start the object first. Code from before the restart fault
 * (an A/B's older side) is reset by a crash, then timed from its recovery, which
 * also starts a catch-up.
 */
async function coldRead(url: URL): Promise<{ ms: number; reset: "restart" | "crash+recover" }> {
  const fault = (mode: string) =>
    fetch(new URL("/admin/nodes/node-1/fault", url), { method: "POST", headers: ADMIN, body: JSON.stringify({ mode }) });
  const restart = await fault("restart");
  await restart.arrayBuffer();
  let reset: "restart" | "crash+recover" = "restart";
  if (restart.status === 400) {
    reset = "crash+recover";
    await (await fault("crash")).arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 500));
  } else if (!restart.ok) throw new Error(`restart node-1: ${restart.status}`);
  const started = performance.now();
  if (reset === "crash+recover") await (await fault("recover")).arrayBuffer();
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(new URL(`/admin/nodes/node-1/d/read?key=${key(keys >> 1)}`, url), { headers: ADMIN });
    await response.arrayBuffer();
    if (response.ok) break;
    if (attempt === 100) throw new Error(`first read of node-1: ${response.status}`);
  }
  return { ms: Math.round((performance.now() - started) * 10) / 10, reset };
}

/** Three cold reads in a row, each after its own restart. */
async function coldReads(url: URL): Promise<{ ms: number[]; reset: string }> {
  const rounds = [];
  for (let round = 0; round < 3; round++) rounds.push(await coldRead(url));
  return { ms: rounds.map((r) => r.ms), reset: rounds[0]!.reset };
}

/** Wakes every node (and its storage) with one read each. */
async function touch(url: URL): Promise<void> {
  const response = await fetch(new URL("/cluster", url));
  await response.arrayBuffer();
}

async function storageOf(url: URL): Promise<unknown> {
  const body = (await (await fetch(new URL("/cluster", url))).json()) as { nodes: { name: string; storage?: unknown }[] };
  return body.nodes.map((n) => ({ name: n.name, storage: n.storage ?? null }));
}

/**
 * The same preload on the platform floor (bench/floor/worker.ts with STORE=sqlite: five
 * objects, one SQLite upsert per replica, nothing held in memory, no ringkv code): how much
 * workerd's memory grows under these writes whatever the code.
 */
async function floorMemory() {
  const floor = await startCluster({
    label: "floor",
    scriptPath: buildFloor(),
    settings,
    worker: "floor",
    overrides: { REPLICAS: "3", QUORUM: "2", STORE: "sqlite" },
    inspectorPort: 0,
  });
  clusters.push(floor);
  await (await fetch(new URL("/s/key?key=none", floor.url))).arrayBuffer();
  const empty = { rss: rssMb(floor.pid), afterGc: await afterGc(floor) };
  console.log(`preloading the platform floor with ${keys} keys ...`);
  const preloadMs = await preload(floor.url);
  return { preloadMs, empty, afterPreload: { rss: rssMb(floor.pid), afterGc: await afterGc(floor) } };
}

const settings = readWranglerToml(`${values.source}/wrangler.toml`);
const scriptPath = await buildBundle(undefined, values.source);
const clusters: LocalCluster[] = [];
try {
  const empty = await startCluster({ label: "empty", scriptPath, settings, overrides, inspectorPort: 0 });
  clusters.push(empty);
  const loaded = await startCluster({ label: "loaded", scriptPath, settings, overrides, inspectorPort: 0 });
  clusters.push(loaded);
  await touch(empty.url);
  await touch(loaded.url);
  const rssEmpty = rssMb(empty.pid);
  const gcEmpty = await afterGc(empty);
  console.log(`preloading ${keys} keys of ${valueBytes} B at w=all ...`);
  const preloadMs = await preload(loaded.url);
  const rssAfterPreload = rssMb(loaded.pid);
  const gcAfterPreload = await afterGc(loaded);
  const uniform = await reads(loaded.url, "uniform");
  const zipf = await reads(loaded.url, "zipf");
  const rssAfterReads = rssMb(loaded.pid);
  const gcAfterReads = await afterGc(loaded);
  const result = {
    source: values.source,
    keys,
    valueBytes,
    cacheBytes: Number(values["cache-bytes"]),
    connections,
    seconds,
    preloadMs,
    uniform,
    zipf,
    uniformOverZipf: Math.round((uniform.rps / zipf.rps) * 100) / 100,
    rssMb: { empty: rssEmpty, afterPreload: rssAfterPreload, afterReads: rssAfterReads, emptyAfterReads: rssMb(empty.pid) },
    afterGc: { empty: gcEmpty, afterPreload: gcAfterPreload, afterReads: gcAfterReads },
    coldFirstReadMs: { loaded: await coldReads(loaded.url), empty: await coldReads(empty.url) },
    storage: await storageOf(loaded.url),
  };
  for (const cluster of clusters.splice(0)) await cluster.dispose();
  const floor = values.floor ? await floorMemory() : undefined;
  const withFloor = floor === undefined ? result : { ...result, floor };
  console.log(JSON.stringify(withFloor, null, 2));
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(withFloor, null, 2));
} finally {
  for (const cluster of clusters) await cluster.dispose();
}
