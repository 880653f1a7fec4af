import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Ring } from "../../shared/ring";

const OPTIONS = { virtualNodes: 128, replicas: 3 };
const KEYS = Array.from({ length: 100_000 }, (_, i) => `key-${i}`);

/** Several random sets of node names, the same on every run (fixed seeds). */
const nodeSets = fc.sample(fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{2,14}$/), { minLength: 6, maxLength: 6 }), {
  numRuns: 5,
  seed: 20261125,
});

function replicaCounts(ring: Ring): Map<string, number> {
  const counts = new Map<string, number>(ring.members.map((m) => [m, 0]));
  for (const key of KEYS) for (const node of ring.preferenceList(key)) counts.set(node, counts.get(node)! + 1);
  return counts;
}

describe("Ring", () => {
  it("puts each key on N distinct members, the first N met clockwise", () => {
    const ring = Ring.build(["a", "b", "c", "d", "e"], OPTIONS);
    for (const key of KEYS.slice(0, 1000)) {
      const list = ring.preferenceList(key);
      expect(list).toHaveLength(3);
      expect(new Set(list).size).toBe(3);
    }
  });

  it("is the same ring whatever order the members are listed in", () => {
    const a = Ring.build(["n1", "n2", "n3", "n4", "n5"], OPTIONS);
    const b = Ring.build(["n5", "n3", "n1", "n4", "n2", "n3"], OPTIONS);
    for (const key of KEYS.slice(0, 5000)) expect(b.preferenceList(key)).toEqual(a.preferenceList(key));
  });

  it("holds fewer than N replicas when the cluster is smaller than N", () => {
    expect(Ring.build(["solo", "duo"], OPTIONS).preferenceList("k")).toHaveLength(2);
    expect(Ring.build([], OPTIONS).preferenceList("k")).toEqual([]);
  });

  it("refuses nonsense options", () => {
    expect(() => Ring.build(["a"], { virtualNodes: 0, replicas: 3 })).toThrow(RangeError);
    expect(() => Ring.build(["a"], { virtualNodes: 8, replicas: 1.5 })).toThrow(RangeError);
  });

  describe.each(nodeSets.map((names, i) => [i, names] as const))("node set %i", (_i, names) => {
    const five = names.slice(0, 5);
    const sixth = names[5]!;

    it("balances: with 5 nodes, the most loaded holds at most 1.15x the mean of all N replicas", () => {
      const counts = replicaCounts(Ring.build(five, OPTIONS));
      const mean = (KEYS.length * OPTIONS.replicas) / five.length;
      expect(Math.max(...counts.values()) / mean).toBeLessThanOrEqual(1.15);
    });

    it("adding a sixth node moves close to 1/6 of placements, all of them onto the new node", () => {
      const before = Ring.build(five, OPTIONS);
      const after = Ring.build(names, OPTIONS);
      let moved = 0;
      for (const key of KEYS) {
        const old = new Set(before.preferenceList(key));
        for (const node of after.preferenceList(key)) {
          if (old.has(node)) continue;
          moved++;
          expect(node).toBe(sixth);
        }
      }
      const ideal = (KEYS.length * OPTIONS.replicas) / 6;
      expect(moved / ideal).toBeLessThanOrEqual(1.2);
      expect(moved / ideal).toBeGreaterThanOrEqual(0.8);
    });
  });
});
