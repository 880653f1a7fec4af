import { describe, expect, it } from "vitest";
import { encodeCursor } from "../../shared/listing";
import { HttpError } from "../../worker/http";
import { listFromOptions, listQuery } from "../../worker/list-input";

const MAX_KEY = 512;

function code(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof HttpError) return `${error.status} ${error.code}`;
    throw error;
  }
  return "accepted";
}

describe("listQuery (GET /s/keys)", () => {
  it("defaults to the whole store, 100 keys, no values, from the start; decodes a cursor of its prefix", () => {
    expect(listQuery({}, MAX_KEY)).toEqual({ prefix: "", limit: 100, after: "", values: false });
    expect(listQuery({ prefix: "p/", limit: "1000", values: "false", cursor: encodeCursor("p/", "p/k") }, MAX_KEY)).toEqual({
      prefix: "p/",
      limit: 1000,
      after: "p/k",
      values: false,
    });
  });

  it("refuses a bad limit, prefix, values or cursor with a stable code", () => {
    for (const limit of ["0", "1001", "1.5", "-1", "", "1e3", " 5"])
      expect(
        code(() => listQuery({ limit }, MAX_KEY)),
        limit,
      ).toBe("400 invalid_limit");
    expect(code(() => listQuery({ limit: "101", values: "true" }, MAX_KEY))).toBe("400 invalid_limit");
    expect(code(() => listQuery({ prefix: "p".repeat(513) }, MAX_KEY))).toBe("400 invalid_prefix");
    expect(code(() => listQuery({ prefix: "a\0" }, MAX_KEY))).toBe("400 invalid_prefix");
    expect(code(() => listQuery({ values: "yes" }, MAX_KEY))).toBe("400 invalid_values");
    expect(code(() => listQuery({ prefix: "q/", cursor: encodeCursor("p/", "p/k") }, MAX_KEY))).toBe("400 invalid_cursor");
  });
});

describe("listFromOptions (the binding's list)", () => {
  it("takes typed options to the same input", () => {
    expect(listFromOptions(undefined, MAX_KEY)).toEqual(listQuery({}, MAX_KEY));
    const cursor = encodeCursor("p/", "p/k");
    expect(listFromOptions({ prefix: "p/", limit: 100, values: true, cursor }, MAX_KEY)).toEqual(
      listQuery({ prefix: "p/", limit: "100", values: "true", cursor }, MAX_KEY),
    );
  });

  it("refuses options of the wrong type with the codes HTTP uses, and an unknown option", () => {
    expect(code(() => listFromOptions({ limit: "10" }, MAX_KEY))).toBe("400 invalid_limit");
    expect(code(() => listFromOptions({ limit: 2.5 }, MAX_KEY))).toBe("400 invalid_limit");
    expect(code(() => listFromOptions({ limit: 101, values: true }, MAX_KEY))).toBe("400 invalid_limit");
    expect(code(() => listFromOptions({ values: "true" }, MAX_KEY))).toBe("400 invalid_values");
    expect(code(() => listFromOptions({ prefix: 1 }, MAX_KEY))).toBe("400 invalid_prefix");
    expect(code(() => listFromOptions({ cursor: 1 }, MAX_KEY))).toBe("400 invalid_cursor");
    expect(code(() => listFromOptions({ after: "x" }, MAX_KEY))).toBe("400 bad_request");
    expect(code(() => listFromOptions("p/", MAX_KEY))).toBe("400 bad_request");
  });
});
