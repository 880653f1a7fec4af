import { fullNodes } from "../shared/failure";
import type { QuorumError } from "../shared/quorum";
import { HttpError } from "./http";

/** How an operation that missed its quorum is answered, for a single request and each operation of a batch alike. */

export type Operation = "read" | "write" | "delete";

/** The answer to a quorum not reached: 507 when full nodes refused, else a 503 that says how far it got. */
export function quorumFailure(operation: Operation, error: QuorumError): HttpError {
  const full = fullNodes(error.failures);
  if (full.length > 0) return nodeFull(operation, error, full);
  if (error.replicas < error.required) return tooFewNodes(operation, error);
  const counts = `${error.acked} of ${error.replicas} replicas acknowledged; ${error.required} required`;
  const message =
    operation === "read"
      ? `read failed: ${counts}`
      : `${operation} failed: ${counts}. It may have been applied on fewer than ${error.required} replicas; ` +
        "retry it (a retry is a newer version of the same operation)";
  return new HttpError(
    503,
    "quorum_not_reached",
    message,
    {
      operation,
      acked: error.acked,
      required: error.required,
      replicas: error.replicas,
      failures: error.failures.map(({ node, reason }) => ({ node, reason })),
    },
    { "retry-after": "1" },
  );
}

/**
 * A write some replicas refused because it would take them past MAX_NODE_BYTES,
 * so the quorum could not be met: 507, naming the full nodes. They stored
 * nothing of it; a replica that acknowledged holds it (as after any failed write).
 */
function nodeFull(operation: string, error: QuorumError, nodes: readonly string[]): HttpError {
  return new HttpError(
    507,
    "node_full",
    `${operation} refused: ${nodes.join(", ")} ${nodes.length === 1 ? "is" : "are"} full (MAX_NODE_BYTES); ` +
      `${error.acked} of ${error.replicas} replicas acknowledged, ${error.required} required`,
    {
      operation,
      nodes,
      acked: error.acked,
      required: error.required,
      replicas: error.replicas,
      failures: error.failures.map(({ node, reason }) => ({ node, reason })),
    },
  );
}

/**
 * The ring holds fewer of the key's replicas than the level needs (nodes held
 * dead past their grace): a retry cannot succeed until nodes are added or
 * recover, so the 503 says so, with no Retry-After.
 */
function tooFewNodes(operation: Operation, error: QuorumError): HttpError {
  return new HttpError(
    503,
    "too_few_nodes",
    `${operation} failed: the ring holds ${error.replicas} of the key's replicas and ${error.required} are required; ` +
      "no retry can succeed until nodes are added or the dead ones recover (GET /cluster)",
    {
      operation,
      acked: error.acked,
      required: error.required,
      replicas: error.replicas,
      failures: error.failures.map(({ node, reason }) => ({ node, reason })),
    },
  );
}
