/**
 * CPU accounting from /proc (Linux): how much of the machine the server and the
 * load generator used during a measurement window. On a 2-core machine they
 * compete, so a run whose machine is near 100% busy is CPU-bound and its
 * throughput is a property of the whole box, not of the server alone.
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux; /proc reports times in these ticks.

export interface CpuSample {
  readonly at: number;
  /** utime + stime of the server process (all threads), in ticks; undefined if unknown. */
  readonly server: number | undefined;
  /** Busy and total ticks of the whole machine. */
  readonly busy: number;
  readonly total: number;
  /** This process's user + system CPU, in microseconds. */
  readonly self: number;
}

export function sampleCpu(serverPid: number | undefined): CpuSample {
  const usage = process.cpuUsage();
  return { at: performance.now(), server: processTicks(serverPid), ...machineTicks(), self: usage.user + usage.system };
}

export interface CpuShare {
  /** Cores' worth of CPU used: 1.0 is one core fully busy. */
  readonly loadgen: number;
  readonly server: number | null;
  /** Fraction of all the machine's cores that were busy (any process). */
  readonly machine: number;
  readonly cores: number;
}

export function cpuShare(start: CpuSample, end: CpuSample): CpuShare {
  const seconds = (end.at - start.at) / 1000;
  const server = start.server === undefined || end.server === undefined ? null : (end.server - start.server) / TICKS_PER_SECOND / seconds;
  const total = end.total - start.total;
  return {
    loadgen: (end.self - start.self) / 1e6 / seconds,
    server,
    machine: total > 0 ? (end.busy - start.busy) / total : 0,
    cores: cpus().length,
  };
}

function processTicks(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat (utime, stime), counted from after the command name.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

function machineTicks(): { busy: number; total: number } {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}
