import { describe, expect, it } from "vitest";
import { RecentLatencies } from "../../shared/latency";
import { MIN_SAMPLES, parseSpeculativeRetry, speculativeDelay, type SpeculativeRetry } from "../../shared/speculation";

const policy = (raw: string): SpeculativeRetry => {
  const parsed = parseSpeculativeRetry(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
};

describe("parseSpeculativeRetry", () => {
  it("reads a percentile, a number of ms, or off", () => {
    expect(policy("p99")).toEqual({ kind: "percentile", quantile: 0.99 });
    expect(policy("p99.9")).toEqual({ kind: "percentile", quantile: 0.999 });
    expect(policy("25")).toEqual({ kind: "fixed", ms: 25 });
    expect(policy("off")).toEqual({ kind: "off" });
  });

  it("refuses anything else, with the accepted forms", () => {
    for (const raw of ["", "p0", "p100", "99p", "0", "-5", "1.5", "OFF", "p99ms"]) {
      const parsed = parseSpeculativeRetry(raw);
      expect(parsed.ok, raw).toBe(false);
      if (!parsed.ok) expect(parsed.message).toContain('"p99"');
    }
  });
});

describe("speculativeDelay", () => {
  const recentOf = (...samples: number[]) => {
    const recent = new RecentLatencies(1000, 1);
    for (const ms of samples) recent.record(ms);
    return recent;
  };
  const steady = recentOf(...Array.from({ length: 100 }, (_, i) => i + 1));

  it("is the percentile of the recent answers, rounded up to a whole ms", () => {
    expect(speculativeDelay(policy("p99"), steady, 1000)).toBe(99);
    expect(speculativeDelay(policy("p50"), recentOf(...Array.from({ length: 40 }, () => 0.2)), 1000)).toBe(1);
  });

  it("does not speculate before it has enough samples to know what is slow", () => {
    const few = recentOf(...Array.from({ length: MIN_SAMPLES - 1 }, () => 3));
    expect(speculativeDelay(policy("p99"), few, 1000)).toBeUndefined();
  });

  it("is the fixed delay when one is set, whatever the samples; never with off", () => {
    expect(speculativeDelay(policy("20"), recentOf(), 1000)).toBe(20);
    expect(speculativeDelay(policy("off"), steady, 1000)).toBeUndefined();
  });

  it("does not speculate when the delay is no shorter than the replica timeout", () => {
    expect(speculativeDelay(policy("p99"), steady, 99)).toBeUndefined();
    expect(speculativeDelay(policy("1000"), steady, 1000)).toBeUndefined();
  });
});
