/**
 * How often workerd's event loop asks the kernel for new I/O, traced with
 * `perf` while a load runs (Linux; tracing another process's syscall
 * tracepoints needs root or CAP_PERFMON; without perf the trace is skipped and
 * says why).
 *
 * workerd runs on KJ's event loop, which calls epoll only when its queue of
 * ready events is empty (KJ's `busyPollInterval` defaults to never, and workerd
 * does not set it). A connection whose next request was not there when it was
 * read (`read` answered EAGAIN) waits for that epoll call; when the loop never
 * empties, the wait is the time between two calls. The trace counts both:
 * epoll calls and the gaps between them (on the thread that makes the most of
 * them: workerd's serving loop), and reads that found nothing.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PollTrace {
  /** From the trace's first event to its last, in ms: perf attaches after the window opens. */
  readonly spanMs: number;
  /** epoll_wait / epoll_pwait calls made by the busiest polling thread during the trace. */
  readonly polls: number;
  /** Gaps between successive epoll calls, in ms. */
  readonly gapP50Ms: number;
  readonly gapP99Ms: number;
  readonly gapMaxMs: number;
  /** Sum of the gaps longer than 50 ms, in ms: time the loop ran without looking for I/O. */
  readonly blindMs: number;
  readonly reads: number;
  /** Reads that answered EAGAIN: the connection then waits for the next epoll call. */
  readonly emptyReads: number;
}

export type PollTraceResult = PollTrace | { readonly skipped: string };

const EVENTS = ["syscalls:sys_enter_epoll_wait", "syscalls:sys_enter_epoll_pwait", "syscalls:sys_exit_read"];
const EAGAIN = "0xfffffffffffffff5";
const LONG_GAP_MS = 50;

export interface RunningTrace {
  stop(): Promise<PollTraceResult>;
}

let perfInstalled: boolean | undefined;

/** Whether perf can be run; asked once per process, so call it before a window opens. */
export function perfAvailable(): boolean {
  return (perfInstalled ??= spawnSync("perf", ["--version"]).status === 0);
}

/** Starts tracing `pid`; stop() ends the trace and reads it. */
export function startPollTrace(pid: number | undefined): RunningTrace {
  if (pid === undefined) return skipped("no server pid (a remote target)");
  if (!perfAvailable()) return skipped("perf is not installed");
  const dir = mkdtempSync(join(tmpdir(), "ringkv-poll-"));
  const data = join(dir, "perf.data");
  const args = ["record", "-q", "-k", "mono", ...EVENTS.flatMap((e) => ["-e", e]), "-p", String(pid), "-o", data];
  const perf = spawn("perf", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  perf.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    async stop() {
      try {
        const exit = await finish(perf);
        if (exit !== 0 && exit !== "SIGINT") return { skipped: `perf record exited ${exit}: ${stderr.trim().slice(0, 200)}` };
        const script = spawnSync("perf", ["script", "-i", data, "-F", "tid,time,event,trace"], { maxBuffer: 512 * 1024 * 1024 });
        if (script.status !== 0) return { skipped: `perf script failed: ${script.stderr.toString().slice(0, 200)}` };
        return summarisePerfScript(script.stdout.toString());
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function skipped(reason: string): RunningTrace {
  return { stop: () => Promise.resolve({ skipped: reason }) };
}

/** Stops perf with SIGINT (on which it writes its file, then exits 0 or ends by that signal). */
function finish(perf: ChildProcess): Promise<number | NodeJS.Signals | null> {
  return new Promise((resolve) => {
    if (perf.exitCode !== null || perf.signalCode !== null) return resolve(perf.exitCode ?? perf.signalCode);
    perf.once("exit", (code, signal) => resolve(code ?? signal));
    perf.kill("SIGINT");
  });
}

/** Reads `perf script -F tid,time,event,trace` lines into a PollTrace. */
export function summarisePerfScript(text: string): PollTrace {
  const pollsByThread = new Map<string, number[]>();
  let first = Infinity;
  let last = -Infinity;
  let reads = 0;
  let emptyReads = 0;
  for (const line of text.split("\n")) {
    const match = /^\s*(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, tid, time, event, trace] = match as unknown as [string, string, string, string, string];
    const ms = Number(time) * 1000;
    first = Math.min(first, ms);
    last = Math.max(last, ms);
    if (event.includes("epoll")) {
      let times = pollsByThread.get(tid);
      if (times === undefined) pollsByThread.set(tid, (times = []));
      times.push(ms);
    } else if (event.endsWith("sys_exit_read")) {
      reads++;
      if (trace.trim() === EAGAIN) emptyReads++;
    }
  }
  const pollTimes = [...pollsByThread.values()].reduce<number[]>((a, b) => (b.length > a.length ? b : a), []);
  const gaps = pollTimes.slice(1).map((t, i) => t - pollTimes[i]!);
  const sorted = [...gaps].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? 0 : round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!));
  return {
    spanMs: last < first ? 0 : round(last - first),
    polls: pollTimes.length,
    gapP50Ms: at(0.5),
    gapP99Ms: at(0.99),
    gapMaxMs: sorted.length === 0 ? 0 : round(sorted[sorted.length - 1]!),
    blindMs: round(gaps.filter((g) => g > LONG_GAP_MS).reduce((a, b) => a + b, 0)),
    reads,
    emptyReads,
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** One line for a report. */
export function describePollTrace(trace: PollTraceResult | undefined): string {
  if (trace === undefined) return "";
  if ("skipped" in trace) return `poll trace skipped: ${trace.skipped}`;
  return (
    `over ${(trace.spanMs / 1000).toFixed(1)} s: epoll calls ${trace.polls}, gap p50 ${trace.gapP50Ms} p99 ${trace.gapP99Ms} max ${trace.gapMaxMs} ms, ` +
    `${trace.blindMs} ms in gaps > ${LONG_GAP_MS} ms; reads ${trace.reads}, ${trace.emptyReads} found nothing`
  );
}
