/**
 * npm run bench -- --scenario dataops [--keys N] [--connections C] [--seconds S] [--json FILE]
 *
 * Issue 12's figures, in one run on one local cluster (the deploy bundle through
 * Miniflare's API, as the main benchmark): a batch of 100 gets and a batch of
 * 100 puts against 100 single requests, at `--connections` (8), in keys per
 * second; a full listing of `--keys` (10,000) keys in pages of 1,000, in keys
 * per second; and single reads of keys with a TTL against keys without, rps and
 * p50/p99 each. Every phase runs for `--seconds`; the TTL comparison alternates
 * its two halves in rounds so drift hits both alike.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildBundle, readWranglerToml, startCluster } from "./cluster";
import { newHistogram, summarise } from "./histogram";
import { prng } from "./keys";

const { values } = parseArgs({
  options: {
    scenario: { type: "string" },
    keys: { type: "string", default: "10000" },
    connections: { type: "string", default: "8" },
    seconds: { type: "string", default: "5" },
    json: { type: "string" },
  },
});
const KEYS = Number(values.keys);
const CONNECTIONS = Number(values.connections);
const SECONDS = Number(values.seconds);
const BATCH = 100;
const key = (i: number) => `d${i.toString().padStart(7, "0")}`;
const ttlKey = (i: number) => `t${i.toString().padStart(7, "0")}`;

/** Runs `one` on CONNECTIONS loops for SECONDS; returns what each call moved (keys) and its latency. */
async function load(one: (random: () => number) => Promise<number>) {
  const histogram = newHistogram();
  const deadline = Date.now() + SECONDS * 1000;
  let moved = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      const random = prng(c + 1);
      while (Date.now() < deadline) {
        const t = performance.now();
        const keys = await one(random).catch(() => -1);
        histogram.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
        if (keys < 0) errors++;
        else moved += keys;
      }
    }),
  );
  const { p50_ms, p99_ms } = summarise(histogram);
  return { keysPerSecond: Math.round(moved / SECONDS), p50_ms, p99_ms, errors };
}

async function ok(response: Response): Promise<Response> {
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return response;
}

const settings = readWranglerToml();
const cluster = await startCluster({ label: "dataops", scriptPath: await buildBundle(), settings, overrides: { READ_REPAIR_CHANCE: "0" } });
const at = (path: string) => new URL(path, cluster.url);
const pick = (random: () => number) => Math.floor(random() * KEYS);
try {
  console.log(`preloading ${KEYS} keys, and ${KEYS} more with a ttl ...`);
  for (let i = 0; i < KEYS; i += BATCH) {
    const ops = Array.from({ length: Math.min(BATCH, KEYS - i) }, (_, j) => ({ op: "put", key: key(i + j), value: i + j }));
    const ttlOps = ops.map((op, j) => ({ op: "put", key: ttlKey(i + j), value: op.value, ttl: 86_400 }));
    await ok(await fetch(at("/s/batch"), { method: "POST", body: JSON.stringify({ ops }) }));
    await ok(await fetch(at("/s/batch"), { method: "POST", body: JSON.stringify({ ops: ttlOps }) }));
  }

  const singleGets = await load(async (random) => (await (await ok(await fetch(at(`/s/key?key=${key(pick(random))}`)))).arrayBuffer(), 1));
  const batchGets = await load(async (random) => {
    const ops = Array.from({ length: BATCH }, () => ({ op: "get", key: key(pick(random)) }));
    await (await ok(await fetch(at("/s/batch"), { method: "POST", body: JSON.stringify({ ops }) }))).arrayBuffer();
    return BATCH;
  });
  const singlePuts = await load(async (random) => {
    await (
      await ok(await fetch(at("/s/key"), { method: "POST", body: JSON.stringify({ key: key(pick(random)), value: 1 }) }))
    ).arrayBuffer();
    return 1;
  });
  const batchPuts = await load(async (random) => {
    const ops = Array.from({ length: BATCH }, () => ({ op: "put", key: key(pick(random)), value: 2 }));
    await (await ok(await fetch(at("/s/batch"), { method: "POST", body: JSON.stringify({ ops }) }))).arrayBuffer();
    return BATCH;
  });

  // One full listing of the d-prefix, pages of 1,000, timed end to end.
  const listStarted = performance.now();
  let listed = 0;
  let pages = 0;
  for (let cursor: string | null = ""; cursor !== null; pages++) {
    const query = `/s/keys?prefix=d&limit=1000${cursor === "" ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
    const page = (await (await ok(await fetch(at(query)))).json()) as { keys: unknown[]; cursor: string | null };
    listed += page.keys.length;
    cursor = page.cursor;
  }
  const listMs = performance.now() - listStarted;

  // Reads of keys with a ttl against keys without, alternated in rounds.
  const rounds: { plain: number[]; ttl: number[] } = { plain: [], ttl: [] };
  const read = (name: (i: number) => string) => async (random: () => number) => (
    await (await ok(await fetch(at(`/s/key?key=${name(pick(random))}`)))).arrayBuffer(),
    1
  );
  let plainLast;
  let ttlLast;
  for (let round = 0; round < 3; round++) {
    plainLast = await load(read(key));
    ttlLast = await load(read(ttlKey));
    rounds.plain.push(plainLast.keysPerSecond);
    rounds.ttl.push(ttlLast.keysPerSecond);
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

  const result = {
    keys: KEYS,
    connections: CONNECTIONS,
    seconds: SECONDS,
    gets: { single: singleGets, batch100: batchGets, ratio: Math.round((batchGets.keysPerSecond / singleGets.keysPerSecond) * 100) / 100 },
    puts: { single: singlePuts, batch100: batchPuts, ratio: Math.round((batchPuts.keysPerSecond / singlePuts.keysPerSecond) * 100) / 100 },
    listing: { keys: listed, pages, ms: Math.round(listMs), keysPerSecond: Math.round(listed / (listMs / 1000)) },
    ttlReads: {
      plainRounds: rounds.plain,
      ttlRounds: rounds.ttl,
      ttlOverPlain: Math.round((sum(rounds.ttl) / sum(rounds.plain)) * 100) / 100,
      plainLast,
      ttlLast,
    },
  };
  console.log(JSON.stringify(result, null, 2));
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(result, null, 2));
} finally {
  await cluster.dispose();
}
