/**
 * One load run: autocannon drives a fixed number of keep-alive connections
 * (closed loop: each connection sends its next request when the previous answer
 * arrives), or, with `rate`, the open loop of bench/open-loop.ts does; every
 * request's latency goes into an HDR histogram in microseconds, and only what
 * completes inside the measurement window counts (bench/recorder.ts). The
 * first `warmupSec` seconds (connection set-up, JIT warm-up of both sides) are
 * discarded.
 *
 * autocannon's own summary is not used for latency: it keeps whole
 * milliseconds, too coarse for sub-millisecond requests at concurrency 1.
 */
import autocannon, { type RequestParams } from "autocannon";
import { setTimeout as sleep } from "node:timers/promises";
import type { CpuShare } from "./cpu";
import type { LatencySummary } from "./histogram";
import { keyName, prng, sampler, writeBody, zipfCdf, type KeyDistribution, type ValueSize } from "./keys";
import { runOpenLoop } from "./open-loop";
import type { PollTraceResult } from "./poll-trace";
import { WindowRecorder } from "./recorder";

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
  /**
   * Offered load in requests per second over all connections: an open loop
   * (bench/open-loop.ts) that sends on a fixed schedule whatever the answers
   * do, latency counted from each request's scheduled time. Unset: the closed loop.
   */
  readonly rate?: number;
  /** Traces how often workerd polls for I/O during the window (bench/poll-trace.ts). */
  readonly pollTrace?: boolean;
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
   * The window in slices of TIMELINE_MS (bench/recorder.ts): [start ms, responses, worst latency ms].
   * Shows stalls (a slice with few responses and a long worst case) that
   * percentiles alone hide.
   */
  readonly timeline: readonly (readonly [number, number, number])[];
  /** Up to five answers that were not 2xx: status and the start of the body. */
  readonly errorSamples: readonly string[];
  /** The open loop's offered rate, when it drove the run. */
  readonly offeredRps?: number;
  /** The open loop's requests still unanswered at the window's end (in the histogram at their age then). */
  readonly unfinished?: number;
  readonly pollTrace?: PollTraceResult;
}

/** One request of a run, as the load generator will send it. */
export interface PlannedRequest {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** The run's requests in order: its workload, keys and values, from its seed. */
export function requestSource(spec: LoadSpec): () => PlannedRequest {
  const random = prng(spec.seed);
  const cdf = spec.distribution === "zipf" ? zipfCdf(spec.keys) : undefined;
  const pick = sampler(spec.distribution, spec.keys, random, cdf);
  let stamp = spec.seed;
  let preloadNext = 0;
  return () => {
    if (spec.kind === "health") return { method: "GET", path: "/health", headers: {} };
    if (spec.kind === "preload") {
      const key = keyName(spec.valueSize, preloadNext++ % spec.keys);
      return {
        method: "POST",
        path: "/s/key?w=all",
        headers: { "content-type": "application/json" },
        body: writeBody(key, spec.valueSize, stamp++),
      };
    }
    const key = keyName(spec.valueSize, pick());
    const sent: Record<string, string> = spec.stampSent ? { "x-sent": String(Date.now()) } : {};
    if (random() < spec.readShare) return { method: "GET", path: `/s/key?key=${key}`, headers: sent };
    return {
      method: "POST",
      path: "/s/key",
      headers: { "content-type": "application/json", ...sent },
      body: writeBody(key, spec.valueSize, stamp++),
    };
  };
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.rate !== undefined) {
    if (spec.kind === "preload") throw new Error("a preload writes every key once: it takes no rate");
    return runOpenLoop(spec, spec.rate, requestSource(spec));
  }
  const next = requestSource(spec);
  const setupRequest = (request: RequestParams): RequestParams => {
    const planned = next();
    request.method = planned.method;
    request.path = planned.path;
    request.headers = planned.headers;
    request.body = planned.body;
    return request;
  };
  const recorder = new WindowRecorder(spec.serverPid, spec.pollTrace === true);
  const onResponse = (status: number, body: string): void => recorder.body(status, body);
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    timeout: 30,
    // autocannon acts on stop() at its next sample tick: tick often so a run ends on time.
    sampleInt: 100,
    ...(spec.kind === "preload" ? { amount: spec.keys } : { duration: spec.warmupSec + spec.durationSec + 1 }),
    requests: [{ setupRequest, onResponse }],
  });
  instance.on("response", (_client: unknown, status: number, _bytes: number, responseTime: number) =>
    recorder.response(status, responseTime),
  );
  instance.on("reqError", () => recorder.failure());

  const finished = new Promise<void>((resolve) => instance.on("done", () => resolve()));
  if (spec.kind === "preload") {
    recorder.open();
    await finished;
    return recorder.close();
  }
  await sleep(spec.warmupSec * 1000);
  recorder.open();
  await sleep(spec.durationSec * 1000);
  const result = await recorder.close();
  instance.stop();
  await finished;
  return result;
}
