/**
 * The open-loop load driver: requests leave on a fixed schedule (one every
 * 1/rate seconds over all connections, as wrk2 sends), whatever the server's
 * answers do, over at most `connections` keep-alive sockets. Latency counts
 * from a request's scheduled time, so a request that waited for a free socket
 * because the server stalled counts that wait (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: it lets each connection send its share
 * for the second as fast as it can and then idle until the next second, a
 * burst at every second's start, which is not a steady offered load. Node's
 * http client is enough at the rates an open loop is run at here (below the
 * server's saturation, a few thousand per second).
 */
import { Agent, request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { LoadResult, LoadSpec, PlannedRequest } from "./loadgen";
import { WindowRecorder } from "./recorder";

const TICK_MS = 1;

export async function runOpenLoop(spec: LoadSpec, rate: number, next: () => PlannedRequest): Promise<LoadResult> {
  if (!(rate > 0)) throw new Error(`open loop: rate must be > 0, got ${rate}`);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const recorder = new WindowRecorder(spec.serverPid, spec.pollTrace === true);
  const url = new URL(spec.url);
  // Scheduled times of the requests not answered yet.
  const outstanding = new Set<number>();
  const send = (scheduled: number): void => {
    outstanding.add(scheduled);
    const planned = next();
    const headers =
      planned.body === undefined ? planned.headers : { ...planned.headers, "content-length": String(Buffer.byteLength(planned.body)) };
    const req = request({ host: url.hostname, port: url.port, agent, method: planned.method, path: planned.path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        outstanding.delete(scheduled);
        recorder.response(res.statusCode ?? 0, performance.now() - scheduled);
        recorder.body(res.statusCode ?? 0, body);
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error("timeout")));
    req.on("error", () => {
      outstanding.delete(scheduled);
      recorder.failure();
    });
    req.end(planned.body);
  };
  const interval = 1000 / rate;
  const origin = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    while (origin + sent * interval <= now) send(origin + sent++ * interval);
  }, TICK_MS);
  try {
    await sleep(spec.warmupSec * 1000);
    recorder.open();
    await sleep(spec.durationSec * 1000);
    const now = performance.now();
    for (const scheduled of outstanding) recorder.stillWaiting(now - scheduled);
    return await recorder.close(rate);
  } finally {
    clearInterval(timer);
    agent.destroy();
  }
}
