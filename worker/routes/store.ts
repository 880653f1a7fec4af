import type { IRequest } from "itty-router";
import { QuorumError, requiredReplicas } from "../../shared/quorum";
import { formatVersion } from "../../shared/version";
import { NODE_FULL } from "../../shared/wire";
import { clusterFor, type Cluster } from "../cluster";
import { badRequest, HttpError, json, rawJson } from "../http";
import { admitted } from "../overload";
import { keyFromQuery, writeFromBody } from "../request";
import { grantOf, permit, type AuthorizedRequest } from "../auth";

/**
 * The public key-value API, as the seed had it:
 *   POST   /s/key   {"key","value"}   store a value        (?w=)
 *   GET    /s/key?key=K               read the newest value (?r=)
 *   DELETE /s/key?key=K               delete, idempotently  (?w=)
 */

export async function getKey(request: AuthorizedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const cluster = clusterFor(env);
  refuse(request, "w", "w applies to writes; reads take r");
  const key = keyFromQuery(request.query, cluster.config.limits);
  permit(grantOf(request), "read", key);
  const r = level(request, "r", cluster.config.readQuorum, cluster);
  const { entry } = await quorum("read", () =>
    admitted(cluster.admission, () => cluster.coordinator.read(key, r, (p) => ctx.waitUntil(p))),
  );
  if (entry === undefined || entry.kind === "tombstone") {
    throw new HttpError(404, "not_found", `no value for key ${JSON.stringify(key)}`, { key });
  }
  // The value is stored as JSON text; splice it in rather than parse and re-serialize it.
  return rawJson(`{"key":${JSON.stringify(key)},"value":${entry.value},"version":"${formatVersion(entry.version)}"}`);
}

export async function putKey(request: AuthorizedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const cluster = clusterFor(env);
  refuse(request, "r", "r applies to reads; writes take w");
  const w = level(request, "w", cluster.config.writeQuorum, cluster);
  permit(grantOf(request), "write");
  const { key, value } = await writeFromBody(request, cluster.config.limits, request.query.key as string | undefined);
  permit(grantOf(request), "write", key);
  const result = await quorum("write", () =>
    admitted(cluster.admission, () => cluster.coordinator.write(key, value, w, (p) => ctx.waitUntil(p))),
  );
  return json({ key, version: formatVersion(result.version), acked: result.acked, required: w });
}

export async function deleteKey(request: AuthorizedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const cluster = clusterFor(env);
  refuse(request, "r", "r applies to reads; deletes take w");
  const key = keyFromQuery(request.query, cluster.config.limits);
  permit(grantOf(request), "delete", key);
  const w = level(request, "w", cluster.config.writeQuorum, cluster);
  const result = await quorum("delete", () =>
    admitted(cluster.admission, () => cluster.coordinator.delete(key, w, (p) => ctx.waitUntil(p))),
  );
  return json({ key, deleted: true, version: formatVersion(result.version), acked: result.acked, required: w });
}

function level(request: IRequest, name: "r" | "w", configured: number, cluster: Cluster): number {
  const raw = request.query[name];
  if (Array.isArray(raw)) throw badRequest(`give ${name} once`, "invalid_consistency");
  const result = requiredReplicas(raw, cluster.config.replicas, configured);
  if (!result.ok) throw badRequest(`${name}: ${result.message}`, "invalid_consistency");
  return result.required;
}

function refuse(request: IRequest, name: string, message: string): void {
  if (request.query[name] !== undefined) throw badRequest(message, "invalid_consistency");
}

/** Turns a quorum failure into a 503 that says how far the operation got. */
async function quorum<T>(operation: "read" | "write" | "delete", run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof QuorumError)) throw error;
    const full = error.failures.filter((f) => f.reason.includes(NODE_FULL)).map((f) => f.node);
    if (full.length > 0) throw nodeFull(operation, error, full);
    const counts = `${error.acked} of ${error.replicas} replicas acknowledged; ${error.required} required`;
    const message =
      operation === "read"
        ? `read failed: ${counts}`
        : `${operation} failed: ${counts}. It may have been applied on fewer than ${error.required} replicas; ` +
          "retry it (a retry is a newer version of the same operation)";
    throw new HttpError(
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
