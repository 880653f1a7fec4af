import { describe, expect, it } from "vitest";
import { BroadcastQueue } from "../../shared/swim/broadcast";
import { retransmitLimit, DEFAULT_SWIM_CONFIG } from "../../shared/swim/config";
import type { Update } from "../../shared/swim/types";

const alive = (member: string, incarnation = 0): Update => ({ state: "alive", member, incarnation });
const names = (updates: readonly Update[]) => updates.map((u) => u.member);

describe("BroadcastQueue (piggyback buffer)", () => {
  it("retransmits each update retransmitMult x ceil(log10(n + 1)) times, then retires it", () => {
    const limit = retransmitLimit(DEFAULT_SWIM_CONFIG, 100);
    expect(limit).toBe(12);
    const q = new BroadcastQueue(100);
    q.enqueue(alive("a"));
    for (let i = 0; i < limit; i++) expect(names(q.take(6, limit))).toEqual(["a"]);
    expect(q.take(6, limit)).toEqual([]);
    expect(q.size).toBe(0);
  });

  it("hands out the least-transmitted first, newest first among equals", () => {
    const q = new BroadcastQueue(100);
    q.enqueue(alive("a"));
    q.enqueue(alive("b"));
    expect(names(q.take(1, 10))).toEqual(["b"]); // newest first
    q.enqueue(alive("c"));
    // c and a were never sent; b was, once.
    expect(names(q.take(3, 10))).toEqual(["c", "a", "b"]);
  });

  it("never puts the same update twice in one message", () => {
    const q = new BroadcastQueue(100);
    q.enqueue(alive("a"));
    expect(names(q.take(6, 10))).toEqual(["a"]);
  });

  it("keeps one update per member: newer news replaces older", () => {
    const q = new BroadcastQueue(100);
    q.enqueue(alive("a", 1));
    q.enqueue({ state: "suspect", member: "a", incarnation: 1, from: "b" });
    expect(q.size).toBe(1);
    expect(q.take(6, 10)).toEqual([{ state: "suspect", member: "a", incarnation: 1, from: "b" }]);
  });

  it("is bounded: over capacity it drops the most-sent, oldest update", () => {
    const q = new BroadcastQueue(3);
    q.enqueue(alive("a"));
    q.enqueue(alive("b"));
    q.take(1, 10); // b sent once
    q.enqueue(alive("c"));
    q.enqueue(alive("d")); // over capacity: b goes
    expect(q.size).toBe(3);
    expect(names(q.take(6, 10)).sort()).toEqual(["a", "c", "d"]);
  });

  it("stays bounded in memory under churn about a few members", () => {
    const q = new BroadcastQueue(8);
    for (let i = 0; i < 10_000; i++) q.enqueue(alive(`m${i % 4}`, i));
    expect(q.size).toBe(4);
    expect(
      q
        .take(10, 10)
        .map((u) => u.incarnation)
        .sort((a, b) => a - b),
    ).toEqual([9_996, 9_997, 9_998, 9_999]);
  });

  it("retires updates already over a limit that shrank (members died)", () => {
    const q = new BroadcastQueue(10);
    q.enqueue(alive("a"));
    for (let i = 0; i < 5; i++) q.take(6, 12);
    expect(q.take(6, 4)).toEqual([]);
    expect(q.size).toBe(0);
  });
});
