/**
 * npm run bench -- --scenario capacity [--keys N] [--value-bytes B] [--cache-bytes B]
 *                  [--connections C] [--seconds S] [--source DIR] [--json FILE]
 *
 * Storage that outgrows memory (issue 11), in one run on two local clusters of
 * the same code: one empty, one preloaded with `--keys` values of `--value-bytes`
 * at w=all. Measures uniform reads over every key (mostly cache misses) and
 * Zipf reads (mostly hits): throughput, p50, p99; workerd's resident memory,
 * empty next to preloaded, after the preload and after the reads; and a node's
 * first read after a reset (crash fault, then recovery, then one read of its own
 * copy) on the loaded cluster against the empty one. `--source` benches another
 * tree's code (e.g. main's, for an A/B); `--cache-bytes` sets CACHE_BYTES, so a
 * scaled-down preload can still be 20x the cluster's cache.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildBundle, readWranglerToml, ROOT, startCluster, type LocalCluster } from "./cluster";
import { newHistogram, summarise } from "./histogram";
import { prng, sampler, zipfCdf, type KeyDistribution } from "./keys";

const { values } = parseArgs({
  options: {
    scenario: { type: "string" },
    keys: { type: "string", default: "200000" },
    "value-bytes": { type: "string", default: "1024" },
    "cache-bytes": { type: "string", default: String(8 * 1024 * 1024) },
    connections: { type: "string", default: "32" },
    seconds: { type: "string", default: "10" },
    source: { type: "string", default: ROOT },
    json: { type: "string" },
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

/** workerd's resident set in MB, from /proc. */
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Math.round(Number(line?.split(/\s+/)[1] ?? NaN) / 1024);
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

/** Crash node-1 (its object is reset), recover it, and time the recovery plus its first read. */
async function coldRead(url: URL): Promise<number> {
  const fault = (mode: string) =>
    fetch(new URL("/admin/nodes/node-1/fault", url), { method: "POST", headers: ADMIN, body: JSON.stringify({ mode }) }).then((r) =>
      r.arrayBuffer(),
    );
  await fault("crash");
  await new Promise((resolve) => setTimeout(resolve, 500));
  const started = performance.now();
  await fault("up");
  const response = await fetch(new URL(`/admin/nodes/node-1/d/read?key=${key(keys >> 1)}`, url), { headers: ADMIN });
  await response.arrayBuffer();
  return Math.round((performance.now() - started) * 10) / 10;
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

const settings = readWranglerToml(`${values.source}/wrangler.toml`);
const scriptPath = await buildBundle(undefined, values.source);
const clusters: LocalCluster[] = [];
try {
  const empty = await startCluster({ label: "empty", scriptPath, settings, overrides });
  clusters.push(empty);
  const loaded = await startCluster({ label: "loaded", scriptPath, settings, overrides });
  clusters.push(loaded);
  await touch(empty.url);
  await touch(loaded.url);
  const rssEmpty = rssMb(empty.pid);
  console.log(`preloading ${keys} keys of ${valueBytes} B at w=all ...`);
  const preloadMs = await preload(loaded.url);
  const rssAfterPreload = rssMb(loaded.pid);
  const uniform = await reads(loaded.url, "uniform");
  const zipf = await reads(loaded.url, "zipf");
  const rssAfterReads = rssMb(loaded.pid);
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
    coldFirstReadMs: { loaded: await coldRead(loaded.url), empty: await coldRead(empty.url) },
    storage: await storageOf(loaded.url),
  };
  console.log(JSON.stringify(result, null, 2));
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(result, null, 2));
} finally {
  for (const cluster of clusters) await cluster.dispose();
}
