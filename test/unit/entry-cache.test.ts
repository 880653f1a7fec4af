import { describe, expect, it } from "vitest";
import type { Entry } from "../../shared/entry";
import { EntryCache } from "../../shared/storage/entry-cache";
import { entryBytes, utf8Bytes } from "../../shared/storage/entry-bytes";

const entry = (text: string): Entry => ({ kind: "value", value: text, version: { wall: 1, logical: 0, writer: "w" } });

describe("entry cache", () => {
  it("evicts the least recently used entry first", () => {
    const size = entryBytes("a", entry("x"));
    const cache = new EntryCache(size * 2);
    cache.set("a", entry("x"));
    cache.set("b", entry("x"));
    cache.get("a");
    cache.set("c", entry("x"));
    expect(cache.peek("b")).toBeUndefined();
    expect(cache.peek("a")).toEqual(entry("x"));
    expect(cache.stats).toEqual({ bytes: size * 2, entries: 2, hits: 1, misses: 0 });
  });

  it("counts a replaced entry once", () => {
    const cache = new EntryCache(10_000);
    cache.set("a", entry("x"));
    cache.set("a", entry("xyz"));
    expect(cache.stats).toMatchObject({ bytes: entryBytes("a", entry("xyz")), entries: 1 });
  });

  it("updates only what it holds", () => {
    const cache = new EntryCache(10_000);
    cache.update("a", entry("x"));
    expect(cache.get("a")).toBeUndefined();
    expect(cache.stats.misses).toBe(1);
  });
});

describe("entry bytes", () => {
  it("counts UTF-8 bytes without encoding", () => {
    for (const text of ["", "abc", "\u00e9", "\u20ac", "\u{1F600}", "a\u00e9\u20ac\u{1F600}"]) {
      expect(utf8Bytes(text)).toBe(new TextEncoder().encode(text).length);
    }
  });
});
