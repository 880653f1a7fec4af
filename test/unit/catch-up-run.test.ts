import { describe, expect, it } from "vitest";
import { CatchUpRun, type ProgressStore } from "../../durable/catch-up";
import type { Entry } from "../../shared/entry";
import type { CatchUpPart, CatchUpReply, KeyedEntry } from "../../shared/wire";

const entry: Entry = { kind: "value", value: "1", version: { wall: 1, logical: 0, writer: "w" } };

/** The pass's progress store, in a map. */
function kv(): ProgressStore {
  const map = new Map<string, unknown>();
  return {
    get: <T>(key: string) => map.get(key) as T | undefined,
    put: (key: string, value: unknown) => void map.set(key, value),
    delete: (key: string) => map.delete(key),
  };
}

/** Peers that each hold one page of hints and two pages of replicas; `down` ones throw, `behind` ones answer pages that do not count. */
function run(storage = kv(), options: { down?: string[]; behind?: string[] } = {}) {
  const applied: KeyedEntry[] = [];
  const calls: string[] = [];
  const pull = async (peer: string, part: CatchUpPart, after: string): Promise<CatchUpReply> => {
    calls.push(`${peer}:${part}:${after}`);
    if (options.down?.includes(peer)) throw new Error(`${peer} unreachable`);
    const digest = options.behind?.includes(peer) ? "old" : "ring";
    if (part === "hints") return { entries: [{ key: `${peer}-h`, entry }], next: null, digest, ringAgeMs: 5_000 };
    if (after === "") return { entries: [{ key: `${peer}-a`, entry }], next: `${peer}-a`, digest, ringAgeMs: 5_000 };
    return { entries: [{ key: `${peer}-b`, entry }], next: null, digest, ringAgeMs: 5_000 };
  };
  const catchUp = new CatchUpRun({
    kv: storage,
    pull,
    apply: (entries) => applied.push(...entries),
    counts: (page) => page.digest === "ring",
    wallNow: () => 0,
  });
  return { catchUp, applied, calls, storage };
}

describe("CatchUpRun", () => {
  it("pulls hints then both replica pages from every peer, and is over", async () => {
    const r = run();
    r.catchUp.begin("recovering", ["b", "c"]);
    expect(r.catchUp.active).toBe(true);
    expect(await r.catchUp.step(["b", "c"], 8, () => true)).toBe(true);
    expect(r.catchUp.active).toBe(false);
    expect(r.applied.map((e) => e.key).sort()).toEqual(["b-a", "b-b", "b-h", "c-a", "c-b", "c-h"]);
  });

  it("is abandoned at once, and stays so after a restart: a node that left catches up on nothing", async () => {
    const storage = kv();
    const first = run(storage);
    first.catchUp.begin("joining", ["b"]);
    first.catchUp.abandon();
    expect(first.catchUp.active).toBe(false);
    expect(first.catchUp.progress).toBeNull();
    expect(run(storage).catchUp.active).toBe(false);
  });

  it("abandoned while a page is on its way, applies none of it and stores no progress", async () => {
    const storage = kv();
    const applied: KeyedEntry[] = [];
    let release!: () => void;
    const arrived = new Promise<void>((resolve) => (release = resolve));
    const catchUp = new CatchUpRun({
      kv: storage,
      pull: async () => {
        await arrived;
        return { entries: [{ key: "late", entry }], next: null, digest: "ring", ringAgeMs: 5_000 };
      },
      apply: (entries) => applied.push(...entries),
      counts: () => true,
      wallNow: () => 0,
    });
    catchUp.begin("joining", ["b"]);
    const step = catchUp.step(["b"], 8, () => true);
    catchUp.abandon();
    release();
    expect(await step).toBe(true);
    expect(applied).toEqual([]);
    expect(catchUp.active).toBe(false);
    expect(storage.get("catch_up")).toBeUndefined();
  });

  it("drops a page of an abandoned pass that arrives after a new pass began: the new one starts from the beginning", async () => {
    const applied: KeyedEntry[] = [];
    const asked: string[] = [];
    let release!: () => void;
    const arrived = new Promise<void>((resolve) => (release = resolve));
    const catchUp = new CatchUpRun({
      kv: kv(),
      pull: async (_peer, part, after) => {
        asked.push(`${part}:${after}`);
        if (asked.length === 1) await arrived;
        return {
          entries: [{ key: `${part}-${after}`, entry }],
          next: asked.length === 1 ? "h500" : null,
          digest: "ring",
          ringAgeMs: 5_000,
        };
      },
      apply: (entries) => applied.push(...entries),
      counts: () => true,
      wallNow: () => 0,
    });
    catchUp.begin("joining", ["b"]);
    const old = catchUp.step(["b"], 1, () => true);
    catchUp.abandon();
    catchUp.begin("joining", ["b"]);
    release();
    expect(await old).toBe(false);
    expect(applied).toEqual([]);
    // The new pass pulls b's hints from the start, not from the old page's cursor.
    await catchUp.step(["b"], 1, () => true);
    expect(asked).toEqual(["hints:", "hints:"]);
  });

  it("stops at the page budget, and resumes where it was after a restart", async () => {
    const storage = kv();
    const first = run(storage);
    first.catchUp.begin("joining", ["b"]);
    expect(await first.catchUp.step(["b"], 2, () => true)).toBe(false);
    expect(first.catchUp.progress).toMatchObject({ state: "joining", peers: 1, peersDone: 0, received: 2 });
    const again = run(storage);
    expect(again.catchUp.active).toBe(true);
    expect(await again.catchUp.step(["b"], 8, () => true)).toBe(true);
    expect(again.calls).toEqual(["b:replicas:b-a"]);
  });

  it("waits for a peer that is down or not askable, and skips one off the ring", async () => {
    const r = run(kv(), { down: ["c"] });
    r.catchUp.begin("recovering", ["b", "c", "d"]);
    expect(await r.catchUp.step(["b", "c", "d"], 8, (peer) => peer !== "d")).toBe(false);
    expect(r.calls.some((c) => c.startsWith("d:"))).toBe(false);
    expect(r.catchUp.progress).toMatchObject({ peersDone: 1 });
    expect(await r.catchUp.step(["b"], 8, () => true)).toBe(true);
  });

  it("does not count a page from a peer whose ring differs from ours: it is asked again", async () => {
    const r = run(kv(), { behind: ["b"] });
    r.catchUp.begin("joining", ["b"]);
    expect(await r.catchUp.step(["b"], 8, () => true)).toBe(false);
    expect(r.calls).toEqual(["b:hints:"]);
    expect(r.catchUp.progress).toMatchObject({ peersDone: 0, received: 0 });
  });
});
