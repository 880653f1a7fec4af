import { describe, expect, it } from "vitest";
import type { Entry } from "../../shared/entry";
import { entryBytes } from "../../shared/storage/entry-bytes";
import { NodeFullError, type ReplicaStorage, type StoreOptions } from "../../shared/storage/store-rules";

/** A store under test, and the same rows opened again (a restarted node). */
export interface Opened {
  readonly store: ReplicaStorage;
  reopen(): ReplicaStorage;
}

/** Runs `body` on a fresh, empty store with `options` over the defaults. */
export type OpenStore = (options: Partial<StoreOptions>, body: (opened: Opened) => void) => Promise<void>;

export const value = (text: string, wall: number, writer = "w"): Entry => ({
  kind: "value",
  value: JSON.stringify(text),
  version: { wall, logical: 0, writer },
});
const tombstone = (wall: number): Entry => ({ kind: "tombstone", version: { wall, logical: 0, writer: "w" } });

/** Rows read by `fn`, as the store counts them. */
function rowsReadBy(store: ReplicaStorage, fn: () => void): number {
  const before = store.rowsRead;
  fn();
  return store.rowsRead - before;
}

/**
 * The one spec every replica store passes: the SQLite store of a node
 * (test/integration/replica-store.test.ts) and the in-memory one
 * (test/unit/memory-store.test.ts).
 */
export function describeReplicaStorage(name: string, open: OpenStore): void {
  describe(`${name}: the merge rule`, () => {
    it("holds the newest version and refuses older and equal ones", () =>
      open({}, ({ store }) => {
        expect(store.get("k")).toBeUndefined();
        expect(store.apply("k", value("v2", 2))).toBe(true);
        expect(store.apply("k", value("v1", 1))).toBe(false);
        expect(store.apply("k", value("other", 2))).toBe(false);
        expect(store.get("k")).toEqual(value("v2", 2));
        expect(store.apply("k", tombstone(3))).toBe(true);
        expect(store.get("k")).toEqual(tombstone(3));
      }));

    it("applies a batch's newer entries and says how many", () =>
      open({}, ({ store }) => {
        store.apply("a", value("a2", 2));
        const applied = store.applyAll([
          { key: "a", entry: value("a1", 1) },
          { key: "b", entry: value("b1", 1) },
          { key: "b", entry: value("b2", 2) },
        ]);
        expect(applied).toBe(2);
        expect(store.get("a")).toEqual(value("a2", 2));
        expect(store.get("b")).toEqual(value("b2", 2));
      }));
  });

  describe(`${name}: a client's many writes`, () => {
    it("applies them in order in one change, saying of each whether it was newer", () =>
      open({ cacheBytes: 1024 * 1024 }, ({ store }) => {
        store.apply("a", value("a2", 2));
        const newer = store.applyEach([
          { key: "a", entry: value("a1", 1) },
          { key: "b", entry: value("b1", 1) },
          { key: "b", entry: value("b2", 2) },
          { key: "b", entry: value("late", 1) },
        ]);
        expect(newer).toEqual([false, true, true, false]);
        expect(rowsReadBy(store, () => expect(store.get("b")).toEqual(value("b2", 2)))).toBe(0);
        expect(store.counts()).toMatchObject({ live: 2, tombstones: 0 });
      }));

    it("refuses them all on a full node, writing none", () =>
      open({ maxBytes: entryBytes("a", value("x".repeat(100), 1)) }, ({ store }) => {
        expect(() =>
          store.applyEach([
            { key: "a", entry: value("x", 1) },
            { key: "b", entry: value("x".repeat(100), 1) },
          ]),
        ).toThrow(NodeFullError);
        expect(store.get("a")).toBeUndefined();
        expect(store.counts()).toMatchObject({ live: 0, bytes: 0 });
      }));
  });

  describe(`${name}: counts`, () => {
    it("counts live keys, tombstones and bytes through every change", () =>
      open({}, ({ store }) => {
        store.apply("a", value("x", 1));
        store.apply("b", value("y", 1));
        store.apply("b", tombstone(2));
        store.applyAll([{ key: "c", entry: value("z", 1) }]);
        store.remove("a");
        store.remove("missing");
        const bytes = entryBytes("b", tombstone(2)) + entryBytes("c", value("z", 1));
        expect(store.counts()).toEqual({ live: 1, tombstones: 1, bytes });
      }));

    it("are stored: a reopened store knows them having read one row", () =>
      open({}, ({ store, reopen }) => {
        for (let i = 0; i < 50; i++) store.apply(`k${i}`, value("v", 1));
        store.apply("k0", tombstone(2));
        const again = reopen();
        expect(again.counts()).toEqual(store.counts());
        expect(again.rowsRead).toBeLessThanOrEqual(1);
      }));
  });

  describe(`${name}: keys in order from a cursor`, () => {
    it("pages through every entry, tombstones included, in key order", () =>
      open({}, ({ store }) => {
        for (const key of ["m", "b", "z", "a", "é", "q"]) store.apply(key, value(key, 1));
        store.apply("q", tombstone(2));
        const first = store.entriesAfter("", 4);
        expect(first.map((e) => e.key)).toEqual(["a", "b", "m", "q"]);
        expect(first[3]!.entry).toEqual(tombstone(2));
        expect(store.entriesAfter("q", 4).map((e) => e.key)).toEqual(["z", "é"]);
        expect(store.entriesAfter("é", 4)).toEqual([]);
      }));

    it("reads only the page's rows", () =>
      open({}, ({ store }) => {
        for (let i = 0; i < 100; i++) store.apply(`k${String(i).padStart(3, "0")}`, value("v", 1));
        expect(rowsReadBy(store, () => store.entriesAfter("k049", 10))).toBeLessThanOrEqual(11);
      }));
  });

  describe(`${name}: keys with a prefix from a cursor`, () => {
    it("pages through the prefix's entries, tombstones included, and nothing outside it", () =>
      open({}, ({ store }) => {
        for (const key of ["a", "u/1", "u/2", "u/3", "u/é", "u0", "v"]) store.apply(key, value(key, 1));
        store.apply("u/2", tombstone(2));
        const first = store.entriesWithPrefix("", "u/", 2);
        expect(first.map((e) => e.key)).toEqual(["u/1", "u/2"]);
        expect(first[1]!.entry).toEqual(tombstone(2));
        expect(store.entriesWithPrefix("u/2", "u/", 10).map((e) => e.key)).toEqual(["u/3", "u/é"]);
        expect(store.entriesWithPrefix("u/é", "u/", 10)).toEqual([]);
        expect(store.entriesWithPrefix("", "", 3).map((e) => e.key)).toEqual(["a", "u/1", "u/2"]);
        expect(store.entriesWithPrefix("", "w", 3)).toEqual([]);
      }));

    it("reads the page's rows, not the keys past the prefix", () =>
      open({ cacheBytes: 0 }, ({ store }) => {
        for (let i = 0; i < 50; i++) store.apply(`a${String(i).padStart(2, "0")}`, value("v", 1));
        for (let i = 0; i < 50; i++) store.apply(`b${String(i).padStart(2, "0")}`, value("v", 1));
        // The 4 rows, the first key past the prefix, and the step SQLite counts past the last one read.
        expect(rowsReadBy(store, () => expect(store.entriesWithPrefix("a45", "a", 10)).toHaveLength(4))).toBeLessThanOrEqual(6);
      }));
  });

  describe(`${name}: the cache`, () => {
    it("answers a cached read reading no row, an uncached one reading one", () =>
      open({ cacheBytes: 1024 * 1024 }, ({ store, reopen }) => {
        store.apply("k", value("v", 1));
        expect(rowsReadBy(store, () => expect(store.get("k")).toEqual(value("v", 1)))).toBe(0);
        const cold = reopen();
        expect(rowsReadBy(cold, () => expect(cold.get("k")).toEqual(value("v", 1)))).toBe(1);
        expect(rowsReadBy(cold, () => cold.get("k"))).toBe(0);
        expect(cold.cacheStats).toMatchObject({ entries: 1, hits: 1, misses: 1 });
      }));

    it("never holds more than its bound, and an evicted entry comes back with its version", () =>
      open({ cacheBytes: 4096 }, ({ store }) => {
        const big = "x".repeat(200);
        for (let i = 0; i < 200; i++) store.apply(`k${i}`, value(big, i + 1));
        const { bytes, entries } = store.cacheStats;
        expect(bytes).toBeLessThanOrEqual(4096);
        expect(entries).toBeGreaterThan(0);
        expect(entries).toBeLessThan(200);
        expect(rowsReadBy(store, () => expect(store.get("k0")).toEqual(value(big, 1)))).toBe(1);
      }));

    it("does not cache an entry larger than itself", () =>
      open({ cacheBytes: 100 }, ({ store }) => {
        store.apply("k", value("x".repeat(500), 1));
        store.get("k");
        expect(store.cacheStats).toMatchObject({ bytes: 0, entries: 0 });
        expect(rowsReadBy(store, () => expect(store.get("k")).toEqual(value("x".repeat(500), 1)))).toBe(1);
      }));

    it("is off at 0: every read is a lookup", () =>
      open({ cacheBytes: 0 }, ({ store }) => {
        store.apply("k", value("v", 1));
        expect(rowsReadBy(store, () => store.get("k"))).toBe(1);
        expect(store.cacheStats).toMatchObject({ bytes: 0, entries: 0, hits: 0 });
      }));

    it("peeks without taking a key in: bulk traffic leaves the cache to clients' reads", () =>
      open({ cacheBytes: 1024 * 1024 }, ({ store, reopen }) => {
        store.apply("k", value("v", 1));
        const cold = reopen();
        expect(rowsReadBy(cold, () => expect(cold.peek("k")).toEqual(value("v", 1)))).toBe(1);
        expect(cold.peek("absent")).toBeUndefined();
        expect(cold.cacheStats).toMatchObject({ entries: 0 });
        expect(rowsReadBy(cold, () => cold.peek("k"))).toBe(1);
        // Once a read has taken it in, a peek reads no row.
        cold.get("k");
        expect(rowsReadBy(cold, () => expect(cold.peek("k")).toEqual(value("v", 1)))).toBe(0);
      }));

    it("follows bulk writes and removals of cached keys, and does not take in others", () =>
      open({ cacheBytes: 1024 * 1024 }, ({ store }) => {
        store.apply("k", value("v1", 1));
        store.applyAll([
          { key: "k", entry: value("v2", 2) },
          { key: "cold", entry: value("c", 1) },
        ]);
        expect(store.cacheStats.entries).toBe(1);
        expect(rowsReadBy(store, () => expect(store.get("k")).toEqual(value("v2", 2)))).toBe(0);
        store.remove("k");
        expect(store.get("k")).toBeUndefined();
        expect(store.cacheStats.entries).toBe(0);
      }));
  });

  describe(`${name}: expiry`, () => {
    const expiring = (wall: number, expiresAt: number): Entry => ({ ...value("v", wall), expiresAt }) as Entry;

    it("keeps a value's expiry with its version, through a cold read and a scan", () =>
      open({ cacheBytes: 0 }, ({ store, reopen }) => {
        store.apply("k", expiring(1, 2_000_000_000));
        store.apply("plain", value("v", 1));
        const cold = reopen();
        expect(cold.get("k")).toEqual(expiring(1, 2_000_000_000));
        expect(cold.get("plain")).toEqual(value("v", 1));
        expect(cold.entriesAfter("", 10).map((e) => e.entry)).toEqual([expiring(1, 2_000_000_000), value("v", 1)]);
      }));

    it("a newer write without an expiry clears it", () =>
      open({ cacheBytes: 0 }, ({ store }) => {
        store.apply("k", expiring(1, 2_000_000_000));
        store.apply("k", value("v", 2));
        expect(store.get("k")).toEqual(value("v", 2));
      }));

    it("purges tombstones and expired values past the tombstone TTL, and nothing else", () =>
      open({}, ({ store }) => {
        const now = 100_000;
        const ttl = 10_000;
        store.apply("old-tombstone", tombstone(now - ttl - 1));
        store.apply("new-tombstone", tombstone(now - ttl + 1));
        store.apply("long-expired", expiring(1, (now - ttl - 1000) / 1000));
        store.apply("just-expired", expiring(1, (now - 1000) / 1000));
        store.apply("live", value("v", 1));
        const purged = store
          .entriesAfter("", 10)
          .filter(({ key, entry }) => store.purge(key, entry, now, ttl))
          .map((e) => e.key);
        expect(purged).toEqual(["long-expired", "old-tombstone"]);
        expect(store.entriesAfter("", 10).map((e) => e.key)).toEqual(["just-expired", "live", "new-tombstone"]);
        expect(store.counts()).toMatchObject({ live: 2, tombstones: 1 });
      }));
  });

  describe(`${name}: a full node`, () => {
    const limit = entryBytes("a", value("x".repeat(100), 1)) * 2;

    it("refuses a write past its bytes with a typed refusal, and changes nothing", () =>
      open({ maxBytes: limit, node: "node-9" }, ({ store }) => {
        store.apply("a", value("x".repeat(100), 1));
        store.apply("b", value("x".repeat(100), 1));
        const before = store.counts();
        expect(() => store.apply("c", value("x", 1))).toThrow(NodeFullError);
        expect(() => store.apply("a", value("x".repeat(101), 2))).toThrow(/node-9 is full/);
        expect(() =>
          store.applyAll([
            { key: "a", entry: tombstone(3) },
            { key: "c", entry: value("x".repeat(300), 1) },
          ]),
        ).toThrow(NodeFullError);
        expect(store.counts()).toEqual(before);
        expect(store.get("a")).toEqual(value("x".repeat(100), 1));
        expect(store.get("c")).toBeUndefined();
      }));

    it("still takes a change that frees bytes", () =>
      open({ maxBytes: limit }, ({ store }) => {
        store.apply("a", value("x".repeat(100), 1));
        store.apply("b", value("x".repeat(100), 1));
        expect(store.apply("a", tombstone(2))).toBe(true);
        expect(store.apply("c", value("x", 1))).toBe(true);
      }));
  });
}
