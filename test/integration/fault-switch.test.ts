import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FaultSwitch } from "../../durable/fault-switch";
import type { PeerTransport } from "../../durable/peer-transport";
import { KV_KEYS } from "../../durable/schema";
import { NodeCallError } from "../../shared/failure";
import type { Envelope } from "../../shared/swim";
import type { Fault } from "../../shared/wire";

// In workerd rather than Node: the switch is typed against the Workers runtime's
// SyncKvStorage, which tsconfig.node.json (the unit project's) does not declare.
// Its storage is an in-memory SyncKvStorage; its `slow` timers are vitest's fake ones.

/** A synchronous KV store in a map, as `ctx.storage.kv` behaves for get, put, delete and list. */
function memoryKv(): SyncKvStorage & { readonly map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return {
    map,
    get: <T>(key: string) => map.get(key) as T | undefined,
    put: (key: string, value: unknown) => void map.set(key, structuredClone(value)),
    delete: (key: string) => map.delete(key),
    list: <T>() => [...map].sort(([a], [b]) => (a < b ? -1 : 1)) as [string, T][],
  };
}

/** Whether a promise has settled yet, read after the timers moved. */
function track<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T } = { done: false };
  void promise.then((value) => {
    state.done = true;
    state.value = value;
  });
  return state;
}

/** A transport whose calls are recorded (method and peer) and all succeed. */
function recordingTransport() {
  const calls: string[] = [];
  const transport: PeerTransport = {
    swim: async (envelope) => (calls.push(`swim ${envelope.to}`), []),
    antiEntropy: async (peer) => (calls.push(`antiEntropy ${peer}`), { newer: [], behind: [] }),
    applyEntries: async (peer, entries) => (calls.push(`applyEntries ${peer}`), { received: entries.length, applied: entries.length }),
    catchUpPage: async (peer) => (calls.push(`catchUpPage ${peer}`), { entries: [], next: null, digest: "d", ringAgeMs: 0 }),
  };
  return { transport, calls };
}

const ping = (to: string): Envelope => ({ from: "node-1", to, msg: { type: "ping", seq: 1, incarnation: 0, updates: [] } });

async function failureOf(call: Promise<unknown>): Promise<{ node: string; kind: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof NodeCallError) return { node: error.node, kind: error.failure.kind };
    throw error;
  }
  throw new Error("the call did not fail");
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("FaultSwitch: what it keeps", () => {
  it("starts up when nothing is stored: every call let through, every peer reachable", async () => {
    const faults = new FaultSwitch(memoryKv());
    expect(faults.current).toEqual({ mode: "up" });
    expect(faults.crashed).toBe(false);
    expect(await faults.admitData("node-1")).toBeUndefined();
    expect(faults.admitPeer("node-1", "node-2")).toBeUndefined();
    expect(faults.admitPeer("node-1", undefined)).toBeUndefined();
    expect(faults.canReach("node-2")).toBe(true);
  });

  it("persists a fault under its KV key, so a switch over the same storage (the object restarted) holds it", () => {
    const kv = memoryKv();
    new FaultSwitch(kv).set({ mode: "partition", peers: ["node-3"] });
    expect(kv.map.get(KV_KEYS.fault)).toEqual({ mode: "partition", peers: ["node-3"] });
    const restarted = new FaultSwitch(kv);
    expect(restarted.current).toEqual({ mode: "partition", peers: ["node-3"] });
    expect(restarted.canReach("node-3")).toBe(false);
  });

  it("stays crashed across a restart until set otherwise", () => {
    const kv = memoryKv();
    new FaultSwitch(kv).set({ mode: "crash" });
    expect(new FaultSwitch(kv).crashed).toBe(true);
  });

  it("stores nothing once set up again: the key is deleted, and a restart starts up", () => {
    const kv = memoryKv();
    const faults = new FaultSwitch(kv);
    faults.set({ mode: "down" });
    faults.set({ mode: "up" });
    expect(kv.map.has(KV_KEYS.fault)).toBe(false);
    expect(faults.current).toEqual({ mode: "up" });
    expect(new FaultSwitch(kv).current).toEqual({ mode: "up" });
  });

  it("reads the mode at each call: a node set down and then up again serves data again", async () => {
    const faults = new FaultSwitch(memoryKv());
    faults.set({ mode: "down" });
    expect(await faults.admitData("node-1")).toMatchObject({ refused: "down" });
    faults.set({ mode: "up" });
    expect(await faults.admitData("node-1")).toBeUndefined();
  });
});

describe("FaultSwitch: down", () => {
  it("refuses every data operation, naming the node", async () => {
    const faults = new FaultSwitch(memoryKv());
    faults.set({ mode: "down" });
    expect(await faults.admitData("node-1")).toEqual({ refused: "down", message: "node-1 is down (injected fault)" });
  });

  it("still admits peers and operators, and reaches every peer: SWIM keeps answering", () => {
    const faults = new FaultSwitch(memoryKv());
    faults.set({ mode: "down" });
    expect(faults.crashed).toBe(false);
    expect(faults.admitPeer("node-1", "node-2")).toBeUndefined();
    expect(faults.admitPeer("node-1", undefined)).toBeUndefined();
    expect(faults.canReach("node-2")).toBe(true);
  });
});

describe("FaultSwitch: crash", () => {
  it("refuses data, peers and operators alike, as crashed", async () => {
    const faults = new FaultSwitch(memoryKv());
    faults.set({ mode: "crash" });
    const crashed = { refused: "crashed", message: "node-1 has crashed (injected fault)" };
    expect(faults.crashed).toBe(true);
    expect(await faults.admitData("node-1")).toEqual(crashed);
    expect(faults.admitPeer("node-1", "node-2")).toEqual(crashed);
    expect(faults.admitPeer("node-1", undefined)).toEqual(crashed);
  });

  it("reaches no peer: every outbound call fails as partitioned before the transport is called", async () => {
    const faults = new FaultSwitch(memoryKv());
    const { transport, calls } = recordingTransport();
    const gated = faults.gate(transport);
    faults.set({ mode: "crash" });
    expect(faults.canReach("node-2")).toBe(false);
    expect(await failureOf(gated.swim(ping("node-2"), 100))).toEqual({ node: "node-2", kind: "partitioned" });
    expect(await failureOf(gated.antiEntropy("node-3", []))).toEqual({ node: "node-3", kind: "partitioned" });
    expect(await failureOf(gated.applyEntries("node-4", []))).toEqual({ node: "node-4", kind: "partitioned" });
    expect(await failureOf(gated.catchUpPage("node-5", [], "hints", ""))).toEqual({ node: "node-5", kind: "partitioned" });
    expect(calls).toEqual([]);
  });
});

describe("FaultSwitch: partition", () => {
  const cut: Fault = { mode: "partition", peers: ["node-2", "node-3"] };

  it("drops messages from the peers it names, and admits the others and operators", () => {
    const faults = new FaultSwitch(memoryKv());
    faults.set(cut);
    expect(faults.admitPeer("node-1", "node-2")).toEqual({
      refused: "partitioned",
      message: "node-1 is partitioned from node-2 (injected fault)",
    });
    expect(faults.admitPeer("node-1", "node-3")).toMatchObject({ refused: "partitioned" });
    expect(faults.admitPeer("node-1", "node-4")).toBeUndefined();
    expect(faults.admitPeer("node-1", undefined)).toBeUndefined();
  });

  it("cuts both ways: the named peers are unreachable, the others reachable", () => {
    const faults = new FaultSwitch(memoryKv());
    faults.set(cut);
    expect(faults.canReach("node-2")).toBe(false);
    expect(faults.canReach("node-3")).toBe(false);
    expect(faults.canReach("node-4")).toBe(true);
  });

  it("gates outbound calls: to a named peer they fail as partitioned uncalled, to the others they go through", async () => {
    const faults = new FaultSwitch(memoryKv());
    const { transport, calls } = recordingTransport();
    const gated = faults.gate(transport);
    faults.set(cut);
    expect(await failureOf(gated.applyEntries("node-2", []))).toEqual({ node: "node-2", kind: "partitioned" });
    expect(await failureOf(gated.swim(ping("node-3"), 100))).toEqual({ node: "node-3", kind: "partitioned" });
    expect(await gated.applyEntries("node-4", [])).toEqual({ received: 0, applied: 0 });
    expect(await gated.swim(ping("node-4"), 100)).toEqual([]);
    expect(calls).toEqual(["applyEntries node-4", "swim node-4"]);
  });

  it("lets the router's data operations through: a partition is between nodes", async () => {
    const faults = new FaultSwitch(memoryKv());
    faults.set(cut);
    expect(await faults.admitData("node-1")).toBeUndefined();
  });

  it("heals when set up: the gate lets calls to the peers it named through again", async () => {
    const faults = new FaultSwitch(memoryKv());
    const { transport, calls } = recordingTransport();
    const gated = faults.gate(transport);
    faults.set(cut);
    faults.set({ mode: "up" });
    await gated.antiEntropy("node-2", []);
    expect(calls).toEqual(["antiEntropy node-2"]);
  });
});

describe("FaultSwitch: slow", () => {
  it("answers a data operation only once its delay has passed, then lets it through", async () => {
    const faults = new FaultSwitch(memoryKv());
    faults.set({ mode: "slow", delayMs: 1_000 });
    const call = track(faults.admitData("node-1"));
    await vi.advanceTimersByTimeAsync(999);
    expect(call.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(call).toEqual({ done: true, value: undefined });
  });

  it("holds every waiting call on one timer, releasing each at its own due time in arrival order", async () => {
    const faults = new FaultSwitch(memoryKv());
    faults.set({ mode: "slow", delayMs: 1_000 });
    const first = track(faults.admitData("node-1"));
    await vi.advanceTimersByTimeAsync(300);
    const second = track(faults.admitData("node-1"));
    const third = track(faults.admitData("node-1"));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(700);
    expect([first.done, second.done, third.done]).toEqual([true, false, false]);
    await vi.advanceTimersByTimeAsync(299);
    expect([second.done, third.done]).toEqual([false, false]);
    await vi.advanceTimersByTimeAsync(1);
    expect([second.done, third.done]).toEqual([true, true]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("delays no message from a peer or an operator, and reaches every peer", () => {
    const faults = new FaultSwitch(memoryKv());
    faults.set({ mode: "slow", delayMs: 1_000 });
    expect(faults.admitPeer("node-1", "node-2")).toBeUndefined();
    expect(faults.admitPeer("node-1", undefined)).toBeUndefined();
    expect(faults.canReach("node-2")).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("keeps the delay of calls already waiting when set up, and admits calls from then on at once", async () => {
    const faults = new FaultSwitch(memoryKv());
    faults.set({ mode: "slow", delayMs: 1_000 });
    const waiting = track(faults.admitData("node-1"));
    await vi.advanceTimersByTimeAsync(300);
    faults.set({ mode: "up" });
    const later = track(faults.admitData("node-1"));
    await vi.advanceTimersByTimeAsync(0);
    expect([waiting.done, later.done]).toEqual([false, true]);
    await vi.advanceTimersByTimeAsync(699);
    expect(waiting.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(waiting.done).toBe(true);
  });

  it("refuses a call that was waiting when the node was set down: at its due time it is refused as a call arriving then", async () => {
    const faults = new FaultSwitch(memoryKv());
    faults.set({ mode: "slow", delayMs: 1_000 });
    const waiting = track(faults.admitData("node-1"));
    await vi.advanceTimersByTimeAsync(300);
    faults.set({ mode: "down" });
    await vi.advanceTimersByTimeAsync(700);
    expect(waiting).toEqual({ done: true, value: { refused: "down", message: "node-1 is down (injected fault)" } });
  });

  it("does not queue calls behind the ones already waiting when the delay is changed: a shorter one leaves first", async () => {
    const faults = new FaultSwitch(memoryKv());
    faults.set({ mode: "slow", delayMs: 1_000 });
    const long = track(faults.admitData("node-1"));
    await vi.advanceTimersByTimeAsync(600);
    faults.set({ mode: "slow", delayMs: 100 });
    const short = track(faults.admitData("node-1"));
    await vi.advanceTimersByTimeAsync(99);
    expect([long.done, short.done]).toEqual([false, false]);
    await vi.advanceTimersByTimeAsync(1);
    expect([long.done, short.done]).toEqual([false, true]);
    await vi.advanceTimersByTimeAsync(300);
    expect(long.done).toBe(true);
  });
});
