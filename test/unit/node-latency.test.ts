import { describe, expect, it } from "vitest";
import { fastestFirst, NodeLatencies } from "../../shared/node-latency";

describe("NodeLatencies", () => {
  it("starts at a node's first sample and moves a tenth of the way to each new one", () => {
    const latencies = new NodeLatencies(0.1);
    latencies.record("a", 10);
    expect(latencies.average("a")).toBe(10);
    latencies.record("a", 110);
    expect(latencies.average("a")).toBe(20);
    expect(latencies.average("b")).toBeUndefined();
  });

  it("holds at most `maxNodes` nodes, forgetting the oldest", () => {
    const latencies = new NodeLatencies(0.1, 2);
    latencies.record("a", 1);
    latencies.record("b", 1);
    latencies.record("c", 1);
    expect([latencies.average("a"), latencies.average("b"), latencies.average("c")]).toEqual([undefined, 1, 1]);
  });
});

describe("fastestFirst", () => {
  const averages = (table: Record<string, number>) => (node: string) => table[node];
  const none = new Set<string>();

  it("keeps the preference order while no replica is much slower than the fastest", () => {
    const order = ["a", "b", "c"];
    expect(fastestFirst(order, none, averages({ a: 4, b: 3, c: 2 }))).toBe(order);
  });

  it("moves a much slower replica behind the others, slowest last", () => {
    expect(fastestFirst(["a", "b", "c"], none, averages({ a: 900, b: 2, c: 300 }))).toEqual(["b", "c", "a"]);
  });

  it("keeps suspect members last, even when they have been fast", () => {
    expect(fastestFirst(["b", "c", "a"], new Set(["a"]), averages({ a: 1, b: 500, c: 2 }))).toEqual(["c", "b", "a"]);
  });

  it("treats a replica with no average yet as fast, so it gets measured", () => {
    expect(fastestFirst(["a", "b", "c"], none, averages({ a: 800, c: 2 }))).toEqual(["b", "c", "a"]);
  });
});
