import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareVersions, formatVersion, HybridClock, isVersion, parseVersion, type Version } from "../../shared/version";

const version = fc.record({
  wall: fc.nat({ max: 2 ** 45 }),
  logical: fc.nat({ max: 1000 }),
  writer: fc.stringMatching(/^[a-z0-9]{1,8}$/),
});

describe("version order", () => {
  it("is a total order: antisymmetric, and equal only for identical versions", () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(compareVersions(a, b)).toBe(-compareVersions(b, a) || 0);
        expect(compareVersions(a, b) === 0).toBe(a.wall === b.wall && a.logical === b.logical && a.writer === b.writer);
      }),
    );
  });

  it("is transitive", () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(compareVersions);
        expect(compareVersions(x!, z!)).toBeLessThanOrEqual(0);
        expect(compareVersions(x!, y!)).toBeLessThanOrEqual(0);
      }),
    );
  });

  it("round-trips through its public text form", () => {
    fc.assert(
      fc.property(version, (v) => {
        expect(parseVersion(formatVersion(v))).toEqual(v);
      }),
    );
    expect(parseVersion("12.x.w")).toBeUndefined();
    expect(parseVersion("")).toBeUndefined();
  });

  it("recognises well-formed versions only", () => {
    expect(isVersion({ wall: 1, logical: 0, writer: "w" })).toBe(true);
    for (const bad of [
      null,
      {},
      { wall: -1, logical: 0, writer: "w" },
      { wall: 1, logical: 0.5, writer: "w" },
      { wall: 1, logical: 0, writer: "" },
    ]) {
      expect(isVersion(bad)).toBe(false);
    }
  });
});

describe("HybridClock", () => {
  it("issues strictly increasing versions even when the wall clock stands still or goes back", () => {
    const readings = [100, 100, 100, 99, 150, 120, 150];
    let i = 0;
    const clock = new HybridClock("w1", () => readings[i++]!);
    const issued: Version[] = readings.map(() => clock.next());
    for (let j = 1; j < issued.length; j++) expect(compareVersions(issued[j]!, issued[j - 1]!)).toBe(1);
    expect(issued[4]).toEqual({ wall: 150, logical: 0, writer: "w1" });
  });

  it("orders its next version after any version it observed, even one from a clock ahead of it", () => {
    const clock = new HybridClock("slow", () => 1_000);
    const fromTheFuture = { wall: 5_000, logical: 7, writer: "fast" };
    clock.observe(fromTheFuture);
    expect(compareVersions(clock.next(), fromTheFuture)).toBe(1);
  });

  it("ignores observations older than what it has issued", () => {
    const clock = new HybridClock("w", () => 1_000);
    const first = clock.next();
    clock.observe({ wall: 10, logical: 0, writer: "old" });
    expect(compareVersions(clock.next(), first)).toBe(1);
  });
});
