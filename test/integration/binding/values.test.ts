import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ringkvBinding, type RingKVBinding } from "../../../client/binding";
import { RingKVError } from "../../../client/errors";
import { freshKey } from "../helpers";

/** [1, <hole>, 3]: an array with a missing index (written out, a lint error). */
function holed(): unknown[] {
  const array: unknown[] = [];
  array[0] = 1;
  array[2] = 3;
  return array;
}

/**
 * Values through the RingKV entrypoint over real Workers RPC (the loopback
 * binding to ringkv's own entrypoint), as another Worker's call delivers them:
 * structured clone carries -0, NaN, Infinity, undefined and BigInt intact, and
 * JSON.stringify would store each changed. Each is refused with invalid_value.
 */
const raw = exports.RingKV as unknown as RingKVBinding;

/** Values that cross RPC (as themselves, or a function as a stub) but are not JSON as given. */
const refused: [string, unknown, RegExp][] = [
  ["minus zero", -0, /value is -0/],
  ["NaN", NaN, /value is NaN/],
  ["Infinity", Infinity, /value is Infinity/],
  ["undefined", undefined, /value is undefined/],
  ["undefined member", { a: 1, b: undefined }, /value\.b is undefined/],
  ["function", () => 1, /value is a function/],
  ["function member", { f: () => 1 }, /value\.f is a function/],
  ["BigInt", 12345678901234567890n, /value is a BigInt/],
  ["Date", new Date(0), /value is a Date object/],
  ["Map", new Map([[1, 2]]), /value is a Map object/],
  ["hole", holed(), /value has a hole at index 1/],
  ["nested NaN", { list: [1, { x: NaN }] }, /value\.list\[1\]\.x is NaN/],
];

describe("values through the RingKV binding", () => {
  it("refuses what JSON would store changed: the entrypoint itself says invalid_value, and stores nothing", async () => {
    for (const [label, value, where] of refused) {
      const key = freshKey(label.replace(/ /g, "-"));
      const thrown = await raw.put(key, value).then(
        () => undefined,
        (error: unknown) => RingKVError.fromBinding(error),
      );
      expect(thrown, label).toMatchObject({ status: 400, code: "invalid_value" });
      expect(thrown!.message, label).toMatch(where);
      expect(await raw.get(key), label).toBeNull();
    }
  });

  it("refuses them in ringkvBinding before the call, with the same error", async () => {
    const kv = ringkvBinding(raw);
    for (const [label, value, where] of refused) {
      const key = freshKey(label.replace(/ /g, "-"));
      const thrown = await kv.put(key, value).catch((error: unknown) => error);
      expect(thrown, label).toBeInstanceOf(RingKVError);
      expect(thrown, label).toMatchObject({ status: 400, code: "invalid_value", message: expect.stringMatching(where) });
    }
    // What cannot cross RPC at all is refused the same way, not as a binding_error.
    await expect(kv.put(freshKey("symbol"), Symbol("s"))).rejects.toMatchObject({ code: "invalid_value" });
    await expect(kv.put(freshKey("class"), new (class Point {})())).rejects.toMatchObject({ code: "invalid_value" });
  });

  it("stores a JSON value exactly as given", async () => {
    const kv = ringkvBinding(raw);
    const key = freshKey("exact");
    const value = { zero: 0, negative: -1.5, big: 1e300, text: "é\u{1F600}", none: null, list: [true, [], {}] };
    await kv.put(key, value);
    expect(await kv.get(key)).toMatchObject({ value });
  });
});
