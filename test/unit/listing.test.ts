import { describe, expect, it } from "vitest";
import type { Entry } from "../../shared/entry";
import { decodeCursor, encodeCursor, mergePages, nodePage } from "../../shared/listing";
import { compareKeys } from "../../shared/storage/key-order";

const v = (wall: number, expiresAt?: number): Entry => ({
  kind: "value",
  value: "1",
  version: { wall, logical: 0, writer: "w" },
  ...(expiresAt === undefined ? {} : { expiresAt }),
});
const entriesOf = (held: Map<string, Entry>) => [...held].map(([key, entry]) => ({ key, entry }));
const t = (wall: number): Entry => ({ kind: "tombstone", version: { wall, logical: 0, writer: "w" } });

describe("compareKeys", () => {
  it("orders by UTF-8 bytes: code points above U+FFFF after U+FFFD", () => {
    expect(["🙂", "\uFFFD", "a", "ab", "B"].sort(compareKeys)).toEqual(["B", "a", "ab", "\uFFFD", "🙂"]);
  });
});

describe("nodePage", () => {
  it("counts only live entries toward the limit, and stops at the scan cap", () => {
    const held = new Map<string, Entry>([
      ["a", t(1)],
      ["b", v(1)],
      ["c", v(1, 1)],
      ["d", v(1)],
      ["e", v(1)],
    ]);
    const page = nodePage(entriesOf(held), 2, 100, 10_000);
    expect(page.entries.map((e) => e.key)).toEqual(["a", "b", "c", "d"]);
    expect(page.exhausted).toBe(false);
    expect(nodePage(entriesOf(held), 10, 2, 10_000)).toMatchObject({
      exhausted: false,
      entries: [{ key: "a" }, { key: "b" }],
    });
    expect(nodePage(entriesOf(held), 10, 100, 10_000).exhausted).toBe(true);
  });
});

describe("mergePages", () => {
  it("takes the newest version of each key, hides deletions, and stops at the least-advanced node", () => {
    const merged = mergePages(
      [
        {
          entries: [
            { key: "a", entry: v(1) },
            { key: "b", entry: v(1) },
            { key: "c", entry: v(1) },
          ],
          exhausted: false,
        },
        { entries: [{ key: "b", entry: t(2) }], exhausted: false },
        { entries: [], exhausted: true },
      ],
      10,
      0,
    );
    expect(merged.keys.map((k) => k.key)).toEqual(["a"]);
    expect(merged.next).toBe("a");
  });

  it("ends with no cursor when the page is full and no node has more", () => {
    const entries = [
      { key: "a", entry: v(1) },
      { key: "b", entry: v(1) },
    ];
    expect(mergePages([{ entries, exhausted: true }], 2, 0)).toEqual({ keys: entries, next: undefined });
    expect(mergePages([{ entries: [...entries, { key: "c", entry: v(1) }], exhausted: true }], 2, 0).next).toBe("b");
  });
});

describe("cursors", () => {
  it("round-trip for their prefix only, and refuse anything ringkv did not issue", () => {
    const cursor = encodeCursor("p/", "p/é🙂");
    expect(decodeCursor(cursor, "p/")).toBe("p/é🙂");
    expect(decodeCursor(cursor, "q/")).toBeUndefined();
    expect(decodeCursor(cursor.slice(0, -1), "p/")).toBeUndefined();
    expect(decodeCursor("c1.e30.0", "p/")).toBeUndefined();
  });
});
