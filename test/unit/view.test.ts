import { describe, expect, it } from "vitest";
import type { MemberStatus } from "../../shared/swim";
import { liveWithout, NO_ONE, readOrder, ringMembers, viewDigest } from "../../shared/view";

const m = (name: string, state: MemberStatus["state"], incarnation = 0, since?: number): MemberStatus =>
  since === undefined ? { name, state, incarnation } : { name, state, incarnation, since };
const health = (suspects: string[], dead: string[] = [], behind: string[] = []) => ({
  suspects: new Set(suspects),
  dead: new Set(dead),
  behind: new Set(behind),
});

describe("which members are on the ring", () => {
  it("alive and suspect members are; dead and left ones are not", () => {
    expect(ringMembers([m("c", "suspect"), m("a", "alive"), m("b", "dead"), m("d", "left")])).toEqual(["a", "c"]);
  });

  it("the view digest changes with the ring's members, not with incarnations, order or suspicion", () => {
    const base = viewDigest([m("a", "alive"), m("b", "alive"), m("c", "alive")]);
    expect(viewDigest([m("c", "alive", 4), m("a", "suspect"), m("b", "alive")])).toBe(base);
    expect(viewDigest([m("a", "alive"), m("b", "alive"), m("c", "dead")])).not.toBe(base);
    expect(viewDigest([m("a", "alive"), m("b", "alive"), m("c", "alive"), m("d", "alive")])).not.toBe(base);
  });

  it("a dead member stays on the ring for the grace after it was declared dead, then leaves it", () => {
    const members = [m("a", "alive"), m("b", "dead", 2, 1_000), m("c", "suspect"), m("d", "left", 1, 1_000)];
    expect(ringMembers(members, { now: 1_000 + 599_999, graceMs: 600_000 })).toEqual(["a", "b", "c"]);
    expect(ringMembers(members, { now: 1_000 + 600_000, graceMs: 600_000 })).toEqual(["a", "c"]);
    expect(ringMembers(members, { now: 5_000, graceMs: 0 })).toEqual(["a", "c"]);
    expect(ringMembers(members)).toEqual(["a", "c"]);
  });

  it("a leave counts the live members that would stay: a dead member within its grace is not one of them", () => {
    const members = [m("a", "alive"), m("b", "dead", 2, 1_000), m("c", "suspect"), m("d", "alive"), m("e", "left")];
    expect(liveWithout(members, "a")).toEqual(["c", "d"]);
    expect(liveWithout(members, "b")).toEqual(["a", "c", "d"]);
  });

  it("reads try suspect replicas last, then those catching up, and never dead ones", () => {
    expect(readOrder(["a", "b", "c"], health(["a"]))).toEqual(["b", "c", "a"]);
    expect(readOrder(["a", "b", "c"], health(["b", "c"]))).toEqual(["a", "b", "c"]);
    expect(readOrder(["a", "b", "c"], health(["b"], [], ["a"]))).toEqual(["c", "b", "a"]);
    expect(readOrder(["a", "b", "c"], health([], ["b"], ["a"]))).toEqual(["c", "a"]);
    const list = ["a", "b", "c"];
    expect(readOrder(list, { suspects: NO_ONE, dead: NO_ONE, behind: NO_ONE })).toBe(list);
  });
});
