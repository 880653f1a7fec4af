import { describe, expect, it } from "vitest";
import { Awareness } from "../../shared/swim/awareness";
import { DEFAULT_SWIM_CONFIG } from "../../shared/swim/config";
import { suspicionTimeouts } from "../../shared/swim/suspicion";

// swim-lifeguard.test.ts checks that a jump of +100 / -100 lands on 7 / 0 and that max 1 pins the
// score. Here: the score one step at a time, as the protocol moves it (docs/membership.md,
// "Local health": +1 per missing nack or refutation, -1 per successful probe), and the multiplier.

describe("Awareness: Lifeguard's local health score", () => {
  it("starts healthy: score 0, timeouts as configured", () => {
    const a = new Awareness(DEFAULT_SWIM_CONFIG.awarenessMax);
    expect(a.score).toBe(0);
    expect(a.scale(DEFAULT_SWIM_CONFIG.pingTimeoutMs)).toBe(500);
    expect(a.scale(DEFAULT_SWIM_CONFIG.protocolPeriodMs)).toBe(1_000);
  });

  it("climbs one step per piece of bad news up to awarenessMax - 1 (7 with the defaults), and no further", () => {
    const a = new Awareness(8);
    const scores: number[] = [];
    for (let i = 0; i < 9; i++) {
      a.apply(1);
      scores.push(a.score);
    }
    expect(scores).toEqual([1, 2, 3, 4, 5, 6, 7, 7, 7]);
  });

  it("keeps no memory past its bounds: one good probe after saturating brings it down a step", () => {
    const high = new Awareness(8);
    for (let i = 0; i < 20; i++) high.apply(1);
    high.apply(-1);
    expect(high.score).toBe(6);

    const low = new Awareness(8);
    for (let i = 0; i < 5; i++) low.apply(-1);
    low.apply(1);
    expect(low.score).toBe(1);
  });

  it("adds up mixed news within the bounds", () => {
    const a = new Awareness(8);
    a.apply(1);
    a.apply(1);
    a.apply(1);
    a.apply(-1);
    a.apply(0);
    expect(a.score).toBe(2);
  });

  it("stretches a timeout by score + 1: at most awarenessMax times (500 ms ping timeout to 4 s, 1 s period to 8 s)", () => {
    const a = new Awareness(8);
    a.apply(1);
    expect(a.scale(500)).toBe(1_000);
    a.apply(1);
    expect(a.scale(1_000)).toBe(3_000);
    a.apply(100);
    expect(a.scale(500)).toBe(4_000);
    expect(a.scale(1_000)).toBe(8_000);
  });

  it("at its worst makes a lone suspicion at 5 members last 192 periods instead of 24, as docs/membership.md says", () => {
    const { max } = suspicionTimeouts(DEFAULT_SWIM_CONFIG, 5);
    const a = new Awareness(DEFAULT_SWIM_CONFIG.awarenessMax);
    for (let i = 0; i < 10; i++) a.apply(1);
    expect(max).toBe(24_000);
    expect(a.scale(max)).toBe(192_000);
  });

  it("honours a smaller maximum: awarenessMax 3 caps the score at 2 and the stretch at 3x", () => {
    const a = new Awareness(3);
    for (let i = 0; i < 5; i++) a.apply(1);
    expect(a.score).toBe(2);
    expect(a.scale(1_000)).toBe(3_000);
  });

  it("with awarenessMax 2 it is a single flag: healthy or doubled", () => {
    const a = new Awareness(2);
    a.apply(1);
    a.apply(1);
    expect(a.scale(1_000)).toBe(2_000);
    a.apply(-1);
    expect(a.scale(1_000)).toBe(1_000);
  });
});
