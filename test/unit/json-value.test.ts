import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonValueProblem, MAX_JSON_DEPTH } from "../../client/json-value";

/** [1, <hole>, 3]: an array with a missing index (written out, a lint error). */
function holed(): unknown[] {
  const array: unknown[] = [];
  array[0] = 1;
  array[2] = 3;
  return array;
}

/** client/json-value.ts: what JSON would store changed is named; everything else is stored as given. */
describe("jsonValueProblem", () => {
  it("names each value JSON.stringify would change, drop or throw on, with where it is", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cases: [unknown, RegExp][] = [
      [-0, /^value is -0, which JSON stores as 0$/],
      [NaN, /^value is NaN/],
      [Infinity, /^value is Infinity/],
      [{ n: -Infinity }, /^value\.n is -Infinity/],
      [undefined, /^value is undefined/],
      [{ a: { b: undefined } }, /^value\.a\.b is undefined/],
      [[1, undefined], /^value\[1\] is undefined/],
      [() => 1, /^value is a function/],
      [{ "odd key": () => 1 }, /^value\["odd key"\] is a function/],
      [Symbol("s"), /^value is a symbol/],
      [10n, /^value is a BigInt/],
      [{ big: [1n] }, /^value\.big\[0\] is a BigInt/],
      [new Date(0), /^value is a Date object, not a plain object or array/],
      [new Map([[1, 2]]), /^value is a Map object/],
      [new Set([1]), /^value is a Set object/],
      [new Uint8Array([1]), /^value is a Uint8Array object/],
      [new Error("e"), /^value is a Error object/],
      [new (class Point {})(), /^value is a Point object/],
      [Object.assign(Object.create({ inherited: 1 }) as object, { own: 1 }), /^value is an object with a prototype of its own/],
      [holed(), /^value has a hole at index 1/],
      [{ [Symbol("k")]: 1 }, /^value has symbol keys/],
      [cyclic, /^value\.self refers back to itself/],
    ];
    for (const [value, message] of cases) expect(jsonValueProblem(value)).toMatch(message);
  });

  it("accepts JSON values: scalars, nested plain objects and arrays, null prototypes, an object met twice", () => {
    const shared = { s: 1 };
    const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
    for (const value of [null, true, 0, -1.5, 1e300, "", "é\u{1F600}", [], {}, { a: [1, { b: null }] }, [shared, shared], nullProto]) {
      expect(jsonValueProblem(value)).toBeUndefined();
    }
  });

  it("walks a value nested far deeper than the call stack goes, and names one deeper than MAX_JSON_DEPTH", () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep];
    expect(jsonValueProblem(deep)).toBeUndefined();
    expect(jsonValueProblem([deep])).toBe(`value nests deeper than ${MAX_JSON_DEPTH} levels`);
    let far: unknown = 1;
    for (let i = 0; i < 100_000; i++) far = [far];
    expect(jsonValueProblem(far)).toBe(`value nests deeper than ${MAX_JSON_DEPTH} levels`);
    let bad: unknown = NaN;
    for (let i = 0; i < 500; i++) bad = { x: bad };
    expect(jsonValueProblem(bad)).toMatch(/^value(\.x){500} is NaN/);
  });

  it("accepts a value exactly when JSON stores it unchanged", () => {
    const anything = fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
    });
    fc.assert(
      fc.property(anything, (value) => {
        if (jsonValueProblem(value) === undefined) expect(JSON.parse(JSON.stringify(value))).toEqual(value);
      }),
    );
    // fast-check's JSON values may hold -0, which JSON.stringify writes as 0: the one thing refused.
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const problem = jsonValueProblem(value);
        if (problem !== undefined) expect(problem).toMatch(/ is -0, which JSON stores as 0$/);
      }),
    );
  });
});
