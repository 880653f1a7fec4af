/**
 * npm run bench:api [-- --url URL] [--keys 7] [--delay 2000] [--out FILE]
 *
 * The seed's API benchmark (API_TEST_5.py / API_TEST_20.py), reproduced so its
 * figures can be compared with ringkv's directly: for each key in turn, POST
 * it, GET it, DELETE it, pausing `--delay` ms after each request (the seed
 * paused 2 s, which is why its "throughput" was 0.5 req/s). Every request opens
 * a new connection, as Python's `requests.post(...)` without a session does.
 *
 * Without --url it serves the Worker locally (Miniflare, as `npm run bench`).
 * Writes the seed's results.json shape: latencies in seconds and rates as
 * fractions, exactly as the seed's file has them, plus a `summary` block in
 * milliseconds and percent. Percentiles interpolate linearly between samples,
 * as numpy.percentile does.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildBundle, readWranglerToml, ROOT, startCluster, type LocalCluster } from "./cluster";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    keys: { type: "string", default: "7" },
    delay: { type: "string", default: "2000" },
    prefix: { type: "string", default: "" },
    out: { type: "string", default: join(ROOT, "bench", "results", "results.json") },
  },
});

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly seconds: number;
}

/** One request on a fresh connection; latency from send to the whole body received. */
function send(method: string, url: URL, body?: string): Promise<Answer> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolveAnswer, reject) => {
    const start = process.hrtime.bigint();
    const req = request(
      url,
      {
        method,
        agent: false,
        headers: body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolveAnswer({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString("utf8"),
            seconds: Number(process.hrtime.bigint() - start) / 1e9,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** numpy.percentile's default (linear interpolation between the closest ranks). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let local: LocalCluster | undefined;
try {
  let base: URL;
  if (values.url) {
    base = new URL(values.url);
  } else {
    local = await startCluster({ label: "api", scriptPath: await buildBundle(), settings: readWranglerToml() });
    base = local.url;
  }
  const delay = Number(values.delay);
  const count = Number(values.keys);
  // The seed's keys were A..G with values "1".."7"; more keys continue past Z as K27, K28...
  const keys = Array.from({ length: count }, (_, i) => `${values.prefix}${i < 26 ? String.fromCharCode(65 + i) : `K${i + 1}`}`);
  console.log(`POST, GET, DELETE of ${count} keys against ${base.href}, ${delay} ms after each request`);

  const results: Record<string, unknown>[] = [];
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  for (const [i, key] of keys.entries()) {
    const post = await send("POST", new URL("/s/key", base), JSON.stringify({ key, value: String(i + 1) }));
    await sleep(delay);
    const get = await send("GET", new URL(`/s/key?key=${encodeURIComponent(key)}`, base));
    await sleep(delay);
    const del = await send("DELETE", new URL(`/s/key?key=${encodeURIComponent(key)}`, base));
    await sleep(delay);
    for (const answer of [post, get, del]) {
      latencies.push(answer.seconds);
      if (answer.status === 200) ok++;
      else failed++;
    }
    console.log(
      `${key}: POST ${post.status} ${(post.seconds * 1000).toFixed(2)} ms, GET ${get.status} ${(get.seconds * 1000).toFixed(2)} ms, DELETE ${del.status} ${(del.seconds * 1000).toFixed(2)} ms`,
    );
    results.push({
      key,
      "POST Response": { text: post.text },
      "POST Latency": post.seconds,
      "GET Response": { text: get.text },
      "GET Latency": get.seconds,
      "DELETE Response": { text: del.text },
      "DELETE Latency": del.seconds,
    });
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const total = ok + failed;
  const sorted = [...latencies].sort((a, b) => a - b);
  const mean = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
  const distribution = {
    mean,
    median: percentile(sorted, 50),
    "90th_percentile": percentile(sorted, 90),
    "99th_percentile": percentile(sorted, 99),
  };
  const report = {
    results,
    performance_metrics: {
      "Total elapsed time": elapsed,
      Throughput: total / elapsed,
      "Success rate": total > 0 ? ok / total : 0,
      "Error rate": total > 0 ? failed / total : 0,
      "Response Time Distribution": distribution,
    },
    summary: {
      target: base.href,
      requests: total,
      delay_ms: delay,
      mean_ms: distribution.mean * 1000,
      median_ms: distribution.median * 1000,
      p90_ms: distribution["90th_percentile"] * 1000,
      p99_ms: distribution["99th_percentile"] * 1000,
      throughput_rps: total / elapsed,
      success_rate_percent: total > 0 ? (100 * ok) / total : 0,
    },
  };
  const out = resolve(values.out!);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 4));
  const s = report.summary;
  console.log(
    `\nmean ${s.mean_ms.toFixed(2)} ms, median ${s.median_ms.toFixed(2)} ms, p90 ${s.p90_ms.toFixed(2)} ms, p99 ${s.p99_ms.toFixed(2)} ms, ` +
      `throughput ${s.throughput_rps.toFixed(2)} req/s, success ${s.success_rate_percent.toFixed(1)}% (${total} requests in ${elapsed.toFixed(1)} s)`,
  );
  console.log(`Results: ${out}`);
} finally {
  await local?.dispose();
}
