import { describe, expect, it } from "vitest";
import { checkHintWrites } from "../../durable/hint-writes";
import { MAX_HINT_WRITES } from "../../shared/wire";

const write = (key: string) => ({ key, entry: { kind: "value", value: '"v"', version: { wall: 1, logical: 0, writer: "w" } } });

/** The node's boundary for a hint call (durable/hint-writes.ts; the store is specified in test/integration/hints.test.ts). */
describe("checkHintWrites", () => {
  it("takes 1 to MAX_HINT_WRITES keyed entries", () => {
    expect(() => checkHintWrites([write("a")])).not.toThrow();
    expect(() => checkHintWrites(Array.from({ length: MAX_HINT_WRITES }, (_, i) => write(`k${i}`)))).not.toThrow();
  });

  it("refuses no writes, too many, or anything but an array", () => {
    expect(() => checkHintWrites([])).toThrow(/1 to 100 writes/);
    expect(() => checkHintWrites(Array.from({ length: MAX_HINT_WRITES + 1 }, (_, i) => write(`k${i}`)))).toThrow(/1 to 100 writes/);
    expect(() => checkHintWrites({ key: "a" })).toThrow(/1 to 100 writes/);
  });

  it("refuses a write without a key or with a malformed entry, wherever it stands", () => {
    expect(() => checkHintWrites([write("a"), { key: "", entry: write("b").entry }])).toThrow(/non-empty string/);
    expect(() => checkHintWrites([write("a"), null])).toThrow(/non-empty string/);
    expect(() => checkHintWrites([write("a"), { key: "b", entry: { kind: "value" } }])).toThrow(/malformed entry/);
  });
});
