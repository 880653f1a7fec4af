/**
 * One load run: autocannon drives a fixed number of keep-alive connections
 * (closed loop: each connection sends its next request when the previous answer
 * arrives), every request's latency goes into an HDR histogram in microseconds,
 * and only what completes inside the measurement window counts. The first
 * `warmupSec` seconds (connection set-up, JIT warm-up of both sides) are
 * discarded.
 *
 * autocannon's own summary is not used for latency: it keeps whole
 * milliseconds, too coarse for sub-millisecond requests at concurrency 1.
 */
import autocannon, { type RequestParams } from "autocannon";
import { cpuShare, sampleCpu, type CpuShare, type CpuSample } from "./cpu";
import { encode, newHistogram, summarise, type LatencySummary } from "./histogram";
import { keyName, prng, sampler, writeBody, zipfCdf, type KeyDistribution, type ValueSize } from "./keys";

export interface LoadSpec {
  /** Base URL of the router, e.g. http://127.0.0.1:8787/ */
  readonly url: string;
  /**
   * store: GET/POST /s/key per `readShare`; health: GET /health (touches no node);
   * preload: POST every key of the key space once, with ?w=all.
   */
  readonly kind: "store" | "health" | "preload";
  /** Share of requests that are reads (the rest are writes). */
  readonly readShare: number;
  readonly distribution: KeyDistribution;
  /** Size of the key space: keys 0..keys-1 of the value size's key space. */
  readonly keys: number;
  readonly valueSize: ValueSize;
  readonly connections: number;
  readonly warmupSec: number;
  readonly durationSec: number;
  readonly seed: number;
  /**
   * Stamps each store request with `x-sent`, the time it was built, so the
   * server can tell how long it waited before its handler ran (bench/serving-path.ts).
   */
  readonly stampSent?: boolean;
  /** workerd's pid, for CPU accounting; absent when the target is remote. */
  readonly serverPid?: number | undefined;
}

export interface LoadResult {
  /** Requests that completed inside the window (any status). */
  readonly requests: number;
  readonly rps: number;
  readonly ok: number;
  /** Completed with a status other than 2xx. */
  readonly non2xx: number;
  /** Connection errors and timeouts (no response at all). */
  readonly failed: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** Latency of every response in the window, whatever its status. */
  readonly latency: LatencySummary;
  readonly histogram: string;
  readonly cpu: CpuShare;
  readonly windowSec: number;
  /**
   * The window in slices of TIMELINE_MS: [start ms, responses, worst latency ms].
   * Shows stalls (a slice with few responses and a long worst case) that
   * percentiles alone hide.
   */
  readonly timeline: readonly (readonly [number, number, number])[];
  /** Up to five answers that were not 2xx: status and the start of the body. */
  readonly errorSamples: readonly string[];
}

export const TIMELINE_MS = 250;

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const random = prng(spec.seed);
  const cdf = spec.distribution === "zipf" ? zipfCdf(spec.keys) : undefined;
  const pick = sampler(spec.distribution, spec.keys, random, cdf);
  let stamp = spec.seed;
  let preloadNext = 0;

  const setupRequest = (request: RequestParams): RequestParams => {
    if (spec.kind === "health") {
      request.method = "GET";
      request.path = "/health";
      return request;
    }
    if (spec.kind === "preload") {
      const key = keyName(spec.valueSize, preloadNext++ % spec.keys);
      request.method = "POST";
      request.path = "/s/key?w=all";
      request.headers = { "content-type": "application/json" };
      request.body = writeBody(key, spec.valueSize, stamp++);
      return request;
    }
    const key = keyName(spec.valueSize, pick());
    const sent: Record<string, string> = spec.stampSent ? { "x-sent": String(Date.now()) } : {};
    if (random() < spec.readShare) {
      request.method = "GET";
      request.path = `/s/key?key=${key}`;
      request.headers = sent;
      request.body = undefined;
    } else {
      request.method = "POST";
      request.path = "/s/key";
      request.headers = { "content-type": "application/json", ...sent };
      request.body = writeBody(key, spec.valueSize, stamp++);
    }
    return request;
  };

  // The first few error answers, so a report can say what went wrong.
  const errorSamples: string[] = [];
  const onResponse = (status: number, body: string): void => {
    if ((status < 200 || status >= 300) && errorSamples.length < 5) errorSamples.push(`${status} ${body.slice(0, 300)}`);
  };
  const histogram = newHistogram();
  const statusCodes: Record<string, number> = {};
  let requests = 0;
  let ok = 0;
  let non2xx = 0;
  let failed = 0;
  let measuring = spec.kind === "preload";
  let start: CpuSample = sampleCpu(spec.serverPid);
  let end: CpuSample | undefined;

  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    timeout: 30,
    // autocannon acts on stop() at its next sample tick: tick often so a run ends on time.
    sampleInt: 100,
    ...(spec.kind === "preload" ? { amount: spec.keys } : { duration: spec.warmupSec + spec.durationSec + 1 }),
    requests: [{ setupRequest, onResponse }],
  });
  const slices: [number, number, number][] = [];
  let windowStart = 0;
  instance.on("response", (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    if (!measuring) return;
    const slice = Math.floor((performance.now() - windowStart) / TIMELINE_MS);
    while (slices.length <= slice) slices.push([slices.length * TIMELINE_MS, 0, 0]);
    const entry = slices[slice]!;
    entry[1]++;
    if (responseTime > entry[2]) entry[2] = Math.round(responseTime * 10) / 10;
    requests++;
    if (status >= 200 && status < 300) ok++;
    else non2xx++;
    statusCodes[status] = (statusCodes[status] ?? 0) + 1;
    histogram.recordValue(Math.max(1, Math.round(responseTime * 1000)));
  });
  instance.on("reqError", () => {
    if (measuring) failed++;
  });

  const finished = new Promise<void>((resolve) => instance.on("done", () => resolve()));
  if (spec.kind === "preload") {
    await finished;
    end = sampleCpu(spec.serverPid);
  } else {
    await sleep(spec.warmupSec * 1000);
    start = sampleCpu(spec.serverPid);
    windowStart = performance.now();
    measuring = true;
    await sleep(spec.durationSec * 1000);
    measuring = false;
    end = sampleCpu(spec.serverPid);
    instance.stop();
    await finished;
  }

  const windowSec = (end.at - start.at) / 1000;
  const result: LoadResult = {
    requests,
    rps: requests / windowSec,
    ok,
    non2xx,
    failed,
    statusCodes,
    latency: summarise(histogram),
    histogram: encode(histogram),
    cpu: cpuShare(start, end),
    windowSec,
    // A slice cut short by the end of the window would read as a drop in throughput.
    timeline: slices.filter(([at]) => at + TIMELINE_MS <= windowSec * 1000 + 1),
    errorSamples,
  };
  histogram.destroy();
  return result;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
