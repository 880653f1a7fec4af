import { describe, expect, it } from "vitest";
import { afterPage, beginCatchUp, caughtUp, nextPull, pageOf, pending, progressOf, skipPeer, withPeers } from "../../shared/catch-up";
import type { Entry } from "../../shared/entry";

const entry: Entry = { kind: "value", value: "1", version: { wall: 1, logical: 0, writer: "w" } };
const page = (keys: string[], next: string | null) => ({ entries: keys.map((key) => ({ key, entry })), next });

describe("a catch-up pass", () => {
  it("pulls each peer's hints, then its replicas, page by page, and is over when every peer is done", () => {
    let s = beginCatchUp("recovering", ["b", "c"], 1_000);
    expect(caughtUp(s)).toBe(false);
    expect(nextPull(s)).toEqual({ peer: "b", part: "hints", after: "" });
    s = afterPage(s, "b", "hints", page(["k1"], null));
    expect(nextPull(s)).toEqual({ peer: "b", part: "replicas", after: "" });
    s = afterPage(s, "b", "replicas", page(["a", "m"], "m"));
    expect(nextPull(s)).toEqual({ peer: "b", part: "replicas", after: "m" });
    s = afterPage(s, "b", "replicas", page(["z"], null));
    expect(nextPull(s)).toEqual({ peer: "c", part: "hints", after: "" });
    s = afterPage(s, "c", "hints", page([], null));
    s = afterPage(s, "c", "replicas", page([], null));
    expect(caughtUp(s)).toBe(true);
    expect(progressOf(s)).toEqual({ state: "recovering", peers: 2, peersDone: 2, received: 4, startedAt: 1_000 });
  });

  it("skips a peer that left the ring, and pulls from one met after it began", () => {
    let s = beginCatchUp("joining", ["b"], 0);
    s = withPeers(s, ["b", "c"]);
    expect(pending(s).map((p) => p.peer)).toEqual(["b", "c"]);
    s = skipPeer(s, "b");
    expect(pending(s).map((p) => p.peer)).toEqual(["c"]);
    expect(progressOf(s)).toMatchObject({ state: "joining", peers: 2, peersDone: 1 });
  });

  it("with no peer to pull from is over at once", () => {
    expect(caughtUp(beginCatchUp("joining", [], 0))).toBe(true);
  });

  it("refuses a page that does not answer the pull, or a cursor that goes back", () => {
    const s = afterPage(beginCatchUp("recovering", ["b"], 0), "b", "hints", page([], null));
    expect(() => afterPage(s, "b", "hints", page([], null))).toThrow(/invariant/);
    const at = afterPage(s, "b", "replicas", page(["m"], "m"));
    expect(() => afterPage(at, "b", "replicas", page(["a"], "a"))).toThrow(/only moves forward/);
    expect(() => afterPage(at, "x", "replicas", page([], null))).toThrow(/invariant/);
  });
});

describe("a page of a peer's holdings", () => {
  const rows = (keys: string[], size = 1) =>
    keys.map((key) => ({ key, entry: { kind: "value" as const, value: "x".repeat(size), version: entry.version } }));

  it("keeps what the filter picks, and ends the part when fewer rows than the limit were read", () => {
    const page = pageOf(rows(["a", "b", "c"]), 5, (key) => key !== "b");
    expect(page.entries.map((e) => e.key)).toEqual(["a", "c"]);
    expect(page.next).toBeNull();
  });

  it("goes on after the last row read when the limit was reached, even if none was kept", () => {
    expect(pageOf(rows(["a", "b"]), 2, () => false)).toEqual({ entries: [], next: "b" });
  });

  it("stops before the bytes would pass the cap, always taking a first entry, and resumes at the first left out", () => {
    const big = rows(["a", "b", "c"], 1000);
    const page = pageOf(big, 3, () => true, 1500);
    expect(page.entries.map((e) => e.key)).toEqual(["a"]);
    expect(page.next).toBe("a");
    expect(pageOf(big.slice(1), 3, () => true, 1500).entries.map((e) => e.key)).toEqual(["b"]);
    expect(pageOf(rows(["a"], 5000), 3, () => true, 1500).entries).toHaveLength(1);
  });
});
