import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SWIM_CONFIG } from "../../shared/swim";
import { suspicionTimeouts } from "../../shared/swim/suspicion";
import { runDetection, type DetectionResult } from "../../sim/detection";
import { runFalsePositives } from "../../sim/false-positives";

describe("SWIM at scale (simulated): detection and dissemination of a crash", () => {
  const n = 200;
  let result: DetectionResult;
  beforeAll(() => {
    result = runDetection({ size: n, seed: 1, trials: 12, crashesPerTrial: 2 });
  });

  it("every crash is eventually held dead by every live member", () => {
    expect(result.samples).toHaveLength(24);
    expect(result.incomplete).toBe(0);
  });

  it("first detection averages near SWIM's e/(e-1) = 1.58 periods, independent of n", () => {
    expect(result.firstDetectionAtBoundary).toBeGreaterThan(1);
    expect(result.firstDetectionAtBoundary).toBeLessThan(2.5);
    // A crash at a random instant waits half a period more for the next probe round.
    expect(result.firstDetectionAtRandom).toBeGreaterThan(1);
    expect(result.firstDetectionAtRandom).toBeLessThan(3);
  });

  it("the suspicion reaches every member in O(log n) periods", () => {
    // Infection-style: a handful of periods for 200 members, nowhere near n.
    expect(result.dissemination).toBeLessThan(3 * Math.log2(n));
    for (const s of result.samples) expect(s.dissemination).toBeLessThan(15);
  });

  it("every live member holds the crashed member dead within detection + the longest suspicion + spreading", () => {
    const { max } = suspicionTimeouts(DEFAULT_SWIM_CONFIG, n);
    const bound = 5 + max / DEFAULT_SWIM_CONFIG.protocolPeriodMs + 15;
    for (const s of result.samples) expect(s.deadEverywhere).toBeLessThan(bound);
    // Confirmations from the other probers bring it down towards the minimum (4 x log10 200 = 9.2 periods).
    expect(result.deadEverywhere).toBeLessThan(25);
  });
});

describe("SWIM at scale (simulated): load", () => {
  it("messages per member per period do not grow with n", () => {
    const load = (size: number) =>
      runFalsePositives({ size, seed: 2, phases: [{ loss: 0.01, periods: 120 }] }).phases[0]!.messagesPerMemberPerPeriod;
    const [small, large] = [load(50), load(200)];
    expect(small).toBeGreaterThan(2);
    expect(Math.abs(large - small) / small).toBeLessThan(0.25);
  });
});
