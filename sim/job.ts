/**
 * Child-process entry for `run.ts`: runs the jobs it is sent, one at a time,
 * and sends back each result. A separate process per core because a simulated
 * cluster is single-threaded CPU work (and tsx's loader does not reach worker
 * threads on Node 20).
 */
import { runJob, type Job } from "./experiments";

process.on("message", (job: Job) => {
  process.send!(runJob(job));
});
process.on("disconnect", () => process.exit(0));
