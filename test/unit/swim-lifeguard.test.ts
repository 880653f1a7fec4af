import { describe, expect, it } from "vitest";
import { Awareness } from "../../shared/swim/awareness";
import { DEFAULT_SWIM_CONFIG } from "../../shared/swim/config";
import { expectedConfirmations, Suspicion, suspicionTimeout, suspicionTimeouts } from "../../shared/swim/suspicion";

const lifeguard = DEFAULT_SWIM_CONFIG;
const plain = { ...DEFAULT_SWIM_CONFIG, lifeguard: false };

describe("suspicion timeout", () => {
  it("is suspicionMult x max(1, log10 n) x T at least, memberlist's formula", () => {
    expect(suspicionTimeouts(lifeguard, 5).min).toBe(4_000);
    expect(suspicionTimeouts(lifeguard, 10).min).toBe(4_000);
    expect(suspicionTimeouts(lifeguard, 100).min).toBe(8_000);
    expect(suspicionTimeouts(lifeguard, 10_000).min).toBe(16_000);
  });

  it("starts suspicionMaxMult times higher with Lifeguard, and is fixed without", () => {
    expect(suspicionTimeouts(lifeguard, 100)).toEqual({ min: 8_000, max: 48_000 });
    expect(suspicionTimeouts(plain, 100)).toEqual({ min: 8_000, max: 8_000 });
  });

  it("expects suspicionMult - 2 confirmations, none in a cluster too small to give them, none without Lifeguard", () => {
    expect(expectedConfirmations(lifeguard, 100)).toBe(2);
    expect(expectedConfirmations(lifeguard, 3)).toBe(0);
    expect(expectedConfirmations(plain, 100)).toBe(0);
  });

  it("shrinks logarithmically from max to min as confirmations arrive", () => {
    const [min, max, k] = [8_000, 48_000, 2];
    expect(suspicionTimeout(min, max, k, 0)).toBe(48_000);
    // log(2)/log(3) = 0.63 of the way down after the first confirmation: the first counts most.
    expect(suspicionTimeout(min, max, k, 1)).toBe(Math.floor(48_000 - (Math.log(2) / Math.log(3)) * 40_000));
    expect(suspicionTimeout(min, max, k, 2)).toBe(8_000);
    expect(suspicionTimeout(min, max, k, 5)).toBe(8_000);
    expect(suspicionTimeout(min, max, 0, 0)).toBe(8_000);
  });
});

describe("Suspicion", () => {
  it("counts each independent accuser once, never the one that started it", () => {
    const s = new Suspicion("a", 1_000, 8_000, 48_000, 2);
    expect(s.deadline).toBe(49_000);
    expect(s.confirm("a")).toBe(false);
    expect(s.confirm("b")).toBe(true);
    expect(s.confirm("b")).toBe(false);
    expect(s.deadline).toBeLessThan(49_000);
    expect(s.confirm("c")).toBe(true);
    expect(s.deadline).toBe(9_000);
    expect(s.confirm("d")).toBe(false); // beyond k: nothing left to shorten, nothing to gossip
  });
});

describe("Awareness (local health)", () => {
  it("scales timeouts by score + 1 and stays within 0..max-1", () => {
    const a = new Awareness(8);
    expect(a.scale(500)).toBe(500);
    a.apply(3);
    expect(a.scale(500)).toBe(2_000);
    a.apply(100);
    expect(a.score).toBe(7);
    a.apply(-100);
    expect(a.score).toBe(0);
  });

  it("with max 1 (Lifeguard off) never moves", () => {
    const a = new Awareness(1);
    a.apply(5);
    expect(a.scale(1_000)).toBe(1_000);
  });
});
