/**
 * What one load run measured: every response that completes inside the
 * measurement window goes into an HDR histogram (microseconds), a status
 * count and a timeline of TIMELINE_MS slices; the server's and the load
 * generator's CPU over the window; and, when asked, how often workerd polled
 * for I/O meanwhile (bench/poll-trace.ts). Both load drivers (the closed loop
 * in bench/loadgen.ts, the open loop in bench/open-loop.ts) record through it.
 */
import { cpuShare, sampleCpu, type CpuSample } from "./cpu";
import { encode, newHistogram, summarise } from "./histogram";
import type { LoadResult } from "./loadgen";
import { perfAvailable, startPollTrace, type RunningTrace } from "./poll-trace";

export const TIMELINE_MS = 250;

export class WindowRecorder {
  private readonly histogram = newHistogram();
  private readonly statusCodes: Record<string, number> = {};
  private readonly errorSamples: string[] = [];
  private readonly slices: [number, number, number][] = [];
  private requests = 0;
  private ok = 0;
  private non2xx = 0;
  private failed = 0;
  private unfinished = 0;
  private measuring = false;
  private windowStart = performance.now();
  private start: CpuSample;
  private trace: RunningTrace | undefined;

  constructor(
    private readonly serverPid: number | undefined,
    private readonly pollTrace = false,
  ) {
    this.start = sampleCpu(serverPid);
    // Asked now, not when the window opens: the check runs a process and blocks the load generator.
    if (pollTrace) perfAvailable();
  }

  /** Starts the window: what completes from now on counts. */
  open(): void {
    this.start = sampleCpu(this.serverPid);
    this.windowStart = performance.now();
    this.measuring = true;
    if (this.pollTrace) this.trace = startPollTrace(this.serverPid);
  }

  response(status: number, latencyMs: number): void {
    if (!this.measuring) return;
    const slice = Math.floor((performance.now() - this.windowStart) / TIMELINE_MS);
    while (this.slices.length <= slice) this.slices.push([this.slices.length * TIMELINE_MS, 0, 0]);
    const entry = this.slices[slice]!;
    entry[1]++;
    if (latencyMs > entry[2]) entry[2] = Math.round(latencyMs * 10) / 10;
    this.requests++;
    if (status >= 200 && status < 300) this.ok++;
    else this.non2xx++;
    this.statusCodes[status] = (this.statusCodes[status] ?? 0) + 1;
    this.histogram.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
  }

  /** The first few answers that were not 2xx, so a report can say what went wrong. */
  body(status: number, body: string): void {
    if ((status < 200 || status >= 300) && this.errorSamples.length < 5) this.errorSamples.push(`${status} ${body.slice(0, 300)}`);
  }

  /**
   * A request still unanswered when the window closes, `latencyMs` old: its
   * latency is at least that, so it goes into the histogram as that (it is not
   * a response and adds nothing to the request count).
   */
  stillWaiting(latencyMs: number): void {
    if (!this.measuring) return;
    this.unfinished++;
    this.histogram.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
  }

  /** A request that got no answer (connection error or timeout). */
  failure(): void {
    if (this.measuring) this.failed++;
  }

  /** Ends the window and returns what it held. */
  async close(offeredRps?: number): Promise<LoadResult> {
    const end = sampleCpu(this.serverPid);
    this.measuring = false;
    const pollTrace = await this.trace?.stop();
    const windowSec = (end.at - this.start.at) / 1000;
    const { histogram, slices } = this;
    const result: LoadResult = {
      requests: this.requests,
      rps: this.requests / windowSec,
      ok: this.ok,
      non2xx: this.non2xx,
      failed: this.failed,
      statusCodes: this.statusCodes,
      latency: summarise(histogram),
      histogram: encode(histogram),
      cpu: cpuShare(this.start, end),
      windowSec,
      // A slice cut short by the end of the window would read as a drop in throughput.
      timeline: slices.filter(([at]) => at + TIMELINE_MS <= windowSec * 1000 + 1),
      errorSamples: this.errorSamples,
      ...(offeredRps !== undefined && { offeredRps, unfinished: this.unfinished }),
      ...(pollTrace !== undefined && { pollTrace }),
    };
    histogram.destroy();
    return result;
  }
}
