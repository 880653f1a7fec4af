import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nextIoTurn } from "../../worker/io-turn";

describe("nextIoTurn", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("resolves on a timer turn, not while promise callbacks keep the queue busy", async () => {
    let resumed = false;
    void nextIoTurn().then(() => {
      resumed = true;
    });
    // Work already queued (here: a long chain of settled promises) runs first, however long it is.
    for (let i = 0; i < 1_000; i++) await Promise.resolve();
    expect(resumed).toBe(false);

    await vi.advanceTimersByTimeAsync(0);
    expect(resumed).toBe(true);
  });

  it("resumes waiting requests in the order they arrived", async () => {
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => nextIoTurn().then(() => order.push(n)));
    await vi.advanceTimersByTimeAsync(0);
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
  });
});
