import { describe, expect, it } from "vitest";
import { compareKeys } from "../../shared/storage/key-order";
import { MemoryRows } from "../../shared/storage/memory-rows";
import { StoreRules, type StoreOptions } from "../../shared/storage/store-rules";
import { describeReplicaStorage, value } from "../shared/replica-storage-spec";

const DEFAULTS: StoreOptions = { node: "memory", cacheBytes: 8 * 1024 * 1024, maxBytes: Number.MAX_SAFE_INTEGER };

describeReplicaStorage("memory store", (options, body) => {
  const rows = new MemoryRows();
  const open = (from: MemoryRows) => new StoreRules(from, { ...DEFAULTS, ...options });
  body({ store: open(rows), reopen: () => open(rows.reopen()) });
  return Promise.resolve();
});

describe("memory rows", () => {
  it("orders keys as SQLite does, by code point", () => {
    const keys = ["\u{1F600}", "\uFFFD", "b", "a", "\u00e9", "ab"];
    expect([...keys].sort(compareKeys)).toEqual(["a", "ab", "b", "\u00e9", "\uFFFD", "\u{1F600}"]);
  });

  it("counts what a store written before counts existed holds, once", () => {
    const rows = new MemoryRows();
    rows.write("a", value("x", 1));
    rows.write("b", { kind: "tombstone", version: { wall: 1, logical: 0, writer: "w" } });
    const store = new StoreRules(rows, DEFAULTS);
    expect(store.counts()).toMatchObject({ live: 1, tombstones: 1 });
    expect(rows.readCounts()).toEqual(store.counts());
  });
});
