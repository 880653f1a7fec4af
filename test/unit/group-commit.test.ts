import { describe, expect, it } from "vitest";
import { GroupCommit, MAX_BATCH } from "../../durable/group-commit";

/** A GroupCommit whose time and batches move only when the test says so. */
function manual<W, R>(apply: (write: W) => R) {
  const flushes: (() => void)[] = [];
  const time = { now: 0 };
  const commits = new GroupCommit(
    apply,
    (flush) => flushes.push(flush),
    () => time.now,
  );
  const runBatch = (): void => flushes.shift()!();
  return { commits, flushes, time, runBatch };
}

describe("GroupCommit: writes that arrive together share one commit", () => {
  it("applies a write at once while the node is quiet: no timer, no wait", async () => {
    const applied: string[] = [];
    const { commits, flushes, time } = manual((w: string) => (applied.push(w), w.toUpperCase()));
    const a = commits.submit("a");
    expect(applied).toEqual(["a"]);
    time.now = 1;
    const b = commits.submit("b");
    expect(applied).toEqual(["a", "b"]);
    expect(flushes).toHaveLength(0);
    expect([await a, await b]).toEqual(["A", "B"]);
    expect(commits.stats).toEqual({ writes: 2, commits: 2 });
  });

  it("groups the writes of a burst: the second write in one tick of now() starts a batch, applied later in arrival order", async () => {
    const applied: string[] = [];
    const { commits, flushes, runBatch } = manual((w: string) => (applied.push(w), w.toUpperCase()));
    const writes = ["a", "b", "c", "d"].map((w) => commits.submit(w));
    expect(applied).toEqual(["a"]);
    expect(flushes).toHaveLength(1);
    runBatch();
    expect(applied).toEqual(["a", "b", "c", "d"]);
    expect(await Promise.all(writes)).toEqual(["A", "B", "C", "D"]);
    expect(commits.stats).toEqual({ writes: 4, commits: 2 });
  });

  it("keeps grouping while batches hold several writes, and stops after a batch of one", () => {
    const applied: number[] = [];
    const { commits, flushes, time, runBatch } = manual((w: number) => applied.push(w));
    void commits.submit(1);
    void commits.submit(2); // same tick: busy
    time.now = 5;
    void commits.submit(3); // a new tick, but busy: queued with 2
    runBatch();
    expect(applied).toEqual([1, 2, 3]);
    time.now = 9;
    void commits.submit(4); // still busy: the last batch held two
    expect(applied).toEqual([1, 2, 3]);
    runBatch(); // a batch of one: the burst is over
    time.now = 12;
    void commits.submit(5);
    expect(applied).toEqual([1, 2, 3, 4, 5]);
    expect(flushes).toHaveLength(0);
  });

  it("applies the queue when another event asks (flush), and the timer then finds nothing left", async () => {
    const applied: string[] = [];
    const { commits, flushes, runBatch } = manual((w: string) => applied.push(w));
    const writes = ["a", "b", "c"].map((w) => commits.submit(w));
    commits.flush();
    expect(applied).toEqual(["a", "b", "c"]);
    await Promise.all(writes);
    runBatch();
    expect(applied).toEqual(["a", "b", "c"]);
    expect(commits.stats).toEqual({ writes: 3, commits: 2 });
    expect(flushes).toHaveLength(0);
  });

  it("applies a full batch at once, without waiting for the timer", () => {
    const applied: number[] = [];
    const { commits } = manual((w: number) => applied.push(w));
    for (let i = 0; i <= MAX_BATCH; i++) void commits.submit(i);
    // The first write is applied at once; the next MAX_BATCH fill a batch, which is applied when full.
    expect(applied).toHaveLength(MAX_BATCH + 1);
    expect(commits.stats).toEqual({ writes: MAX_BATCH + 1, commits: 2 });
  });

  it("fails only the write that threw; the rest of its batch is applied", async () => {
    const applied: number[] = [];
    const { commits, runBatch } = manual((w: number) => {
      if (w === 2 || w === 4) throw new Error(`disk full at ${w}`);
      return applied.push(w);
    });
    const outcomes = Promise.allSettled([1, 2, 3, 4].map((w) => commits.submit(w)));
    runBatch();
    const settled = await outcomes;
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected"]);
    expect((settled[1] as PromiseRejectedResult).reason).toEqual(new Error("disk full at 2"));
    expect(applied).toEqual([1, 3]);
  });

  it("rejects a write applied at once that throws, without throwing at the caller", async () => {
    const { commits } = manual((): number => {
      throw new Error("disk full");
    });
    await expect(commits.submit(1)).rejects.toThrow("disk full");
  });
});
