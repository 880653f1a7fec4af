import { describe, expect, it } from "vitest";
import { gather, QuorumError, requiredReplicas } from "../../shared/quorum";
import { deferred, flush, manualTimers } from "./support/manual-timers";

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

describe("gather with a speculative delay", () => {
  /** Replicas that answer when the test says, and the order they were asked in. */
  function replicas(...names: string[]) {
    const calls = new Map(names.map((n) => [n, deferred<string>()]));
    const asked: string[] = [];
    const call = (n: string) => {
      asked.push(n);
      return calls.get(n)!.promise;
    };
    const answer = (n: string) => calls.get(n)!.resolve(`from ${n}`);
    return { call, asked, answer, fail: (n: string) => calls.get(n)!.reject(new Error(`${n} refused`)) };
  }

  it("asks the next replica once one asked has been silent for the delay, and takes the first R answers", async () => {
    const timers = manualTimers();
    const r = replicas("a", "b", "c");
    const speculated: number[] = [];
    const result = gather({
      nodes: ["a", "b", "c"],
      required: 2,
      initial: 2,
      call: r.call,
      timeoutMs: 1000,
      schedule: timers.schedule,
      speculateAfterMs: 10,
      onSpeculate: (n) => speculated.push(n),
    });
    r.answer("a");
    await timers.advance(9);
    expect(r.asked).toEqual(["a", "b"]);
    expect(speculated).toEqual([]);
    await timers.advance(1);
    expect(r.asked).toEqual(["a", "b", "c"]);
    expect(speculated).toEqual([1]);
    r.answer("c");
    const { replies, settled } = await result;
    expect(replies.map((x) => x.value)).toEqual(["from a", "from c"]);
    // The slow replica's late answer still arrives, for read repair.
    r.answer("b");
    expect((await settled).map((o) => o.node)).toEqual(["a", "c", "b"]);
  });

  it("sends no second request when the first R answer within the delay, and leaves no timer behind", async () => {
    const timers = manualTimers();
    const r = replicas("a", "b", "c");
    const result = gather({
      nodes: ["a", "b", "c"],
      required: 2,
      initial: 2,
      call: r.call,
      timeoutMs: 1000,
      schedule: timers.schedule,
      speculateAfterMs: 10,
    });
    r.answer("b");
    r.answer("a");
    await result;
    expect(timers.armed()).toEqual([]);
    await timers.advance(2000);
    expect(r.asked).toEqual(["a", "b"]);
  });

  it("backs up every silent replica, but only as many as answers are still missing", async () => {
    const timers = manualTimers();
    const r = replicas("a", "b", "c", "d", "e");
    void gather({
      nodes: ["a", "b", "c", "d", "e"],
      required: 2,
      initial: 2,
      call: r.call,
      timeoutMs: 1000,
      schedule: timers.schedule,
      speculateAfterMs: 10,
    });
    await timers.advance(10);
    expect(r.asked).toEqual(["a", "b", "c", "d"]);
  });

  it("does not ask a replica twice: after speculating, a failure that leaves too few replicas fails the quorum", async () => {
    const timers = manualTimers();
    const r = replicas("a", "b", "c");
    const result = gather({
      nodes: ["a", "b", "c"],
      required: 2,
      initial: 2,
      call: r.call,
      timeoutMs: 1000,
      schedule: timers.schedule,
      speculateAfterMs: 10,
    });
    const failed = expect(result).rejects.toMatchObject({ acked: 1, required: 2, asked: 3 });
    r.answer("b");
    await timers.advance(10);
    r.fail("a");
    r.fail("c");
    await failed;
    expect(r.asked).toEqual(["a", "b", "c"]);
  });

  it("reports each replica's time, including a timeout, and whether the request waited for it", async () => {
    const timers = manualTimers();
    const r = replicas("a", "b", "c");
    const recorded: [string, number, boolean][] = [];
    const result = gather({
      nodes: ["a", "b", "c"],
      required: 2,
      initial: 3,
      call: r.call,
      timeoutMs: 100,
      schedule: timers.schedule,
      timing: { now: timers.now, record: (node, ms, needed) => recorded.push([node, ms, needed]) },
    });
    await timers.advance(3);
    r.answer("b");
    await flush();
    await timers.advance(2);
    r.answer("a");
    const { settled } = await result;
    await timers.advance(95);
    await settled;
    expect(recorded).toEqual([
      ["b", 3, true],
      ["a", 5, true],
      ["c", 100, false],
    ]);
  });
});

describe("gather: a call another replica stands in for", () => {
  it("asks no one more when a call speculation backed up fails later", async () => {
    const { schedule, advance } = manualTimers();
    const first = deferred<string>();
    const asked: string[] = [];
    const result = gather({
      nodes: ["a", "b", "c"],
      required: 1,
      initial: 1,
      call: (n) => (asked.push(n), n === "a" ? first.promise : new Promise<string>(() => undefined)),
      timeoutMs: 1000,
      schedule,
      speculateAfterMs: 10,
    });
    void result.catch(() => undefined);
    await advance(10);
    expect(asked).toEqual(["a", "b"]);
    first.reject(new Error("refused"));
    await flush();
    // b already stands in for a.
    expect(asked).toEqual(["a", "b"]);
  });
});

describe("gather with patience for late answers (writes)", () => {
  it("replaces a replica at the timeout, yet counts its answer if it arrives within the late-ack window", async () => {
    const { schedule, advance } = manualTimers();
    const slow = deferred<string>();
    const asked: string[] = [];
    const failures: [string, string][] = [];
    const result = gather({
      nodes: ["slow", "b", "c"],
      required: 3,
      initial: 3,
      call: (n) => (asked.push(n), n === "slow" ? slow.promise : Promise.resolve(n)),
      timeoutMs: 100,
      schedule,
      lateAckMs: 100,
      onFailure: (node, kind) => failures.push([node, kind]),
    });
    let outcome: unknown;
    result.then(
      (g) => (outcome = g.replies.map((r) => r.node)),
      (e: unknown) => (outcome = e),
    );
    await advance(150);
    expect(outcome).toBeUndefined();
    slow.resolve("applied, late");
    await flush();
    expect(outcome).toEqual(["b", "c", "slow"]);
    // Replaced at the timeout, but its answer came in the late-ack window: not a failure.
    expect(failures).toEqual([]);
  });

  it("brings in one replica for a call that timed out and then failed in its late-ack window, not two", async () => {
    const { schedule, advance } = manualTimers();
    const slow = deferred<string>();
    const asked: string[] = [];
    const result = gather({
      nodes: ["slow", "b", "c"],
      required: 1,
      initial: 1,
      call: (n) => (asked.push(n), n === "slow" ? slow.promise : new Promise<string>(() => undefined)),
      timeoutMs: 100,
      schedule,
      lateAckMs: 100,
    });
    void result.catch(() => undefined);
    await advance(100);
    expect(asked).toEqual(["slow", "b"]);
    slow.reject(new Error("refused"));
    await flush();
    // b stands in for it already: its failure in the late-ack window asks no one more.
    expect(asked).toEqual(["slow", "b"]);
  });

  it("fails once the late-ack window is over too, naming the timeout, and tells the failure once it is final", async () => {
    const { schedule, advance } = manualTimers();
    const failures: [string, string, string][] = [];
    const result = gather({
      nodes: ["slow", "b"],
      required: 2,
      initial: 2,
      call: (n) => (n === "slow" ? new Promise<string>(() => undefined) : Promise.resolve(n)),
      timeoutMs: 100,
      schedule,
      lateAckMs: 50,
      onFailure: (node, kind, message) => failures.push([node, kind, message]),
    });
    const failed = expect(result).rejects.toMatchObject({ acked: 1, failures: [{ node: "slow", reason: "timed out after 50 ms" }] });
    await advance(100);
    expect(failures).toEqual([]);
    await advance(50);
    await failed;
    expect(failures).toEqual([["slow", "timeout", "timed out after 50 ms"]]);
  });
});
