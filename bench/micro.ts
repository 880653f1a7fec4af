/**
 * Microbenchmarks of the hot pure paths, with tinybench:
 *   npm run bench:micro [-- --json FILE] [--time MS]
 *
 * - ring lookup on 1,000 nodes x 128 virtual nodes (target: 5 M lookups/s) and
 *   on the configured 5 x 128, and murmur3 alone;
 * - version compare and the merge rule (supersedes, newestOf);
 * - request parsing: key from the query, the POST body's JSON to a WriteInput.
 *
 * Each task runs a batch of operations per call so the timer's own cost is
 * negligible; figures are per operation, per second of CPU time (--clock wall
 * for elapsed time).
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import { newestOf, supersedes, type Entry } from "../shared/entry";
import { murmur3 } from "../shared/hash";
import { Ring } from "../shared/ring";
import { compareVersions, type Version } from "../shared/version";
import { keyFromQuery, utf8Length, writeFromText } from "../worker/request";
import { bigRing, cpuNow, lookupKeys, RING_NODES, RING_VNODES } from "./ring-lookup";

const { values } = parseArgs({
  options: { json: { type: "string" }, time: { type: "string", default: "500" }, clock: { type: "string", default: "cpu" } },
});
if (values.clock !== "cpu" && values.clock !== "wall") throw new Error("--clock must be cpu or wall");

const limits = { maxKeyBytes: 512, maxValueBytes: 128 * 1024, maxBodyBytes: 256 * 1024 };
const BATCH = 1024;
const keys = lookupKeys(BATCH);
// Lookups walk 16,384 distinct keys so the ring's arrays are not all in cache.
const LOOKUP_BATCH = 16_384;
const lookupSet = lookupKeys(LOOKUP_BATCH);
const big = bigRing();
const small = Ring.build(["node-1", "node-2", "node-3", "node-4", "node-5"], { virtualNodes: 128, replicas: 3 });

const v = (wall: number, logical: number, writer: string): Version => ({ wall, logical, writer });
const versions: Version[] = Array.from({ length: BATCH }, (_, i) => v(1_700_000_000_000 + (i % 7), i % 3, i % 2 ? "a1b2c3" : "a1b2c4"));
const entries: Entry[] = versions.map((version, i) =>
  i % 5 === 0 ? { kind: "tombstone", version } : { kind: "value", value: '"x"', version },
);
const triples: (Entry | undefined)[][] = Array.from({ length: BATCH }, (_, i) => [
  entries[i],
  entries[(i + 1) % BATCH],
  i % 4 === 0 ? undefined : entries[(i + 2) % BATCH],
]);
const queries = keys.map((key) => ({ key }));
const small100 = keys.map((key) => `{"key":"${key}","value":"${"x".repeat(90)}"}`);
const large10k = keys.slice(0, 64).map((key) => `{"key":"${key}","value":"${"x".repeat(10 * 1024 - 2)}"}`);
const nested = keys.map((key) => `{"key":"${key}","value":{"name":"ringkv","tags":["a","b"],"n":42,"ok":true}}`);

// Each task sums into a local and stores once per call: a module-level number
// updated in the loop would allocate a heap number per iteration once it
// leaves the small-integer range, and the benchmark would measure that.
let sink = 0;
// By default time is this process's CPU time, not wall time: on a shared machine
// another process may hold the core for part of a sample, which wall time would
// count against the code being measured. --clock wall measures elapsed time.
const bench = new Bench({ time: Number(values.time), warmupTime: 500, ...(values.clock === "cpu" ? { now: cpuNow } : {}) });
const tasks: { name: string; batch: number }[] = [];
function add(name: string, batch: number, fn: () => void): void {
  tasks.push({ name, batch });
  bench.add(name, fn);
}

add(`ring lookup, ${RING_NODES} nodes x ${RING_VNODES} vnodes`, LOOKUP_BATCH, () => {
  let local = 0;
  for (let i = 0; i < LOOKUP_BATCH; i++) local += big.preferenceList(lookupSet[i]!).length;
  sink = (sink + local) | 0;
});
add("ring lookup, 5 nodes x 128 vnodes", LOOKUP_BATCH, () => {
  let local = 0;
  for (let i = 0; i < LOOKUP_BATCH; i++) local += small.preferenceList(lookupSet[i]!).length;
  sink = (sink + local) | 0;
});
add("murmur3 of a 15-char key", BATCH, () => {
  let local = 0;
  for (let i = 0; i < BATCH; i++) local ^= murmur3(keys[i]!);
  sink = (sink + local) | 0;
});
add("ring build, 5 nodes x 128 vnodes", 1, () => {
  sink = (sink + Ring.build(["node-1", "node-2", "node-3", "node-4", "node-5"], { virtualNodes: 128, replicas: 3 }).size) | 0;
});
add("compareVersions", BATCH, () => {
  let local = 0;
  for (let i = 0; i < BATCH; i++) local += compareVersions(versions[i]!, versions[(i + 1) & (BATCH - 1)]!);
  sink = (sink + local) | 0;
});
add("supersedes (merge rule)", BATCH, () => {
  let local = 0;
  for (let i = 0; i < BATCH; i++) local += supersedes(entries[i]!, entries[(i + 3) & (BATCH - 1)]) ? 1 : 0;
  sink = (sink + local) | 0;
});
add("newestOf 3 replica answers", BATCH, () => {
  let local = 0;
  for (let i = 0; i < BATCH; i++) local += newestOf(triples[i]!) === undefined ? 0 : 1;
  sink = (sink + local) | 0;
});
add("keyFromQuery", BATCH, () => {
  let local = 0;
  for (let i = 0; i < BATCH; i++) local += keyFromQuery(queries[i]!, limits).length;
  sink = (sink + local) | 0;
});
add("utf8Length of a 15-char key", BATCH, () => {
  let local = 0;
  for (let i = 0; i < BATCH; i++) local += utf8Length(keys[i]!);
  sink = (sink + local) | 0;
});
add("POST body to WriteInput, 100 B string value", BATCH, () => {
  let local = 0;
  for (let i = 0; i < BATCH; i++) local += writeFromText(small100[i]!, "application/json", limits).value.length;
  sink = (sink + local) | 0;
});
add("POST body to WriteInput, small JSON object value", BATCH, () => {
  let local = 0;
  for (let i = 0; i < BATCH; i++) local += writeFromText(nested[i]!, "application/json", limits).value.length;
  sink = (sink + local) | 0;
});
add("POST body to WriteInput, 10 KiB string value", 64, () => {
  let local = 0;
  for (let i = 0; i < 64; i++) local += writeFromText(large10k[i]!, "application/json", limits).value.length;
  sink = (sink + local) | 0;
});

await bench.run();

const rows = bench.tasks.map((task, i) => {
  const result = task.result;
  if (result.state !== "completed") throw new Error(`${task.name}: ${result.state}`);
  const perOpNs = (result.latency.mean * 1e6) / tasks[i]!.batch;
  return {
    name: task.name,
    ops_per_s: 1e9 / perOpNs,
    ns_per_op: perOpNs,
    rme_percent: result.latency.rme,
    samples: result.latency.samplesCount,
  };
});
console.log(`${values.clock} clock; ${"task".padEnd(39)} ${"ops/s".padStart(14)} ${"ns/op".padStart(10)}  ±%`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(50)} ${Math.round(r.ops_per_s).toLocaleString("en-US").padStart(14)} ${r.ns_per_op.toFixed(1).padStart(10)}  ${r.rme_percent.toFixed(1)}`,
  );
}
const lookups = rows[0]!.ops_per_s;
console.log(
  `\nring lookup target (>= 5,000,000/s on ${RING_NODES} x ${RING_VNODES}): ${lookups >= 5e6 ? "PASS" : "MISS"} (${(lookups / 1e6).toFixed(2)} M/s)`,
);
if (values.json)
  writeFileSync(values.json, JSON.stringify({ node: process.version, clock: values.clock, rows, ring_lookups_per_s: lookups }, null, 1));
if (sink === 0.5) console.log(sink); // keep the work observable
