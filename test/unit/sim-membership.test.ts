import { describe, expect, it } from "vitest";
import { DEFAULT_SWIM_CONFIG } from "../../shared/swim";
import { runFalsePositives } from "../../sim/false-positives";
import { runCutLink, runJoin, runLeave, runPartition, runRecovery } from "../../sim/scenarios";

describe("membership changes in a 200-member simulated cluster", () => {
  it.each(["snapshot", "none"] as const)(
    "a crashed member restarted with memory=%s refutes its death and is alive everywhere",
    (memory) => {
      const r = runRecovery({ size: 200, seed: 3, memory });
      expect(r.deadEverywhere).toBeDefined();
      expect(r.aliveEverywhere).toBeDefined();
      expect(r.aliveEverywhere!).toBeLessThan(15);
      expect(r.incarnationAfter).toBeGreaterThan(r.incarnationBefore);
    },
  );

  it("two members that cannot reach each other are not declared dead while indirect probes get through", () => {
    const r = runCutLink({ size: 200, seed: 4, periods: 600 });
    expect(r.deaths).toBe(0);
    expect(r.suspicions).toBe(0);
  });

  it("a partition long enough for each half to declare the other dead heals by itself", () => {
    const r = runPartition({ size: 100, seed: 9, splitPeriods: 120 });
    expect(r.splitPairs).toBe(2 * 50 * 50); // each half held the other not alive
    expect(r.healed).toBeDefined();
    expect(r.healed!).toBeLessThan(180); // within a few push-pull intervals
  });

  it("a joiner that knows one introducer appears in every view, and learns every member", () => {
    const r = runJoin({ size: 200, seed: 5 });
    expect(r.knownEverywhere).toBeDefined();
    expect(r.knownEverywhere!).toBeLessThan(15);
    expect(r.newcomerKnows).toBe(201);
  });

  it("a graceful leave reaches every view as left, and nobody declares the leaver dead", () => {
    const r = runLeave({ size: 200, seed: 6 });
    expect(r.leftEverywhere).toBeDefined();
    expect(r.declaredDead).toBe(0);
  });
});

describe("Lifeguard (simulated)", () => {
  it("with an overloaded member, it spares healthy members the false accusations plain SWIM makes", () => {
    const run = (lifeguard: boolean) =>
      runFalsePositives({
        size: 50,
        seed: 7,
        config: { ...DEFAULT_SWIM_CONFIG, lifeguard },
        phases: [{ loss: 0, periods: 900 }],
        overloaded: { count: 1, backlogMs: 3_000 },
      }).phases[0]!;
    const [on, off] = [run(true), run(false)];
    expect(off.falseSuspicions).toBeGreaterThan(50);
    expect(on.falseSuspicions * 5).toBeLessThan(off.falseSuspicions);
    expect(on.falseDead).toBeLessThan(off.falseDead);
  });

  it("no false positives at all without loss or slow members", () => {
    const phase = runFalsePositives({ size: 100, seed: 8, phases: [{ loss: 0, periods: 300 }] }).phases[0]!;
    expect(phase.falseSuspicions).toBe(0);
    expect(phase.falseDead).toBe(0);
  });
});
