import { describe, expect, it } from "vitest";
import { BatchTally, shareByNode } from "../../shared/batch-plan";

describe("shareByNode", () => {
  it("gives each node one share with its items in batch order, and the index of each", () => {
    const shares = shareByNode(
      ["x", "y", "z"],
      [
        ["a", "b"],
        ["b", "c"],
        ["a", "c"],
      ],
    );
    expect([...shares.keys()].sort()).toEqual(["a", "b", "c"]);
    expect(shares.get("a")).toEqual({ items: ["x", "z"], ops: [0, 2] });
    expect(shares.get("b")).toEqual({ items: ["x", "y"], ops: [0, 1] });
    expect(shares.get("c")).toEqual({ items: ["y", "z"], ops: [1, 2] });
  });
});

describe("BatchTally", () => {
  it("decides an operation once it has its quorum, whatever the stragglers do", async () => {
    const tally = new BatchTally<string>([3, 3], [2, 1]);
    tally.succeeded(1, "a", "one");
    tally.succeeded(0, "a", "r1");
    let done = false;
    void tally.decided.then(() => (done = true));
    tally.failed(0, "b", "down");
    await Promise.resolve();
    expect(done).toBe(false);
    tally.succeeded(0, "c", "r2");
    await tally.decided;
    expect(tally.ops.map((o) => o.decided)).toEqual([
      { ok: true, acked: 2 },
      { ok: true, acked: 1 },
    ]);
  });

  it("reports a missed quorum only when every replica has settled, with what landed", async () => {
    const tally = new BatchTally<string>([3], [3]);
    tally.failed(0, "a", "a is down", "down");
    tally.succeeded(0, "b", "ok");
    expect(tally.ops[0]!.decided).toBeUndefined();
    tally.succeeded(0, "c", "ok");
    await tally.decided;
    expect(tally.ops[0]!.decided).toEqual({ ok: false, acked: 2 });
    expect(tally.ops[0]!.failures).toEqual([{ node: "a", reason: "a is down", kind: "down" }]);
  });

  it("an empty batch is decided at once", async () => {
    await new BatchTally<string>([], []).decided;
  });
});
