import { describe, expect, it } from "vitest";
import {
  arcPath,
  arcs,
  balance,
  cacheHitRate,
  commitRatio,
  opsPerSecond,
  ownership,
  recentEvents,
  type ClusterNode,
} from "../../dashboard/src/model";
import { Ring } from "../../shared/ring";

const node = (name: string, fields: Partial<ClusterNode> = {}): ClusterNode => ({
  name,
  state: "alive",
  incarnation: 0,
  reachable: true,
  ...fields,
});

describe("the ring's arcs", () => {
  it("covers the circle once, each stretch owned by the token that ends it", () => {
    const ring = Ring.build(["a", "b", "c"], { virtualNodes: 16, replicas: 1 }).tokenOwners();
    const pieces = arcs(ring);
    const total = pieces.reduce((sum, arc) => sum + arc.end - arc.start, 0);
    expect(total).toBeCloseTo(1, 9);
    // A key just below a token belongs to that token's owner.
    const [token, owner] = ring[5]!;
    const at = (token - 1) / 2 ** 32;
    expect(pieces.find((arc) => arc.start <= at && at < arc.end)?.member).toBe(owner);
  });

  it("merges neighbouring stretches with one label, across the top too", () => {
    const ring: [number, string][] = [
      [1000, "a"],
      [2 ** 31, "b"],
      [2 ** 31 + 10, "b"],
      [2 ** 32 - 1000, "a"],
    ];
    expect(arcs(ring).map((a) => a.member)).toEqual(["a", "b", "a"]);
    expect(arcs(ring, () => "alive")).toHaveLength(1);
    expect(arcs([])).toEqual([]);
  });

  it("gives each member its share of the ring", () => {
    const shares = ownership(Ring.build(["a", "b", "c", "d", "e"], { virtualNodes: 128, replicas: 1 }).tokenOwners());
    for (const share of shares.values()) expect(share).toBeGreaterThan(0.1);
    expect([...shares.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it("draws a full circle as two half arcs", () => {
    expect(arcPath(100, 100, 50, 0, 1).match(/A /g)).toHaveLength(2);
    expect(arcPath(100, 100, 50, 0, 0.25)).toBe("M 100.00 50.00 A 50 50 0 0 1 150.00 100.00");
  });
});

describe("the cluster's figures", () => {
  it("balance is the most loaded ring member over the mean, ignoring dead and unreachable nodes", () => {
    const nodes = [
      node("a", { keys: 30 }),
      node("b", { keys: 10 }),
      node("c", { keys: 20 }),
      node("d", { keys: 500, state: "dead" }),
      node("e", { keys: 900, reachable: false }),
    ];
    expect(balance(nodes)).toBeCloseTo(1.5);
    expect(balance([node("a", { keys: 0 })])).toBeUndefined();
  });

  it("operations per second from two samples; none when a counter went back", () => {
    const before = node("a", { groupCommit: { writes: 10, commits: 5 }, reads: 5 });
    const after = node("a", { groupCommit: { writes: 30, commits: 10 }, reads: 25 });
    expect(opsPerSecond(before, after, 2000)).toBe(20);
    expect(opsPerSecond(after, before, 1000)).toBeUndefined();
    expect(opsPerSecond(undefined, after, 1000)).toBeUndefined();
    expect(commitRatio(after)).toBe(3);
    expect(commitRatio(node("a", { groupCommit: { writes: 0, commits: 0 } }))).toBeUndefined();
  });

  it("cache hit rate where the storage reports one", () => {
    expect(cacheHitRate({ cacheHits: 3, cacheMisses: 1 })).toBe(0.75);
    expect(cacheHitRate({ cache: { hits: 1, misses: 1 } })).toBe(0.5);
    expect(cacheHitRate({ bytes: 10 })).toBeUndefined();
    expect(cacheHitRate(undefined)).toBeUndefined();
  });

  it("lists each membership event once, newest first, with who saw it", () => {
    const dead = { member: "c", type: "dead", incarnation: 0 };
    const nodes = [
      node("a", { events: [{ ...dead, at: 20 }] }),
      node("b", {
        events: [
          { ...dead, at: 15 },
          { member: "c", type: "refuted", incarnation: 1, at: 40 },
        ],
      }),
    ];
    expect(recentEvents(nodes, 10)).toEqual([
      { member: "c", type: "refuted", incarnation: 1, at: 40, seenBy: ["b"] },
      { ...dead, at: 15, seenBy: ["a", "b"] },
    ]);
    expect(recentEvents(nodes, 1)).toHaveLength(1);
  });
});
