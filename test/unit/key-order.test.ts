import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareKeys } from "../../shared/storage/key-order";

/**
 * shared/storage/key-order.ts: the order of keys everywhere ringkv sorts them
 * (listing pages, cursors, the memory store): UTF-8 byte order, as SQLite
 * compares TEXT, which is code point order. JavaScript's default order
 * (`<`, `Array.prototype.sort`) compares UTF-16 code units and differs where a
 * surrogate pair (a code point above U+FFFF) meets a unit in U+E000..U+FFFF.
 */

const sign = (a: string, b: string) => Math.sign(compareKeys(a, b));

describe("compareKeys", () => {
  it("orders ASCII by byte: digits, then upper case, then lower case; a prefix first", () => {
    expect(["b", "ab", "a ", "a", "B", "1", "_"].sort(compareKeys)).toEqual(["1", "B", "_", "a", "a ", "ab", "b"]);
    expect(sign("app", "apple")).toBe(-1);
    expect(sign("apple", "app")).toBe(1);
  });

  it("is 0 for equal keys only, and antisymmetric", () => {
    expect(compareKeys("user:1", "user:1")).toBe(0);
    expect(compareKeys("", "")).toBe(0);
    expect(sign("", "a")).toBe(-1);
    expect(sign("a", "")).toBe(1);
    expect(sign("user:1", "user:2")).toBe(-1);
    expect(sign("user:2", "user:1")).toBe(1);
  });

  it("decides at the first differing character, whatever the lengths", () => {
    expect(sign("b", "a\u{1F600}\u{1F600}")).toBe(1);
    expect(sign("a\u{1F600}", "b")).toBe(-1);
  });

  it("orders non-ASCII text by code point, with no normalisation", () => {
    // e (U+0065) + combining acute (U+0301) is another key than é (U+00E9), and sorts first.
    expect(["中", "Ω", "é", "z", "e\u0301"].sort(compareKeys)).toEqual(["e\u0301", "z", "é", "Ω", "中"]);
    expect(sign("é", "e\u0301")).toBe(1);
  });

  it("puts a code point above U+FFFF after U+E000..U+FFFF, where JavaScript's order puts it before", () => {
    const keys = ["\u{1F600}", "\uFFFD", "\uE000", "\uD7FF", "\uFF21"];
    // UTF-16 units: D7FF < D83D (the pair's first unit) < E000 < FF21 < FFFD.
    expect([...keys].sort()).toEqual(["\uD7FF", "\u{1F600}", "\uE000", "\uFF21", "\uFFFD"]);
    // UTF-8 bytes (code points): D7FF < E000 < FF21 < FFFD < 1F600.
    expect([...keys].sort(compareKeys)).toEqual(["\uD7FF", "\uE000", "\uFF21", "\uFFFD", "\u{1F600}"]);
    expect(sign("\uFFFF", "\u{10000}")).toBe(-1);
    expect(sign("\u{10000}", "\uFFFF")).toBe(1);
  });

  it("orders surrogate pairs by code point, the low unit deciding when the high one is shared", () => {
    // U+1F4A9 is D83D DCA9, U+1F600 is D83D DE00, U+1F601 is D83D DE01.
    const keys = ["\u{10FFFF}", "\u{1F601}", "\u{1F600}", "\u{1F4A9}", "\u{10000}", "\u{20000}"];
    expect(keys.sort(compareKeys)).toEqual(["\u{10000}", "\u{1F4A9}", "\u{1F600}", "\u{1F601}", "\u{20000}", "\u{10FFFF}"]);
  });

  it("orders keys mixing the two as their UTF-8 bytes do", () => {
    const keys = ["k\uFFFD", "k\u{1F600}", "k", "k\uE000x", "k\uD7FFz"];
    expect(keys.sort(compareKeys)).toEqual(["k", "k\uD7FFz", "k\uE000x", "k\uFFFD", "k\u{1F600}"]);
  });

  it("agrees with a byte-wise comparison of the UTF-8 encodings (SQLite's) for any well-formed keys", () => {
    // Code points around the boundaries where UTF-16 and UTF-8 order part, so short keys often share prefixes.
    const codePoint = fc.oneof(
      fc.integer({ min: 0x61, max: 0x62 }),
      fc.integer({ min: 0xe9, max: 0xea }),
      fc.integer({ min: 0xd7fe, max: 0xd7ff }),
      fc.integer({ min: 0xe000, max: 0xe001 }),
      fc.integer({ min: 0xfffe, max: 0xffff }),
      fc.integer({ min: 0x10000, max: 0x10001 }),
      fc.integer({ min: 0x1f5ff, max: 0x1f600 }),
      fc.constant(0x10ffff),
    );
    const key = fc.array(codePoint, { maxLength: 4 }).map((points) => String.fromCodePoint(...points));
    fc.assert(
      fc.property(key, key, (a, b) => {
        expect(sign(a, b)).toBe(Math.sign(Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"))));
      }),
      { numRuns: 2000 },
    );
  });
});
