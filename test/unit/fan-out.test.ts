import { describe, expect, it } from "vitest";
import { inBatches } from "../../worker/fan-out";
import { flush } from "./support/manual-timers";

describe("inBatches", () => {
  it("calls every item, at most `width` at a time, and answers in the items' order", async () => {
    let inFlight = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const call = (n: number) =>
      new Promise<number>((resolve) => {
        inFlight++;
        most = Math.max(most, inFlight);
        releases.push(() => {
          inFlight--;
          resolve(n * 10);
        });
      });
    const answer = inBatches([1, 2, 3, 4, 5, 6, 7, 8, 9], 6, call);
    await flush();
    expect(inFlight).toBe(6);
    // Answered out of order: the results still follow the items.
    while (releases.length > 0) {
      releases.pop()!();
      await flush();
    }
    expect(await answer).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(most).toBe(6);
  });

  it("answers an empty list without calling", async () => {
    expect(await inBatches([], 6, () => Promise.reject(new Error("not called")))).toEqual([]);
  });
});
