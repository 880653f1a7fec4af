/**
 * The ring lookup figure: preference lists per second on a ring of 1,000 nodes
 * x 128 virtual nodes (128,000 tokens), over keys made beforehand so only the
 * lookup (one murmur3 and one binary search) is timed.
 */
import { Ring } from "../shared/ring";

export const RING_NODES = 1000;
export const RING_VNODES = 128;

export function bigRing(): Ring {
  const names = Array.from({ length: RING_NODES }, (_, i) => `node-${i}`);
  return Ring.build(names, { virtualNodes: RING_VNODES, replicas: 3 });
}

export function lookupKeys(count = 16_384): string[] {
  return Array.from({ length: count }, (_, i) => `user:${(i * 2654435761) >>> 0}`);
}

/**
 * Lookups per CPU-second of this process: after `warmupMs` (JIT, and the
 * garbage collector settling after the build), the median of `slices` slices
 * of `sliceMs` each. CPU time rather than wall time, because on a shared
 * machine another process can take the core for part of a slice; the median
 * keeps an odd slice (a GC pause) from setting the figure.
 */
export function measureLookups(ring: Ring, keys: readonly string[], warmupMs = 500, slices = 7, sliceMs = 200): number {
  lookupsFor(ring, keys, warmupMs);
  const rates = Array.from({ length: slices }, () => lookupsFor(ring, keys, sliceMs)).sort((a, b) => a - b);
  return rates[slices >> 1]!;
}

/** This process's CPU time (user + system), in milliseconds. */
export function cpuNow(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function lookupsFor(ring: Ring, keys: readonly string[], ms: number): number {
  let sink = 0;
  let done = 0;
  const start = cpuNow();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < keys.length; i++) sink += ring.preferenceList(keys[i]!).length;
    done += keys.length;
    now = cpuNow();
  }
  if (sink !== done * 3) throw new Error("ring lookup returned a short preference list");
  return done / ((now - start) / 1000);
}
