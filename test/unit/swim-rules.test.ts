import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { refutation, overrides, type Status } from "../../shared/swim/rules";
import type { MemberState } from "../../shared/swim/types";

const at = (state: MemberState, incarnation: number): Status => ({ state, incarnation });

describe("SWIM precedence: what we hold about another member", () => {
  it.each([
    // incoming, current, applied?
    [at("alive", 1), undefined, true],
    [at("alive", 2), at("alive", 1), true],
    [at("alive", 1), at("alive", 1), false],
    [at("alive", 1), at("alive", 2), false],
    [at("alive", 2), at("suspect", 1), true],
    [at("alive", 1), at("suspect", 1), false],
    [at("suspect", 1), at("alive", 1), true],
    [at("suspect", 2), at("alive", 1), true],
    [at("suspect", 1), at("alive", 2), false],
    [at("suspect", 2), at("suspect", 1), true],
    [at("suspect", 1), at("suspect", 1), false],
    [at("dead", 1), at("alive", 1), true],
    [at("dead", 1), at("suspect", 1), true],
    [at("dead", 1), at("alive", 2), false],
    [at("alive", 2), at("dead", 1), true],
    [at("alive", 1), at("dead", 1), false],
    [at("suspect", 1), at("dead", 1), false],
    [at("left", 1), at("alive", 1), true],
    [at("left", 1), at("dead", 1), true],
    [at("alive", 1), at("left", 1), false],
    [at("dead", 1), at("left", 1), false],
    [at("alive", 2), at("left", 1), true],
  ] as const)("%o over %o: %s", (incoming, current, applied) => {
    expect(overrides(incoming, current)).toBe(applied);
  });

  const status = fc.record({
    state: fc.constantFrom<MemberState>("alive", "suspect", "dead", "left"),
    incarnation: fc.nat(20),
  });
  const merge = (updates: readonly Status[]) => updates.reduce<Status | undefined>((held, u) => (overrides(u, held) ? u : held), undefined);

  it("merging is order-independent: any arrival order of the same updates ends in the same view", () => {
    fc.assert(
      fc.property(
        fc
          .array(status, { minLength: 1, maxLength: 12 })
          .chain((updates) => fc.tuple(fc.constant(updates), fc.shuffledSubarray(updates, { minLength: updates.length }))),
        ([updates, shuffled]) => {
          expect(merge(shuffled)).toEqual(merge(updates));
        },
      ),
    );
  });

  it("duplicates change nothing", () => {
    fc.assert(
      fc.property(fc.array(status, { minLength: 1, maxLength: 8 }), (updates) => {
        expect(merge([...updates, ...updates])).toEqual(merge(updates));
      }),
    );
  });

  it("a stale alive never resurrects a member that left at the same or a later incarnation", () => {
    fc.assert(
      fc.property(fc.nat(20), fc.nat(20), (left, alive) => {
        fc.pre(alive <= left);
        expect(overrides(at("alive", alive), at("left", left))).toBe(false);
      }),
    );
  });
});

describe("refutation: what a running member answers about itself", () => {
  it("answers an accusation at its incarnation or above with one more", () => {
    expect(refutation(3, at("suspect", 3))).toBe(4);
    expect(refutation(3, at("dead", 5))).toBe(6);
    expect(refutation(3, at("left", 3))).toBe(4);
  });

  it("ignores stale accusations and its own alive", () => {
    expect(refutation(3, at("suspect", 2))).toBeUndefined();
    expect(refutation(3, at("alive", 3))).toBeUndefined();
  });

  it("overtakes an alive above its own (a restart that lost its incarnation)", () => {
    expect(refutation(0, at("alive", 7))).toBe(8);
  });
});
