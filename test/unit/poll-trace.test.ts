import { describe, expect, it } from "vitest";
import { describePollTrace, summarisePerfScript } from "../../bench/poll-trace";

/** `perf script -F tid,time,event,trace` lines as perf prints them. */
const line = (seconds: number, event: string, trace: string, tid = 4242) => `  ${tid} ${seconds.toFixed(6)}:  syscalls:${event}: ${trace}`;

describe("poll trace: reading perf's output", () => {
  it("counts epoll calls of the busiest polling thread, the gaps between them, and the reads that found nothing", () => {
    const text = [
      line(100.0, "sys_enter_epoll_pwait", "epfd: 0x00000003, events: 0x7ffd, maxevents: 0x00000100, timeout: 0xffffffff"),
      line(100.001, "sys_exit_read", "0x6a"),
      line(100.002, "sys_exit_read", "0xfffffffffffffff5"),
      line(100.004, "sys_enter_epoll_pwait", "epfd: 0x00000003"),
      line(100.304, "sys_enter_epoll_wait", "epfd: 0x00000003"),
      line(100.305, "sys_exit_read", "0x112"),
      line(100.31, "sys_enter_epoll_pwait", "epfd: 0x00000003"),
      // Another thread's loop (the inspector's) polls too: its calls are not the serving loop's gaps.
      line(100.1, "sys_enter_epoll_pwait", "epfd: 0x00000009", 4243),
      line(100.2, "sys_enter_epoll_pwait", "epfd: 0x00000009", 4243),
      "",
      "not a perf line",
    ].join("\n");
    const trace = summarisePerfScript(text);
    expect(trace.polls).toBe(4);
    expect(trace.reads).toBe(3);
    expect(trace.emptyReads).toBe(1);
    // Gaps of 4, 300 and 6 ms.
    expect(trace.gapMaxMs).toBe(300);
    expect(trace.gapP50Ms).toBe(6);
    expect(trace.blindMs).toBe(300);
    expect(trace.spanMs).toBe(310);
  });

  it("reports an empty trace as zeros, and a skipped one with its reason", () => {
    expect(summarisePerfScript("")).toEqual({
      spanMs: 0,
      polls: 0,
      gapP50Ms: 0,
      gapP99Ms: 0,
      gapMaxMs: 0,
      blindMs: 0,
      reads: 0,
      emptyReads: 0,
    });
    expect(describePollTrace({ skipped: "perf is not installed" })).toBe("poll trace skipped: perf is not installed");
    expect(describePollTrace(undefined)).toBe("");
  });
});
