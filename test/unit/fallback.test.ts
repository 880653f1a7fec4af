import { describe, expect, it } from "vitest";
import { fallbackFor } from "../../shared/fallback";
import { Ring } from "../../shared/ring";

const ring = Ring.build(["a", "b", "c", "d", "e"], { virtualNodes: 16, replicas: 3 });
const none = new Set<string>();

describe("where a hint goes", () => {
  it("to the first member clockwise past the preference list", () => {
    for (let i = 0; i < 50; i++) {
      const key = `k${i}`;
      const walk = ring.successors(key, 5);
      expect(walk.slice(0, 3)).toEqual(ring.preferenceList(key));
      expect(fallbackFor(ring, key, none, none)).toBe(walk[3]);
    }
  });

  it("never to a dead member or one already holding this write's hint", () => {
    const walk = ring.successors("k", 5);
    expect(fallbackFor(ring, "k", new Set([walk[3]!]), none)).toBe(walk[4]);
    expect(fallbackFor(ring, "k", none, new Set([walk[3]!]))).toBe(walk[4]);
    expect(fallbackFor(ring, "k", new Set([walk[3]!]), new Set([walk[4]!]))).toBeUndefined();
  });

  it("nowhere when every member is a home replica", () => {
    const three = Ring.build(["a", "b", "c"], { virtualNodes: 16, replicas: 3 });
    expect(fallbackFor(three, "k", none, none)).toBeUndefined();
  });
});
