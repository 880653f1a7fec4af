import { describe, expect, it } from "vitest";
import { QuorumError } from "../../shared/quorum";
import { quorumFailure } from "../../worker/quorum-failure";

describe("quorumFailure", () => {
  it("answers a missed quorum 503 quorum_not_reached with the counts, and Retry-After: a retry may succeed", () => {
    const error = quorumFailure("write", new QuorumError(1, 2, 3, 3, [{ node: "a", reason: "a is down", kind: "down" }]));
    expect(error).toMatchObject({ status: 503, code: "quorum_not_reached", details: { acked: 1, required: 2, replicas: 3 } });
    expect(error.details.failures).toEqual([{ node: "a", reason: "a is down" }]);
    expect(error.headers).toEqual({ "retry-after": "1" });
  });

  it("says too_few_nodes, without Retry-After, when the ring holds fewer of the key's replicas than required", () => {
    const error = quorumFailure("read", new QuorumError(0, 2, 0, 1, []));
    expect(error).toMatchObject({ status: 503, code: "too_few_nodes", details: { required: 2, replicas: 1 } });
    expect(error.message).toContain("no retry can succeed");
    expect(error.headers["retry-after"]).toBeUndefined();
  });

  it("answers 507 node_full, naming the full nodes, when they refused for room", () => {
    const error = quorumFailure("write", new QuorumError(1, 2, 3, 3, [{ node: "b", reason: "b is full", kind: "node_full" }]));
    expect(error).toMatchObject({ status: 507, code: "node_full", details: { nodes: ["b"] } });
  });
});
