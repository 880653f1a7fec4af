import { describe, expect, it } from "vitest";
import { isExactNumber, mayHoldInexactNumber } from "../../shared/json-number";

const exact = (source: string) => isExactNumber(source, Number(source));

describe("isExactNumber", () => {
  it("accepts numbers a double carries, whatever their spelling", () => {
    for (const n of [
      "0",
      "1",
      "-1",
      "0.1",
      "1.0",
      "1e2",
      "1E+2",
      "100e-2",
      "9007199254740992",
      "-5e-324",
      "1.7976931348623157e308",
      "0.0",
    ]) {
      expect(exact(n), n).toBe(true);
    }
  });

  it("refuses numbers parsing would change: overflow, lost digits, underflow, negative zero", () => {
    for (const n of [
      "1e400",
      "-1e400",
      "12345678901234567890",
      "9007199254740993",
      "0.10000000000000001",
      "1e-400",
      "-0",
      "-0.0",
      "-0e10",
    ]) {
      expect(exact(n), n).toBe(false);
    }
  });
});

describe("mayHoldInexactNumber", () => {
  it("is false for text whose numbers have at most 15 digits and no exponent", () => {
    expect(mayHoldInexactNumber('{"key":"k","value":[1,2.5,123456789012345,-3]}')).toBe(false);
  });

  it("is true wherever a number could lose something, so the checked parse runs", () => {
    for (const text of ["1e400", "12345678901234567890", "1234567890.123456", "-0", "[-0.0]"]) {
      expect(mayHoldInexactNumber(text), text).toBe(true);
    }
  });
});
