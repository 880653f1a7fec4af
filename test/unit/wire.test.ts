import { describe, expect, it } from "vitest";
import { fromWire, toWireOps } from "../../client/wire";

describe("client/wire: expiresAt to HTTP's expires_at and back", () => {
  it("sends a put's ttl or expiresAt as HTTP names them, and nothing for the others", () => {
    expect(
      toWireOps([
        { op: "put", key: "a", value: 1, ttl: 5 },
        { op: "put", key: "b", value: 2, expiresAt: 1_900_000_000 },
        { op: "put", key: "c", value: 3, ttl: undefined },
        { op: "get", key: "d" },
        { op: "delete", key: "e" },
      ]),
    ).toEqual([
      { op: "put", key: "a", value: 1, ttl: 5 },
      { op: "put", key: "b", value: 2, expires_at: 1_900_000_000 },
      { op: "put", key: "c", value: 3 },
      { op: "get", key: "d" },
      { op: "delete", key: "e" },
    ]);
  });

  it("renames expires_at in an answer, and leaves one without it (or null) as it is", () => {
    expect(fromWire({ key: "a", version: "v", expires_at: 7 })).toEqual({ key: "a", version: "v", expiresAt: 7 });
    const plain = { key: "a", version: "v" };
    expect(fromWire(plain)).toBe(plain);
    expect(fromWire(null)).toBeNull();
  });
});
