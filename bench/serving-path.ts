/**
 * npx tsx bench/serving-path.ts [--mix 90/10,read,write] [--seconds 5] [--rounds 2] [--direct]
 *      [--rate RPS] [--poll-trace] [--io-turn]
 *
 * The local serving path with nothing of ringkv in it: a worker that answers
 * GET and POST at once (a POST's body read, no Durable Object), served by
 * workerd through Miniflare's API as the benchmark serves ringkv, loaded by the
 * benchmark's load generator at 32 connections. `--direct` serves it on a
 * socket of its own (Miniflare's `unsafeDirectSockets`), past Miniflare's entry
 * worker. Each request carries the time the load generator built it
 * (`x-sent`), and the worker counts the requests that reached its handler
 * more than 100 ms later: the wait spent in the runtime before any of the
 * worker's code ran (docs/performance.md, "Tails (issue 13)"). `--poll-trace`
 * reports how often workerd polled for I/O meanwhile (bench/poll-trace.ts);
 * `--rate` offers a fixed request rate (open loop) instead of the closed loop;
 * then `x-sent` is stamped when a request is built, so the late count also
 * holds any wait for a free socket on the load generator's side. `--io-turn`
 * makes the handler first wait on a zero-delay timer, as ringkv's router does
 * (worker/io-turn.ts), to show that wait's effect with nothing else around it.
 */
import { Miniflare } from "miniflare";
import { parseArgs } from "node:util";
import { workerdChildren } from "./cluster";
import { LoadGenerator } from "./loadgen-client";
import { describePollTrace } from "./poll-trace";
import { READ_SHARE, type Mix } from "./workloads";

const { values } = parseArgs({
  options: {
    mix: { type: "string", default: "90/10,read,write" },
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "2" },
    direct: { type: "boolean", default: false },
    rate: { type: "string" },
    "poll-trace": { type: "boolean", default: false },
    "io-turn": { type: "boolean", default: false },
  },
});

const SCRIPT = `
let late = 0;
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/late") { const n = late; late = 0; return Response.json({ late: n }); }
    const sent = Number(request.headers.get("x-sent") ?? Date.now());
    if (Date.now() - sent > 100) late++;
    ${values["io-turn"] ? "await new Promise((resolve) => setTimeout(resolve, 0));" : ""}
    if (request.method === "POST") await request.text();
    return Response.json({ ok: true });
  },
};`;

const before = new Set(workerdChildren());
const mf = new Miniflare({
  modules: true,
  script: SCRIPT,
  compatibilityDate: "2026-04-01",
  port: 0,
  cf: false,
  ...(values.direct ? { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] } : {}),
});
const entry = await mf.ready;
const workerdPid = workerdChildren().find((p) => !before.has(p));
const url = values.direct ? (await mf.unsafeGetDirectURL()).href : entry.href;
const generator = new LoadGenerator();
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const mix of values.mix.split(",") as Mix[]) {
      const result = await generator.run({
        url,
        kind: "store",
        readShare: READ_SHARE[mix],
        distribution: "uniform",
        keys: 2000,
        valueSize: 100,
        connections: 32,
        warmupSec: 1,
        durationSec: Number(values.seconds),
        seed: round + 1,
        stampSent: true,
        ...(values.rate !== undefined && { rate: Number(values.rate) }),
        pollTrace: values["poll-trace"],
        serverPid: workerdPid,
      });
      const { late } = (await (await fetch(new URL("/late", url))).json()) as { late: number };
      const l = result.latency;
      console.log(
        `${values.direct ? "direct" : "entry"}${values["io-turn"] ? " io-turn" : ""} ${mix} round ${round}: ${Math.round(result.rps)} rps, p50 ${l.p50_ms} p99 ${l.p99_ms} p99.9 ${l.p999_ms} max ${l.max_ms} ms; ${late} requests reached the handler over 100 ms after they were sent`,
      );
      if (values["poll-trace"]) console.log(`  ${describePollTrace(result.pollTrace)}`);
    }
  }
} finally {
  generator.close();
  await mf.dispose();
}
