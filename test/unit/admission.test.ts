import { describe, expect, it } from "vitest";
import { Admission, Shed } from "../../shared/admission";
import { flush, manualTimers } from "./support/manual-timers";

describe("Admission", () => {
  it("admits up to the limit at once, then lines requests up and admits them in arrival order as slots free", async () => {
    const { schedule } = manualTimers();
    const admission = new Admission(2, 100, schedule);
    const first = await admission.enter();
    await admission.enter();
    const order: string[] = [];
    void admission.enter().then(() => order.push("third"));
    void admission.enter().then(() => order.push("fourth"));
    expect(admission.load).toEqual({ running: 2, waiting: 2 });
    first();
    first(); // a second release of the same slot frees nothing more
    await flush();
    expect(order).toEqual(["third"]);
    expect(admission.load).toEqual({ running: 2, waiting: 1 });
  });

  it("sheds a request that waited `maxWaitMs` in line, and only that one", async () => {
    const { schedule, advance } = manualTimers();
    const admission = new Admission(1, 100, schedule);
    const release = await admission.enter();
    const shed = admission.enter();
    const outcome = expect(shed).rejects.toBeInstanceOf(Shed);
    await advance(50);
    const later = admission.enter();
    await advance(50);
    await outcome;
    expect(admission.load).toEqual({ running: 1, waiting: 1 });
    release();
    await expect(later).resolves.toEqual(expect.any(Function));
  });

  it("arms no timer for a request admitted at once", async () => {
    const { schedule, armed } = manualTimers();
    await new Admission(4, 100, schedule).enter();
    expect(armed()).toEqual([]);
  });
});
