import { describe, expect, it } from "vitest";
import type { Entry } from "../../shared/entry";
import { isExpired, isPurgeable, MAX_TTL_SECONDS, parseExpiry } from "../../shared/expiry";

const NOW = 1_700_000_000_500; // ms, half a second past a whole second
const version = { wall: NOW, logical: 0, writer: "w" };
const expiring = (expiresAt: number): Entry => ({ kind: "value", value: "1", version, expiresAt });

describe("parseExpiry", () => {
  it("turns a ttl into whole Unix seconds at least ttl ahead", () => {
    expect(parseExpiry(10, undefined, NOW)).toEqual({ ok: true, expiresAt: 1_700_000_011 });
    expect(parseExpiry(MAX_TTL_SECONDS, undefined, NOW)).toMatchObject({ ok: true });
  });

  it("takes a future expires_at as given, and no expiry when neither is given", () => {
    expect(parseExpiry(undefined, 1_700_000_001, NOW)).toEqual({ ok: true, expiresAt: 1_700_000_001 });
    expect(parseExpiry(undefined, undefined, NOW)).toEqual({ ok: true, expiresAt: undefined });
  });

  it("refuses both at once, a ttl outside 1..max or not whole, and an expires_at not in the future", () => {
    for (const [ttl, at] of [
      [10, 1_800_000_000],
      [0, undefined],
      [-1, undefined],
      [0.5, undefined],
      ["10", undefined],
      [MAX_TTL_SECONDS + 1, undefined],
      [undefined, 1_700_000_000],
      [undefined, 1_700_000_000.9],
      [undefined, 1_700_000_000 + MAX_TTL_SECONDS + 2],
    ] as const) {
      expect(parseExpiry(ttl, at, NOW), `${ttl} ${at}`).toMatchObject({ ok: false });
    }
  });
});

describe("isExpired and isPurgeable", () => {
  it("a value is expired at and after its expiry, never before; values without one never", () => {
    expect(isExpired(expiring(1_700_000_001), NOW)).toBe(false);
    expect(isExpired(expiring(1_700_000_000), NOW)).toBe(true);
    expect(isExpired(expiring(1_700_000_000), 1_700_000_000_000)).toBe(true);
    expect(isExpired({ kind: "value", value: "1", version }, NOW)).toBe(false);
  });

  it("tombstones and expired values are purgeable only past the grace", () => {
    expect(isPurgeable(expiring(1_699_999_990), NOW, 5_000)).toBe(true);
    expect(isPurgeable(expiring(1_699_999_999), NOW, 5_000)).toBe(false);
    expect(isPurgeable({ kind: "tombstone", version: { ...version, wall: NOW - 6_000 } }, NOW, 5_000)).toBe(true);
    expect(isPurgeable({ kind: "tombstone", version }, NOW, 5_000)).toBe(false);
    expect(isPurgeable({ kind: "value", value: "1", version: { ...version, wall: 0 } }, NOW, 5_000)).toBe(false);
  });
});
