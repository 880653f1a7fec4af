import { describe, expect, it } from "vitest";
import { isRefusal, isRefusalCode, refusal } from "../../shared/node-api";

describe("isRefusal", () => {
  it("knows every refusal code, node_full included", () => {
    for (const code of ["not_member", "down", "crashed", "partitioned", "node_full"] as const) {
      expect(isRefusal(refusal(code, "m"))).toBe(true);
    }
  });

  it("is not fooled by a reply off the wire with an unknown or inherited code", () => {
    expect(isRefusal({ refused: "melted", message: "m" })).toBe(false);
    expect(isRefusal({ refused: "toString", message: "m" })).toBe(false);
    expect(isRefusalCode(undefined)).toBe(false);
    expect(isRefusal({ applied: true })).toBe(false);
    expect(isRefusal(null)).toBe(false);
  });
});
