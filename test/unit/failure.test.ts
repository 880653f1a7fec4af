import { describe, expect, it } from "vitest";
import { classify, FAILURE_HTTP, fullNodes, NodeCallError, TimeoutError, worthRetrying } from "../../shared/failure";
import { refusal } from "../../shared/node-api";

/** An error as the platform raises it for a Durable Object call: flags, not words. */
function platformError(message: string, flags: { overloaded?: boolean; retryable?: boolean }): Error {
  return Object.assign(new Error(message), flags);
}

describe("classify", () => {
  it("takes a node's refusal by its code, whatever its message says", () => {
    expect(classify(refusal("not_member", "anything at all"))).toEqual({ kind: "not_member", message: "anything at all" });
    expect(classify(NodeCallError.refused("n1", refusal("crashed", "n1 has crashed")))).toEqual({
      kind: "crashed",
      message: "n1 has crashed",
    });
  });

  it("tells the platform's overload from its transient failures by their flags; overload wins", () => {
    expect(classify(platformError("Durable Object is overloaded. Too many requests queued.", { overloaded: true })).kind).toBe(
      "overloaded",
    );
    expect(classify(platformError("x", { overloaded: true, retryable: true })).kind).toBe("overloaded");
    expect(classify(platformError("Durable Object reset because its code was updated.", { retryable: true })).kind).toBe("transient");
  });

  it("takes a full node's refusal by its code", () => {
    expect(classify(NodeCallError.refused("n1", refusal("node_full", "no room")))).toEqual({ kind: "node_full", message: "no room" });
  });

  it("never reads message text: a message that names a refusal is still an error", () => {
    expect(classify(new Error("n1 is not a member of the cluster (it left, or never joined)")).kind).toBe("error");
    expect(classify(new Error("n1 has crashed (injected fault)")).kind).toBe("error");
    expect(classify(new Error("n1 is full: it holds 9 bytes, MAX_NODE_BYTES is 9")).kind).toBe("error");
    expect(classify("a thrown string").kind).toBe("error");
  });

  it("knows its own timeout", () => {
    expect(classify(new TimeoutError(1000))).toEqual({ kind: "timeout", message: "timed out after 1000 ms" });
  });
});

describe("worthRetrying", () => {
  it("retries only transient failures: never an overloaded object, a refusal or a timeout", () => {
    expect(worthRetrying({ kind: "transient", message: "" })).toBe(true);
    for (const kind of ["overloaded", "timeout", "not_member", "down", "crashed", "partitioned", "node_full", "error"] as const) {
      expect(worthRetrying({ kind, message: "" })).toBe(false);
    }
  });
});

describe("fullNodes", () => {
  it("names the replicas whose failure is of kind node_full, whatever the messages say", () => {
    const failures = [
      { node: "n1", kind: "node_full" as const, reason: "no room" },
      { node: "n2", kind: "error" as const, reason: "n2 is full: it holds 9 bytes" },
      { node: "n3", kind: "node_full" as const, reason: "" },
    ];
    expect(fullNodes(failures)).toEqual(["n1", "n3"]);
    expect(fullNodes([{ node: "n2", kind: "timeout" }])).toEqual([]);
  });
});

describe("FAILURE_HTTP", () => {
  it("answers a full node with 507 node_full, on the internal API too", () => {
    expect(FAILURE_HTTP.node_full.internal).toEqual({ status: 507, code: "node_full" });
  });

  it("maps operator calls as the admin API always has: 409 for a crashed or departed node, 503 otherwise", () => {
    expect(FAILURE_HTTP.crashed.operator).toEqual({ status: 409, code: "node_unavailable" });
    expect(FAILURE_HTTP.not_member.operator).toEqual({ status: 409, code: "node_unavailable" });
    expect(FAILURE_HTTP.timeout.operator).toEqual({ status: 503, code: "node_unreachable" });
    expect(FAILURE_HTTP.overloaded.operator).toEqual({ status: 503, code: "node_unreachable" });
  });

  it("answers every refusal on the internal API with 503 node_down", () => {
    for (const kind of ["not_member", "down", "crashed", "partitioned"] as const)
      expect(FAILURE_HTTP[kind].internal).toEqual({ status: 503, code: "node_down" });
  });
});
