import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isEntry, lostToNewer, newestOf, supersedes, type Entry } from "../../shared/entry";

const entry: fc.Arbitrary<Entry> = fc.oneof(
  fc.record({
    kind: fc.constant("value" as const),
    value: fc.json(),
    version: fc.record({ wall: fc.nat(50), logical: fc.nat(3), writer: fc.constantFrom("a", "b") }),
  }),
  fc.record({
    kind: fc.constant("tombstone" as const),
    version: fc.record({ wall: fc.nat(50), logical: fc.nat(3), writer: fc.constantFrom("a", "b") }),
  }),
);

/** What a replica ends with after applying `writes` in the given order. */
function replay(writes: readonly Entry[]): Entry | undefined {
  let held: Entry | undefined;
  for (const w of writes) if (supersedes(w, held)) held = w;
  return held;
}

describe("the replica merge rule", () => {
  it("ends in the same state whatever order the writes arrive in", () => {
    const writesAndAShuffle = fc
      .uniqueArray(entry, { selector: (e) => JSON.stringify(e.version) })
      .chain((writes) =>
        fc.tuple(fc.constant(writes), fc.shuffledSubarray(writes, { minLength: writes.length, maxLength: writes.length })),
      );
    fc.assert(
      fc.property(writesAndAShuffle, ([writes, shuffled]) => {
        expect(replay(shuffled)).toEqual(replay(writes));
      }),
    );
  });

  it("is idempotent: replaying writes changes nothing", () => {
    fc.assert(
      fc.property(fc.array(entry), (writes) => {
        expect(replay([...writes, ...writes])).toEqual(replay(writes));
      }),
    );
  });

  it("keeps the newest version, so a tombstone newer than a value wins and an older one loses", () => {
    const value: Entry = { kind: "value", value: '"v"', version: { wall: 2, logical: 0, writer: "a" } };
    const newer: Entry = { kind: "tombstone", version: { wall: 3, logical: 0, writer: "a" } };
    const older: Entry = { kind: "tombstone", version: { wall: 1, logical: 0, writer: "a" } };
    expect(newestOf([value, newer, undefined])).toBe(newer);
    expect(newestOf([older, value])).toBe(value);
    expect(newestOf([undefined, undefined])).toBeUndefined();
  });

  it("recognises well-formed entries at a node's boundary", () => {
    expect(isEntry({ kind: "value", value: "1", version: { wall: 1, logical: 0, writer: "w" } })).toBe(true);
    expect(isEntry({ kind: "tombstone", version: { wall: 1, logical: 0, writer: "w" } })).toBe(true);
    expect(isEntry({ kind: "value", value: 1, version: { wall: 1, logical: 0, writer: "w" } })).toBe(false);
    expect(isEntry({ kind: "other", version: { wall: 1, logical: 0, writer: "w" } })).toBe(false);
    expect(isEntry({ kind: "tombstone" })).toBe(false);
  });
});

describe("a write that lost to a newer version", () => {
  const written = { wall: 100, logical: 0, writer: "a" };
  it("is one a replica did not apply because it holds a newer version", () => {
    expect(lostToNewer(written, { applied: false, version: { wall: 100, logical: 1, writer: "a" } })).toBe(true);
    expect(lostToNewer(written, { applied: false, version: { wall: 101, logical: 0, writer: "b" } })).toBe(true);
  });

  it("is not one the replica applied, or already held (the same version: a retried write)", () => {
    expect(lostToNewer(written, { applied: true, version: written })).toBe(false);
    expect(lostToNewer(written, { applied: false, version: written })).toBe(false);
  });
});
