import { describe, expect, it } from "vitest";
import { RecentLatencies } from "../../shared/latency";

describe("RecentLatencies", () => {
  it("gives a quantile of the samples, nearest rank", () => {
    const recent = new RecentLatencies(100, 1);
    for (let ms = 1; ms <= 100; ms++) recent.record(ms);
    expect(recent.quantile(0.99)).toBe(99);
    expect(recent.quantile(0.5)).toBe(50);
    expect(recent.quantile(1)).toBe(100);
  });

  it("has no quantile until it holds the minimum number of samples", () => {
    const recent = new RecentLatencies(100, 1);
    for (let i = 0; i < 31; i++) recent.record(5);
    expect(recent.quantile(0.99, 32)).toBeUndefined();
    recent.record(5);
    expect(recent.quantile(0.99, 32)).toBe(5);
  });

  it("keeps only the last `capacity` samples, so an old slow spell is forgotten", () => {
    const recent = new RecentLatencies(10, 1);
    for (let i = 0; i < 10; i++) recent.record(900);
    for (let i = 0; i < 10; i++) recent.record(2);
    expect(recent.size).toBe(10);
    expect(recent.quantile(1)).toBe(2);
  });

  it("recomputes its cached quantile only after `refreshEvery` new samples", () => {
    const recent = new RecentLatencies(100, 4);
    for (let i = 0; i < 4; i++) recent.record(1);
    expect(recent.quantile(1)).toBe(1);
    for (let i = 0; i < 3; i++) recent.record(50);
    expect(recent.quantile(1)).toBe(1);
    recent.record(50);
    expect(recent.quantile(1)).toBe(50);
  });

  it("ignores samples that are not a duration", () => {
    const recent = new RecentLatencies(10, 1);
    for (const ms of [NaN, -1, Infinity]) recent.record(ms);
    expect(recent.size).toBe(0);
  });
});
