import { describe, expect, it } from "vitest";
import { gatedTransport, rpcTransport, type PeerTransport } from "../../durable/peer-transport";
import { NodeCallError, TimeoutError } from "../../shared/failure";
import { refusal, type NodeApi } from "../../shared/node-api";
import type { Envelope } from "../../shared/swim";
import type { KeyVersion } from "../../shared/wire";
import { deferred, manualTimers } from "./support/manual-timers";

const ping = (to: string): Envelope => ({ from: "a", to, msg: { type: "ping", seq: 1, incarnation: 0, updates: [] } });

/** Peers whose calls are recorded (peer, method, from) and answered by `answer`. */
function peers(answer: (method: string, args: unknown[]) => unknown) {
  const calls: string[] = [];
  const stub = (peer: string): NodeApi => {
    const node = new Proxy(
      {},
      {
        get:
          (_target, method: string) =>
          (...args: unknown[]) => {
            calls.push(`${peer}.${method}`);
            return Promise.resolve(answer(method, args));
          },
      },
    );
    return node as NodeApi;
  };
  return { stub, calls };
}

async function failureOf(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error instanceof NodeCallError ? { node: error.node, kind: error.failure.kind } : error;
  }
  throw new Error("the call did not fail");
}

describe("rpcTransport: every call a node makes to a peer", () => {
  it("names this node as the caller and returns the peer's reply", async () => {
    const seen: unknown[][] = [];
    const { stub, calls } = peers((method, args) => {
      seen.push(args);
      return method === "antiEntropy" ? { newer: [], behind: ["k"] } : { received: 0, applied: 0 };
    });
    const transport = rpcTransport({ self: "a", stub, bulkTimeoutMs: 100 });
    const items: KeyVersion[] = [{ key: "k", version: { wall: 1, logical: 0, writer: "w" } }];
    expect(await transport.antiEntropy("b", items)).toEqual({ newer: [], behind: ["k"] });
    await transport.applyEntries("c", []);
    await transport.catchUpPage("d", ["a", "d"], "hints", "");
    expect(calls).toEqual(["b.antiEntropy", "c.applyEntries", "d.catchUpPage"]);
    expect(seen).toEqual([
      [items, "a"],
      [[], "a"],
      ["a", ["a", "d"], "hints", ""],
    ]);
  });

  it("throws a peer's refusal as a NodeCallError of its kind", async () => {
    const { stub } = peers(() => refusal("crashed", "b has crashed"));
    const transport = rpcTransport({ self: "a", stub, bulkTimeoutMs: 100 });
    expect(await failureOf(transport.applyEntries("b", []))).toEqual({ node: "b", kind: "crashed" });
  });

  it("a SWIM message the peer dropped (null) is a partition", async () => {
    const { stub } = peers(() => null);
    const transport = rpcTransport({ self: "a", stub, bulkTimeoutMs: 100 });
    expect(await failureOf(transport.swim(ping("b"), 50))).toEqual({ node: "b", kind: "partitioned" });
  });

  it("races SWIM calls against their own timeout, bulk calls against the bulk one", async () => {
    const clock = manualTimers();
    const never = deferred<never>();
    const { stub } = peers(() => never.promise);
    const transport = rpcTransport({ self: "a", stub, bulkTimeoutMs: 300, schedule: clock.schedule });
    const swim = failureOf(transport.swim(ping("b"), 50));
    const bulk = failureOf(transport.antiEntropy("b", []));
    expect(clock.armed()).toEqual([50, 300]);
    await clock.advance(50);
    expect(await swim).toBeInstanceOf(TimeoutError);
    await clock.advance(250);
    expect(await bulk).toBeInstanceOf(TimeoutError);
  });
});

describe("gatedTransport: the fault switch's one gate", () => {
  it("fails every call to an unreachable peer as partitioned without making it, and passes the others", async () => {
    const made: string[] = [];
    const inner: PeerTransport = {
      swim: async (envelope) => (made.push(`swim ${envelope.to}`), []),
      antiEntropy: async (peer) => (made.push(`antiEntropy ${peer}`), { newer: [], behind: [] }),
      applyEntries: async (peer) => (made.push(`applyEntries ${peer}`), { received: 0, applied: 0 }),
      catchUpPage: async (peer) => (made.push(`catchUpPage ${peer}`), { entries: [], next: null, digest: "", ringAgeMs: 0 }),
    };
    const gated = gatedTransport(inner, (peer) => peer !== "cut");
    for (const call of [
      gated.swim(ping("cut"), 10),
      gated.antiEntropy("cut", []),
      gated.applyEntries("cut", []),
      gated.catchUpPage("cut", [], "replicas", ""),
    ]) {
      expect(await failureOf(call)).toEqual({ node: "cut", kind: "partitioned" });
    }
    expect(made).toEqual([]);
    await gated.swim(ping("ok"), 10);
    await gated.antiEntropy("ok", []);
    await gated.applyEntries("ok", []);
    await gated.catchUpPage("ok", [], "replicas", "");
    expect(made).toEqual(["swim ok", "antiEntropy ok", "applyEntries ok", "catchUpPage ok"]);
  });
});
