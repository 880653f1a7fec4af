import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../../client/json-value";
import { HttpError } from "../../worker/http";
import { writeFromText, writeFromValue } from "../../worker/request";

const limits = { maxKeyBytes: 512, maxValueBytes: 131_072, maxBodyBytes: 262_144 };
const NOW = 1_800_000_000_500;
const FORM = "application/x-www-form-urlencoded";

function refusal(parse: () => unknown): { status: number; code: string; message: string } {
  try {
    parse();
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, code: error.code, message: error.message };
    throw error;
  }
  throw new Error("accepted");
}

/** `[[[...1...]]]`, `depth` arrays deep. */
const nested = (depth: number, inner = "1") => "[".repeat(depth) + inner + "]".repeat(depth);

describe("writeFromText (POST /s/key)", () => {
  it("takes key, value, ttl and expires_at, and refuses any other field rather than drop it", () => {
    expect(writeFromText('{"key":"k","value":{"a":1},"ttl":10}', "", limits, NOW)).toEqual({
      key: "k",
      value: '{"a":1}',
      expiresAt: 1_800_000_011,
    });
    expect(refusal(() => writeFromText('{"key":"k","value":1,"tll":10}', "", limits, NOW))).toMatchObject({
      status: 400,
      code: "unknown_field",
      message: expect.stringContaining('"tll"'),
    });
  });

  it("reads a form strictly: bad percent-encoding and repeated fields are refused, never stored changed", () => {
    expect(writeFromText("key=a+b&value=%C3%A9", FORM, limits, NOW)).toEqual({ key: "a b", value: '"é"' });
    expect(refusal(() => writeFromText("key=%FFab&value=x", FORM, limits, NOW))).toMatchObject({ status: 400, code: "invalid_key" });
    expect(refusal(() => writeFromText("key=k&value=%FF", FORM, limits, NOW))).toMatchObject({ status: 400, code: "invalid_value" });
    expect(refusal(() => writeFromText("key=k&value=1&value=2", FORM, limits, NOW))).toMatchObject({
      code: "invalid_value",
      message: "give the value field once",
    });
    expect(refusal(() => writeFromText("key=k&value=1&colour=red", FORM, limits, NOW))).toMatchObject({ code: "unknown_field" });
  });

  it("knows a form by its media type in any case", () => {
    expect(writeFromText("key=k&value=v", "APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8", limits, NOW)).toEqual({
      key: "k",
      value: '"v"',
    });
  });

  it("takes a form's ttl and expires_at as numbers, with the JSON body's rules", () => {
    expect(writeFromText("key=k&value=v&ttl=10", FORM, limits, NOW)).toEqual({ key: "k", value: '"v"', expiresAt: 1_800_000_011 });
    expect(writeFromText("key=k&value=v&expires_at=1800000100", FORM, limits, NOW)).toMatchObject({ expiresAt: 1_800_000_100 });
    expect(refusal(() => writeFromText("key=k&value=v&ttl=soon", FORM, limits, NOW))).toMatchObject({ code: "invalid_ttl" });
    expect(refusal(() => writeFromText("key=k&value=v&ttl=0", FORM, limits, NOW))).toMatchObject({ code: "invalid_ttl" });
  });

  it("takes a value nesting MAX_JSON_DEPTH levels and refuses a deeper one with 400 invalid_value, whatever else the body holds", () => {
    const body = (key: string, depth: number, inner = "1") => `{"key":${JSON.stringify(key)},"value":${nested(depth, inner)}}`;
    expect(writeFromText(body("k", MAX_JSON_DEPTH), "", limits, NOW).value).toBe(nested(MAX_JSON_DEPTH));
    // "2024-01-01" sends the body through the reviver's parse, which recurses: the bound is the same.
    expect(writeFromText(body("2024-01-01", MAX_JSON_DEPTH), "", limits, NOW).value).toBe(nested(MAX_JSON_DEPTH));
    for (const key of ["k", "2024-01-01"]) {
      expect(refusal(() => writeFromText(body(key, MAX_JSON_DEPTH + 1), "", limits, NOW))).toMatchObject({
        status: 400,
        code: "invalid_value",
        message: expect.stringContaining(`deeper than ${MAX_JSON_DEPTH} levels`),
      });
    }
    // Far deeper, and holding an inexact number: refused before any parse.
    expect(refusal(() => writeFromText(body("k", 200_000, "1e400"), "", limits, NOW))).toMatchObject({ code: "invalid_value" });
  });
});

describe("writeFromValue (the binding's put)", () => {
  it("refuses a value nesting deeper than MAX_JSON_DEPTH with invalid_value, and takes one at it", () => {
    const deep = (depth: number) => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = [value];
      return value;
    };
    expect(writeFromValue("k", deep(MAX_JSON_DEPTH), limits, {}, NOW).value).toBe(nested(MAX_JSON_DEPTH));
    expect(refusal(() => writeFromValue("k", deep(MAX_JSON_DEPTH + 1), limits, {}, NOW))).toMatchObject({
      status: 400,
      code: "invalid_value",
    });
    expect(refusal(() => writeFromValue("k", deep(200_000), limits, {}, NOW))).toMatchObject({ code: "invalid_value" });
  });
});
