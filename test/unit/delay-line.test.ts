import { describe, expect, it } from "vitest";
import { DelayLine } from "../../shared/delay-line";
import { manualTimers } from "./support/manual-timers";

describe("DelayLine", () => {
  it("releases each caller once its delay has passed, with one timer armed at a time", async () => {
    const time = manualTimers();
    const line = new DelayLine(time.schedule, time.now);
    const left: string[] = [];
    for (const [name, at] of [
      ["a", 0],
      ["b", 10],
      ["c", 10],
    ] as const) {
      await time.advance(at - time.now());
      void line.wait(100).then(() => left.push(`${name}@${time.now()}`));
    }
    expect(line.length).toBe(3);
    await time.advance(89);
    expect(time.now()).toBe(99);
    expect(left).toEqual([]);
    await time.advance(1);
    expect(left).toEqual(["a@100"]);
    await time.advance(10);
    expect(left).toEqual(["a@100", "b@110", "c@110"]);
    expect(line.length).toBe(0);
    // One timer for a, one for b and c together: not one per caller.
    expect(time.scheduled()).toBe(2);
  });

  it("keeps arrival order: a shorter delay after a longer one waits for it, so no caller waits less than its delay", async () => {
    const time = manualTimers();
    const line = new DelayLine(time.schedule, time.now);
    const left: string[] = [];
    void line.wait(100).then(() => left.push(`long@${time.now()}`));
    void line.wait(10).then(() => left.push(`short@${time.now()}`));
    await time.advance(50);
    expect(left).toEqual([]);
    await time.advance(50);
    expect(left).toEqual(["long@100", "short@100"]);
  });

  it("arms nothing while empty, and starts again for a caller after it emptied", async () => {
    const time = manualTimers();
    const line = new DelayLine(time.schedule, time.now);
    expect(time.scheduled()).toBe(0);
    await Promise.all([line.wait(5), time.advance(5)]);
    const later = line.wait(0);
    await time.advance(0);
    await expect(later).resolves.toBeUndefined();
    expect(time.scheduled()).toBe(2);
  });

  it("refuses a negative delay", () => {
    const time = manualTimers();
    expect(() => new DelayLine(time.schedule, time.now).wait(-1)).toThrow(/never negative/);
    expect(() => new DelayLine(time.schedule, time.now).wait(Number.POSITIVE_INFINITY)).toThrow(/finite/);
  });
});
