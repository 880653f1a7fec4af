import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nextIoTurn } from "../../worker/io-turn";

describe("nextIoTurn", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("waits for a timer turn: draining queued promise callbacks does not resolve it", async () => {
    let resumed = false;
    void nextIoTurn().then(() => {
      resumed = true;
    });
    for (let i = 0; i < 1_000; i++) await Promise.resolve();
    expect(resumed).toBe(false);

    await vi.advanceTimersByTimeAsync(0);
    expect(resumed).toBe(true);
  });
});
