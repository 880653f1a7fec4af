/**
 * Runs the membership simulations and prints the tables of docs/membership.md.
 *
 *   tsx sim/run.ts [--quick] [--seed N] [--out file] [--only detection|loss|overloaded|heal]
 *
 * Jobs run in parallel child processes, one per core (at most 2); each job is
 * deterministic given the seed, so the figures do not depend on scheduling.
 */
import { fork } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_SWIM_CONFIG } from "../shared/swim";
import { OVERLOAD, plan, type Job, type JobResult } from "./experiments";
import { LAN } from "./network";
import { bySize, formatReport } from "./report";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    seed: { type: "string", default: "1" },
    out: { type: "string", default: "sim/results/latest.json" },
    /** Runs one kind of job only (its table is the one to read). */
    only: { type: "string" },
  },
});
const seed = Number(values.seed);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);

const jobs = plan(values.quick, seed).filter((job) => values.only === undefined || job.kind === values.only);
if (jobs.length === 0) throw new Error(`--only ${values.only}: no such job kind`);
const started = performance.now();
const results = await runAll(jobs, Math.min(2, availableParallelism()));
const wallSeconds = (performance.now() - started) / 1000;

const sizes = bySize(results);
console.log(formatReport(sizes));
console.log(
  `\nseed ${seed}${values.quick ? ", --quick" : ""}; ${wallSeconds.toFixed(0)} s wall, ` +
    `${results.reduce((sum, r) => sum + r.seconds, 0).toFixed(0)} s of simulation over ${jobs.length} jobs`,
);

mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(
  values.out,
  JSON.stringify(
    {
      command: `tsx sim/run.ts${values.quick ? " --quick" : ""}${values.only ? ` --only ${values.only}` : ""} --seed ${seed}`,
      seed,
      quick: values.quick,
      wallSeconds,
      config: DEFAULT_SWIM_CONFIG,
      network: LAN,
      overload: OVERLOAD,
      sizes,
      jobs: results.map((r) => ({ job: r.job, seconds: r.seconds })),
    },
    null,
    2,
  ),
);
console.log(`wrote ${values.out}`);

/** Runs the jobs on `workers` child processes, biggest first; results come back in plan order. */
async function runAll(all: readonly Job[], workers: number): Promise<JobResult[]> {
  const order = all.map((job, index) => ({ job, index })).sort((a, b) => b.job.size - a.job.size);
  const results: JobResult[] = new Array(all.length);
  const worker = async () => {
    const child = fork(new URL("./job.ts", import.meta.url), [], { execArgv: process.execArgv });
    try {
      for (let next = order.shift(); next !== undefined; next = order.shift()) {
        const { job, index } = next;
        results[index] = await new Promise<JobResult>((resolve, reject) => {
          child.once("message", (result) => resolve(result as JobResult));
          child.once("exit", (code) => reject(new Error(`simulation process exited (${code}) during ${JSON.stringify(job)}`)));
          child.send(job);
        });
        child.removeAllListeners("exit");
        const r = results[index]!;
        console.error(
          `  ${job.kind} n=${job.size}${"lifeguard" in job ? (job.lifeguard ? " lifeguard" : " plain") : ""}: ${r.seconds.toFixed(1)} s`,
        );
      }
    } finally {
      child.disconnect();
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
