import { describe, expect, it } from "vitest";
import { runBatch, type BatchHost } from "../../durable/batch";
import type { Entry } from "../../shared/entry";
import { NodeFullError } from "../../shared/storage/store-rules";
import type { KeyedEntry } from "../../shared/wire";

/** durable/batch.ts: a node's share of a batch over a fake store that has room for `room` writes. */
const version = (wall: number) => ({ wall, logical: 0, writer: "t" });
const value = (v: string, wall: number): Entry => ({ kind: "value", value: JSON.stringify(v), version: version(wall) });

function host(room: number, fails?: string): BatchHost & { held: Map<string, Entry> } {
  const held = new Map<string, Entry>();
  return {
    held,
    read: (key) => held.get(key),
    flush: () => undefined,
    writeMany(writes: readonly KeyedEntry[]) {
      if (writes.some((w) => w.key === fails)) throw new Error(`${fails} broke`);
      if (held.size + writes.length > room) throw new NodeFullError("n1", held.size, writes.length, room);
      for (const { key, entry } of writes) held.set(key, entry);
      return writes.map(({ entry }) => ({ applied: true, version: entry.version, digest: "d" }));
    },
  };
}

describe("runBatch", () => {
  it("applies a run of writes together and reads after the writes before it", () => {
    const store = host(10);
    const results = runBatch(
      [
        { op: "write", key: "a", entry: value("1", 1) },
        { op: "read", key: "a" },
      ],
      store,
    );
    expect(results).toEqual([{ applied: true, version: version(1) }, { entry: value("1", 1) }]);
  });

  it("answers the writes a full node has no room for with the refusal code node_full, each alone", () => {
    const results = runBatch(
      [
        { op: "write", key: "a", entry: value("1", 1) },
        { op: "write", key: "b", entry: value("2", 1) },
      ],
      host(1),
    );
    expect(results[0]).toEqual({ applied: true, version: version(1) });
    expect(results[1]).toMatchObject({ refused: "node_full", error: expect.stringContaining("MAX_NODE_BYTES") });
  });

  it("answers any other failure of a write with its message and no refusal code", () => {
    const results = runBatch(
      [
        { op: "write", key: "a", entry: value("1", 1) },
        { op: "write", key: "bad", entry: value("2", 1) },
      ],
      host(10, "bad"),
    );
    expect(results).toEqual([{ applied: true, version: version(1) }, { error: "bad broke" }]);
  });
});
