import { describe, expect, it } from "vitest";
import { DEFAULT_SWIM_CONFIG, type SwimConfig } from "../../shared/swim/config";
import { expectedConfirmations, Suspicion, suspicionTimeout, suspicionTimeouts } from "../../shared/swim/suspicion";

// Neighbouring cases (min at n = 5, 10, 100, 10,000; max = 6 x min at n = 100; k = 2 at n = 100,
// 0 at n = 3 and without Lifeguard; the endpoints of the curve; an accuser that cannot confirm
// itself; confirmations beyond k) are in swim-lifeguard.test.ts. Values below are worked by hand
// from docs/membership.md, "Suspicion and Lifeguard", with the defaults T = 1 s,
// suspicionMult = 4 and suspicionMaxMult = 6.

const lifeguard = DEFAULT_SWIM_CONFIG;
const plain: SwimConfig = { ...DEFAULT_SWIM_CONFIG, lifeguard: false };

describe("suspicionTimeouts: the bounds, from the cluster size", () => {
  it("never goes below suspicionMult periods, however small the cluster (log10 n is floored at 1)", () => {
    // log10 1 = 0 and log10 2 = 0.3: both count as 1.
    expect(suspicionTimeouts(lifeguard, 1)).toEqual({ min: 4_000, max: 24_000 });
    expect(suspicionTimeouts(lifeguard, 2)).toEqual({ min: 4_000, max: 24_000 });
    // A member that counts no one (n = 0) is no exception.
    expect(suspicionTimeouts(lifeguard, 0)).toEqual({ min: 4_000, max: 24_000 });
  });

  it("grows with log10 n between powers of ten, rounded down to whole milliseconds", () => {
    // n = 50: 4 x log10 50 x 1,000 = 4 x 1.69897 x 1,000 = 6,795.88 ms.
    expect(suspicionTimeouts(lifeguard, 50).min).toBe(6_795);
    expect(suspicionTimeouts(plain, 50)).toEqual({ min: 6_795, max: 6_795 });
  });

  it("starts a lone suspicion at 6 x the (rounded) minimum: 72 periods at 1,000 members, 96 at 10,000 as the docs say", () => {
    expect(suspicionTimeouts(lifeguard, 1_000)).toEqual({ min: 12_000, max: 72_000 });
    expect(suspicionTimeouts(lifeguard, 10_000)).toEqual({ min: 16_000, max: 96_000 });
    // The maximum is 6 x 6,795, not 6 x 6,795.88 = 40,775.
    expect(suspicionTimeouts(lifeguard, 50).max).toBe(40_770);
  });

  it("follows the configured period and multipliers", () => {
    const config: SwimConfig = { ...DEFAULT_SWIM_CONFIG, protocolPeriodMs: 200, suspicionMult: 5, suspicionMaxMult: 3 };
    // 5 x log10 100 x 200 = 2,000 ms; 3 x 2,000 = 6,000 ms.
    expect(suspicionTimeouts(config, 100)).toEqual({ min: 2_000, max: 6_000 });
    expect(suspicionTimeouts({ ...config, lifeguard: false }, 100)).toEqual({ min: 2_000, max: 2_000 });
  });
});

describe("expectedConfirmations: k, the independent accusers that bring a suspicion down to the minimum", () => {
  it("is suspicionMult - 2 from the smallest cluster that can give that many: the suspect and the first accuser do not count", () => {
    // Defaults: k = 2. Four members leave two besides the suspect and the accuser.
    expect(expectedConfirmations(lifeguard, 4)).toBe(2);
    expect(expectedConfirmations(lifeguard, 3)).toBe(0);
    expect(expectedConfirmations(lifeguard, 2)).toBe(0);
    // suspicionMult 5: k = 3, from five members on.
    const five: SwimConfig = { ...DEFAULT_SWIM_CONFIG, suspicionMult: 5 };
    expect(expectedConfirmations(five, 5)).toBe(3);
    expect(expectedConfirmations(five, 4)).toBe(0);
  });

  it("is 0 when suspicionMult is 2 or 1 (SUSPICION_MULT takes 1): a suspicion then lasts the minimum from the start", () => {
    const two: SwimConfig = { ...DEFAULT_SWIM_CONFIG, suspicionMult: 2 };
    expect(expectedConfirmations(two, 1_000)).toBe(0);
    expect(expectedConfirmations({ ...DEFAULT_SWIM_CONFIG, suspicionMult: 1 }, 1_000)).toBe(0);
  });
});

describe("suspicionTimeout: max - (max - min) x log(c + 1) / log(k + 1), floored at min", () => {
  it("with the defaults at 5 members (4 s to 24 s, k = 2): 24 s, then 11.381 s after one confirmation, then 4 s", () => {
    // log 2 / log 3 = 0.63093: 24,000 - 20,000 x 0.63093 = 11,381.4.
    expect(suspicionTimeout(4_000, 24_000, 2, 0)).toBe(24_000);
    expect(suspicionTimeout(4_000, 24_000, 2, 1)).toBe(11_381);
    expect(suspicionTimeout(4_000, 24_000, 2, 2)).toBe(4_000);
  });

  it("at 100 members (8 s to 48 s, k = 2): one confirmation takes it to 22.762 s", () => {
    // 48,000 - 40,000 x 0.63093 = 22,762.8.
    expect(suspicionTimeout(8_000, 48_000, 2, 1)).toBe(22_762);
  });

  it("with k = 3 the first confirmation takes half the way, the second 79% of it: the first counts most", () => {
    // log 2 / log 4 = 0.5; log 3 / log 4 = 0.79248.
    expect(suspicionTimeout(10_000, 60_000, 3, 1)).toBe(35_000);
    expect(suspicionTimeout(10_000, 60_000, 3, 2)).toBe(20_375);
    expect(suspicionTimeout(10_000, 60_000, 3, 3)).toBe(10_000);
  });

  it("is the fixed minimum when nothing can shorten it (min = max, plain SWIM)", () => {
    expect(suspicionTimeout(8_000, 8_000, 2, 0)).toBe(8_000);
    expect(suspicionTimeout(8_000, 8_000, 2, 1)).toBe(8_000);
  });
});

describe("Suspicion: one member's suspicion of another", () => {
  it("is due max after it started, and each new independent accuser brings the deadline forward", () => {
    const s = new Suspicion("a", 5_000, 4_000, 24_000, 2);
    expect(s.deadline).toBe(29_000);
    expect(s.confirm("b")).toBe(true);
    expect(s.deadline).toBe(16_381);
    expect(s.confirm("c")).toBe(true);
    expect(s.deadline).toBe(9_000);
  });

  it("counts one confirmer once however often it repeats itself: the deadline stays where its first word put it", () => {
    const s = new Suspicion("a", 5_000, 4_000, 24_000, 2);
    s.confirm("b");
    expect([s.confirm("b"), s.confirm("b"), s.confirm("a")]).toEqual([false, false, false]);
    expect(s.deadline).toBe(16_381);
  });

  it("depends on who confirmed, not in which order", () => {
    const first = new Suspicion("a", 0, 4_000, 24_000, 2);
    const second = new Suspicion("a", 0, 4_000, 24_000, 2);
    first.confirm("b");
    first.confirm("c");
    second.confirm("c");
    second.confirm("b");
    expect(first.deadline).toBe(4_000);
    expect(second.deadline).toBe(4_000);
  });

  it("expecting no confirmations (k = 0: plain SWIM, a small cluster), lasts min and takes none to gossip on", () => {
    const s = new Suspicion("a", 1_000, 4_000, 24_000, 0);
    expect(s.deadline).toBe(5_000);
    expect(s.confirm("b")).toBe(false);
    expect(s.deadline).toBe(5_000);
  });
});
