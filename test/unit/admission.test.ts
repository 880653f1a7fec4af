import { describe, expect, it } from "vitest";
import { Admission, Shed } from "../../shared/admission";
import { manualTimers } from "./support/manual-timers";

describe("Admission", () => {
  it("admits up to the limit at once, then lines requests up until a slot frees", async () => {
    const { schedule, advance, now } = manualTimers();
    const admission = new Admission(2, 100, schedule, now, 10);
    const first = await admission.enter();
    await admission.enter();
    const order: string[] = [];
    void admission.enter().then(() => order.push("third"));
    void admission.enter().then(() => order.push("fourth"));
    expect(admission.load).toEqual({ running: 2, waiting: 2 });
    first();
    first(); // a second release of the same slot frees nothing more
    await advance(10);
    expect(order).toEqual(["third"]);
    expect(admission.load).toEqual({ running: 2, waiting: 1 });
  });

  it("does not let a new request pass those in line", async () => {
    const { schedule, advance, now } = manualTimers();
    const admission = new Admission(1, 100, schedule, now, 10);
    const release = await admission.enter();
    const order: string[] = [];
    void admission.enter().then(() => order.push("waiting"));
    release();
    void admission.enter().then(() => order.push("new"));
    await advance(10);
    expect(order).toEqual(["waiting"]);
  });

  it("sheds a request that waited `maxWaitMs` in line, and only that one", async () => {
    const { schedule, advance, now } = manualTimers();
    const admission = new Admission(1, 100, schedule, now, 10);
    const release = await admission.enter();
    const shed = admission.enter();
    const outcome = expect(shed).rejects.toBeInstanceOf(Shed);
    for (let t = 0; t < 5; t++) await advance(10);
    const later = admission.enter();
    for (let t = 0; t < 5; t++) await advance(10);
    await outcome;
    expect(admission.load).toEqual({ running: 1, waiting: 1 });
    release();
    await advance(10);
    await expect(later).resolves.toEqual(expect.any(Function));
  });

  it("arms no timer for a request admitted at once", async () => {
    const { schedule, armed, now } = manualTimers();
    await new Admission(4, 100, schedule, now).enter();
    expect(armed()).toEqual([]);
  });
});
