import { describe, expect, it } from "vitest";
import { gather, QuorumError, requiredReplicas, type Schedule } from "../../shared/quorum";

/** Timers that fire only when the test says time has passed. */
function manualTimers() {
  let now = 0;
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  const schedule: Schedule = (ms, fn) => {
    const timer = { at: now + ms, fn, cancelled: false };
    timers.push(timer);
    return () => void (timer.cancelled = true);
  };
  const advance = async (ms: number) => {
    now += ms;
    for (const t of timers) {
      if (t.cancelled || t.at > now) continue;
      t.cancelled = true;
      t.fn();
    }
    await flush();
  };
  return { schedule, advance };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A replica that answers when the test resolves it. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("requiredReplicas", () => {
  it("maps consistency levels to counts", () => {
    expect(requiredReplicas(undefined, 3, 2)).toEqual({ ok: true, required: 2 });
    expect(requiredReplicas("quorum", 3, 2)).toEqual({ ok: true, required: 2 });
    expect(requiredReplicas("one", 3, 2)).toEqual({ ok: true, required: 1 });
    expect(requiredReplicas("all", 3, 2)).toEqual({ ok: true, required: 3 });
    expect(requiredReplicas("3", 3, 2)).toEqual({ ok: true, required: 3 });
  });

  it("refuses levels the cluster cannot meet, with a reason", () => {
    for (const level of ["0", "4", "01", "-1", "1.0", "ALL", ""]) {
      const result = requiredReplicas(level, 3, 2);
      expect(result.ok, level).toBe(false);
    }
  });
});

describe("gather", () => {
  it("resolves as soon as the required replicas answer, without waiting for the rest", async () => {
    const { schedule } = manualTimers();
    const calls = new Map(["a", "b", "c"].map((n) => [n, deferred<string>()]));
    const result = gather({
      nodes: ["a", "b", "c"],
      required: 2,
      initial: 3,
      call: (n) => calls.get(n)!.promise,
      timeoutMs: 100,
      schedule,
    });
    calls.get("c")!.resolve("from c");
    calls.get("a")!.resolve("from a");
    const { replies, settled } = await result;
    expect(replies.map((r) => r.node)).toEqual(["c", "a"]);

    let done = false;
    void settled.then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    calls.get("b")!.resolve("from b");
    expect((await settled).map((o) => o.node)).toEqual(["c", "a", "b"]);
  });

  it("asks only `initial` replicas, and the next one in preference order for each that fails", async () => {
    const { schedule } = manualTimers();
    const asked: string[] = [];
    const { replies } = await gather({
      nodes: ["a", "b", "c"],
      required: 2,
      initial: 2,
      call: async (n) => {
        asked.push(n);
        if (n === "a") throw new Error("a is down");
        return n;
      },
      timeoutMs: 100,
      schedule,
    });
    expect(asked).toEqual(["a", "b", "c"]);
    expect(replies.map((r) => r.value)).toEqual(["b", "c"]);
  });

  it("counts a replica that exceeds the timeout as failed and moves on", async () => {
    const { schedule, advance } = manualTimers();
    const slow = deferred<string>();
    const result = gather({
      nodes: ["slow", "b", "c"],
      required: 2,
      initial: 2,
      call: (n) => (n === "slow" ? slow.promise : Promise.resolve(n)),
      timeoutMs: 100,
      schedule,
    });
    await flush();
    await advance(100);
    const { replies, settled } = await result;
    expect(replies.map((r) => r.node)).toEqual(["b", "c"]);
    expect(await settled).toContainEqual({ node: "slow", ok: false, reason: "timed out after 100 ms" });
  });

  it("fails with the final counts once the rest cannot make up the quorum", async () => {
    const { schedule } = manualTimers();
    const late = deferred<string>();
    const result = gather({
      nodes: ["a", "b", "c"],
      required: 2,
      initial: 3,
      call: (n) => (n === "c" ? late.promise : Promise.reject(new Error(`${n} refused`))),
      timeoutMs: 100,
      schedule,
    });
    let outcome: unknown;
    result.catch((e: unknown) => (outcome = e));
    await flush();
    // a and b failed, so 2 is out of reach, but c is still writing: wait for it.
    expect(outcome).toBeUndefined();
    late.resolve("c applied it");
    await flush();
    expect(outcome).toBeInstanceOf(QuorumError);
    expect(outcome).toMatchObject({
      acked: 1,
      required: 2,
      replicas: 3,
      failures: [
        { node: "a", reason: "a refused" },
        { node: "b", reason: "b refused" },
      ],
    });
  });

  it("fails at once when more replicas are required than exist", async () => {
    const { schedule } = manualTimers();
    await expect(gather({ nodes: ["a"], required: 2, initial: 2, call: async () => 1, timeoutMs: 1, schedule })).rejects.toMatchObject({
      acked: 0,
      required: 2,
      replicas: 1,
    });
  });
});
