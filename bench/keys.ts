/**
 * Key choice for the load generator: a seeded PRNG, uniform and Zipf samplers,
 * and the key names the preload writes.
 *
 * Why a hand-written Zipf sampler: no Zipf package is installed, and the exact
 * finite form is a few lines. It precomputes the CDF of P(rank = i) ∝ 1/i^s over
 * the key space once (n up to about a million is a few MB of Float64) and draws
 * by binary search: exact for any s, O(log n) per draw, no approximation such
 * as YCSB's Gray et al. generator needs. s = 0.99 is YCSB's default skew.
 * Ranks are not scrambled here because key names are hashed onto the ring:
 * rank 1 lands on whatever replicas murmur3("k0000000") picks, like any other key.
 */

/** splitmix32: tiny, fast, well distributed, reproducible from a 32-bit seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 0x1_0000_0000;
  };
}

export type KeyDistribution = "uniform" | "zipf";

/** Draws key indices in [0, n). */
export type Sampler = () => number;

export function uniformSampler(n: number, random: () => number): Sampler {
  return () => Math.floor(random() * n);
}

/** A cumulative distribution of Zipf(s) over n ranks; share it between samplers. */
export function zipfCdf(n: number, s = 0.99): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / Math.pow(i + 1, s);
    cdf[i] = sum;
  }
  for (let i = 0; i < n; i++) cdf[i]! /= sum;
  return cdf;
}

export function zipfSampler(cdf: Float64Array, random: () => number): Sampler {
  const n = cdf.length;
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function sampler(distribution: KeyDistribution, n: number, random: () => number, cdf?: Float64Array): Sampler {
  return distribution === "uniform" ? uniformSampler(n, random) : zipfSampler(cdf ?? zipfCdf(n), random);
}

/** Value sizes the workloads use, in bytes of the stored JSON string value. */
export type ValueSize = 100 | 10240;

/**
 * Key names: one key space per value size, so a read of the 10 KiB workload
 * always returns a 10 KiB value. Fixed width so every key costs the same to hash.
 */
export function keyName(size: ValueSize, index: number): string {
  return `${size === 100 ? "s" : "l"}${index.toString().padStart(7, "0")}`;
}

/**
 * The JSON body of a write of `key`: a string value whose JSON text is exactly
 * `size` bytes (two of them are the quotes). `stamp` varies the content between
 * writes so no layer can serve a cached copy.
 */
export function writeBody(key: string, size: ValueSize, stamp: number): string {
  const head = (stamp >>> 0).toString(36).padStart(STAMP_WIDTH, "0");
  return `{"key":"${key}","value":"${head}${FILL[size]}"}`;
}

const STAMP_WIDTH = 7;
// Built once: the load generator should spend its CPU sending, not building strings.
const FILL: Record<ValueSize, string> = {
  100: "x".repeat(100 - 2 - STAMP_WIDTH),
  10240: "x".repeat(10240 - 2 - STAMP_WIDTH),
};
