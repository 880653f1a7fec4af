import { describe, expect, it } from "vitest";
import { HttpError } from "../../worker/http";
import { onlyParams, parseQuery } from "../../worker/query";

function refusal(search: string): { status: number; code: string } {
  try {
    parseQuery(search);
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error(`${search} was accepted`);
}

describe("parseQuery", () => {
  it("decodes percent-encoding and form spaces", () => {
    expect(parseQuery("?key=a%20b+c%F0%9F%99%82&r=one&flag")).toEqual({ key: "a b c🙂", r: "one", flag: "" });
    expect(parseQuery("")).toEqual({});
  });

  it("refuses invalid percent-encoding and invalid UTF-8 instead of decoding them to U+FFFD", () => {
    for (const search of ["?key=%FE", "?key=%C3", "?key=%ED%A0%80", "?key=%zz", "?key=%"]) {
      expect(refusal(search), search).toEqual({ status: 400, code: "invalid_key" });
    }
    expect(refusal("?prefix=%FF")).toEqual({ status: 400, code: "invalid_query" });
    expect(refusal("?%FF=1")).toEqual({ status: 400, code: "invalid_query" });
  });

  it("refuses any repeated parameter, with the code of that parameter", () => {
    expect(refusal("?key=&key=victim")).toEqual({ status: 400, code: "invalid_key" });
    expect(refusal("?r=&r=one")).toEqual({ status: 400, code: "invalid_consistency" });
    expect(refusal("?limit=1&limit=2")).toEqual({ status: 400, code: "invalid_query" });
  });
});

describe("onlyParams", () => {
  it("passes the parameters a route takes, and refuses any other with invalid_query, naming it", () => {
    expect(() => onlyParams({ key: "k", w: "all" }, ["key", "w"])).not.toThrow();
    expect(() => onlyParams({ key: "k", W: "all" }, ["key", "w"])).toThrow(/unknown parameter "W"; this route takes key, w/);
  });

  it("says which level a route takes when given the other one", () => {
    expect(() => onlyParams({ key: "k", w: "one" }, ["key", "r"], "w applies to writes; reads take r")).toThrow(
      "w applies to writes; reads take r",
    );
  });
});
