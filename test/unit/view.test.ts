import { describe, expect, it } from "vitest";
import type { MemberStatus } from "../../shared/swim";
import { readOrder, ringMembers, viewDigest } from "../../shared/view";

const m = (name: string, state: MemberStatus["state"], incarnation = 0): MemberStatus => ({ name, state, incarnation });

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

  it("reads try suspect replicas last, keeping the preference order otherwise", () => {
    expect(readOrder(["a", "b", "c"], new Set(["a"]))).toEqual(["b", "c", "a"]);
    expect(readOrder(["a", "b", "c"], new Set(["b", "c"]))).toEqual(["a", "b", "c"]);
    const list = ["a", "b", "c"];
    expect(readOrder(list, new Set())).toBe(list);
  });
});
