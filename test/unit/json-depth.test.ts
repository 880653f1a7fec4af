import { describe, expect, it } from "vitest";
import { jsonTextDepth } from "../../shared/json-depth";

describe("jsonTextDepth", () => {
  it("counts arrays and objects opened inside each other", () => {
    expect(jsonTextDepth("1")).toBe(0);
    expect(jsonTextDepth('"text"')).toBe(0);
    expect(jsonTextDepth("[]")).toBe(1);
    expect(jsonTextDepth('{"a":[1,{"b":[]}],"c":2}')).toBe(4);
    expect(jsonTextDepth("[".repeat(5000) + "]".repeat(5000))).toBe(5000);
  });

  it("does not count brackets inside strings, escaped quotes included", () => {
    expect(jsonTextDepth('["[[[{{{", "\\\\", "\\"[[["]')).toBe(1);
    expect(jsonTextDepth('{"k\\"[":"]]]"}')).toBe(1);
  });
});
