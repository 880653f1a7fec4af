import type { RecentLatencies } from "./latency";

/**
 * Speculative reads (Cassandra's rapid read protection): when a replica a read
 * asked has not answered within the speculative delay, the read also asks the
 * next replica of the key and takes the first R answers.
 *
 * `SPECULATIVE_RETRY` is `p99` (the default; any `pNN` or `pNN.N` works): the
 * delay is that percentile of the latencies recently waited for by this router
 * isolate; a number of ms: a fixed delay; or `off`.
 */
export type SpeculativeRetry =
  { readonly kind: "percentile"; readonly quantile: number } | { readonly kind: "fixed"; readonly ms: number } | { readonly kind: "off" };

export const DEFAULT_SPECULATIVE_RETRY = "p99";

/** Samples needed before a percentile is trusted; until then a read waits for the replica timeout. */
export const MIN_SAMPLES = 32;

/** Parses the var; returns an error message for anything else. */
export function parseSpeculativeRetry(raw: string): { ok: true; value: SpeculativeRetry } | { ok: false; message: string } {
  const text = raw.trim();
  if (text === "off") return { ok: true, value: { kind: "off" } };
  const percentile = /^p(\d{1,2}(?:\.\d{1,3})?)$/.exec(text);
  if (percentile) {
    const quantile = Math.round(Number(percentile[1]) * 1000) / 100_000;
    if (quantile > 0) return { ok: true, value: { kind: "percentile", quantile } };
  }
  if (/^\d{1,5}$/.test(text) && Number(text) >= 1) return { ok: true, value: { kind: "fixed", ms: Number(text) } };
  return { ok: false, message: `expected "p99" (a percentile pNN), a number of ms from 1, or "off", got ${JSON.stringify(raw)}` };
}

/**
 * How long a read waits for a replica before it also asks the next one;
 * undefined means it does not speculate (off, too few samples yet, or a delay
 * no shorter than the replica timeout, which replaces a slow replica anyway).
 */
export function speculativeDelay(policy: SpeculativeRetry, recent: RecentLatencies, replicaTimeoutMs: number): number | undefined {
  let ms: number | undefined;
  if (policy.kind === "fixed") ms = policy.ms;
  else if (policy.kind === "percentile") ms = recent.quantile(policy.quantile, MIN_SAMPLES);
  if (ms === undefined || ms >= replicaTimeoutMs) return undefined;
  // A timer shorter than a millisecond would speculate on nearly every read.
  return Math.max(Math.ceil(ms), 1);
}
