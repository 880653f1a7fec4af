import { describe, expect, it } from "vitest";
import { murmur3 } from "../../shared/hash";

/**
 * shared/hash.ts: MurmurHash3 x86 32-bit over a string's UTF-16 code units, two
 * units (little-endian) per 32-bit block. So murmur3(s) is the standard hash of
 * s's UTF-16LE bytes, and a string whose UTF-16LE bytes are a published test
 * vector's input must hash to that vector's value. The vectors below are the
 * widely published MurmurHash3_x86_32 ones (SMHasher's function); each was also
 * checked against a byte-wise implementation of SMHasher's MurmurHash3.cpp and,
 * for ASCII inputs, the imurmurhash package.
 *
 * These values place every key and every virtual node on the ring: a change to
 * any of them moves keys between nodes in a running cluster.
 */

/** The string whose UTF-16LE encoding is `bytes` (an even number of them). */
function fromUtf16le(bytes: readonly number[]): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 2) text += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
  return text;
}

describe("murmur3 is MurmurHash3 x86_32 over UTF-16LE", () => {
  it.each([
    ["no bytes, seed 0", [], 0, 0x00000000],
    ["no bytes, seed 1", [], 1, 0x514e28b7],
    ["no bytes, seed 0xffffffff", [], 0xffffffff, 0x81f16f39],
    ["ff ff ff ff (sign bits set)", [0xff, 0xff, 0xff, 0xff], 0, 0x76293b50],
    ["21 43 65 87", [0x21, 0x43, 0x65, 0x87], 0, 0xf55b516b],
    ["21 43 65 87, seed 0x5082edee", [0x21, 0x43, 0x65, 0x87], 0x5082edee, 0x2362f9de],
    ["21 43 (a tail of one code unit)", [0x21, 0x43], 0, 0xa0f7b07a],
    ["00 00 00 00", [0, 0, 0, 0], 0, 0x2362f9de],
    ["00 00", [0, 0], 0, 0x30f4c306],
  ])("published vector: %s", (_, bytes, seed, expected) => {
    expect(murmur3(fromUtf16le(bytes), seed)).toBe(expected);
  });

  it.each([
    ['"aa"', "aa", 0x9747b28c, 0x5d211726],
    ['"ab"', "ab", 0x9747b28c, 0x74875592],
    ['"aaaa"', "aaaa", 0x9747b28c, 0x5a97808a],
    ['"abcd"', "abcd", 0x9747b28c, 0xf0478627],
    ['"a" x 256', "a".repeat(256), 0x9747b28c, 0x37405bdc],
    ['"abcdbcdecdef...nopq"', "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 0, 0xee925b90],
  ])("published vector over ASCII bytes: %s", (_, ascii, seed, expected) => {
    const bytes = [...ascii].map((c) => c.charCodeAt(0));
    expect(murmur3(fromUtf16le(bytes), seed)).toBe(expected);
  });

  it('published vector over UTF-8 bytes: "ππππππππ" (cf 80 x 8), seed 0x9747b28c', () => {
    expect(murmur3("\u80cf".repeat(8), 0x9747b28c)).toBe(0xd58063c1);
  });

  it("defaults the seed to 0", () => {
    expect(murmur3("\u4321\u8765")).toBe(0xf55b516b);
    expect(murmur3("")).toBe(0);
  });
});

describe("murmur3 of ringkv's own inputs (pinned: a change moves keys)", () => {
  it.each([
    ["a", 0x6f49d11a],
    ["ab", 0x165860ca],
    ["key", 0x6ad331dc],
    ["user:1", 0xe7624941],
    // Virtual-node names: neighbouring names land far apart.
    ["node-1#0", 0x699fef8d],
    ["node-1#17", 0x459c5948],
    ["node-1#18", 0xe0336b9d],
  ])("%j", (text, expected) => {
    expect(murmur3(text)).toBe(expected);
  });

  it("hashes code units, not UTF-8: non-ASCII and a surrogate pair", () => {
    // "é" is one unit (e9 00 in UTF-16LE, c3 a9 in UTF-8); "😀" two (3d d8 00 de).
    expect(murmur3("é")).toBe(0x41e915ff);
    expect(murmur3("😀")).toBe(0x56065e39);
    expect(murmur3("\ud83d\ude00")).toBe(0x56065e39);
    expect(murmur3("日本語")).toBe(0x3bdc2005);
    // The UTF-8 bytes of "é" (c3 a9) as one code unit hash differently.
    expect(murmur3("\ua9c3")).not.toBe(0x41e915ff);
  });

  it("returns an unsigned 32-bit integer", () => {
    // 0xe0336b9d has its top bit set: still positive, never a negative int32.
    const h = murmur3("node-1#18");
    expect(h).toBe(3761466269);
    expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
  });
});
