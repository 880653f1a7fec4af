import { describe, expect, it } from "vitest";
import { DEFAULT_SWIM_CONFIG } from "../../shared/swim";
import { runHeal } from "../../sim/heal";

const trials = (size: number, refutableVerdicts: boolean) =>
  [1, 2, 3, 4, 5].map((seed) => runHeal({ size, seed, config: { ...DEFAULT_SWIM_CONFIG, refutableVerdicts }, healPeriods: 60 }));

describe("healing a partition of one member (simulated)", () => {
  it.each([10, 30])("at N = %i, no healthy member is declared dead by anyone, and the cluster is whole again", (size) => {
    for (const r of trials(size, true)) {
      expect(r.isolationPeriods).toBeDefined(); // each side did declare the other dead
      expect(r.concludedWhileIsolated).toBeGreaterThan(0);
      expect(r.healthyDeclaredDead).toBe(0);
      expect(r.healedPeriods).toBeDefined();
    }
  });

  it("without refutableVerdicts, the returning member's stale verdicts kill healthy members", () => {
    const deaths = trials(10, false).map((r) => r.healthyDeclaredDead);
    expect(deaths.filter((d) => d > 0).length).toBeGreaterThanOrEqual(4);
  });
});
