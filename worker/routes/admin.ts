import type { IRequest } from "itty-router";
import type { Entry } from "../../shared/entry";
import { formatVersion } from "../../shared/version";
import { classify, FAILURE_HTTP, PROXY_FAILURE } from "../../shared/failure";
import type { FaultRequest } from "../../shared/wire";
import { clusterFor, type Cluster } from "../cluster";
import { badRequest, HttpError, json, rawJson } from "../http";
import { keyFromQuery } from "../request";
import { isNodeName } from "../../shared/config";
import type { MemberStatus } from "../../shared/swim";
import { liveWithout } from "../../shared/view";
import { FAN_OUT, inBatches } from "../fan-out";
import { bearerToken, sameSecret } from "../secret";

/**
 * Operator routes under /admin, all behind `Authorization: Bearer <ADMIN_TOKEN>`.
 * Without a configured token the whole admin API is off (403); fault injection
 * additionally needs FAULTS_ENABLED.
 */

export async function requireAdmin(request: IRequest, env: Env): Promise<void> {
  const { adminToken } = clusterFor(env).config;
  if (adminToken === undefined) {
    throw new HttpError(403, "admin_disabled", "the admin API is disabled: set the ADMIN_TOKEN secret to enable it");
  }
  const token = bearerToken(request);
  if (token === undefined || !(await sameSecret(token, adminToken))) {
    throw new HttpError(
      401,
      "unauthorized",
      "missing or wrong bearer token",
      {},
      {
        "www-authenticate": 'Bearer realm="ringkv admin"',
      },
    );
  }
}

/** POST /admin/nodes {"name","introducer"?}: a new node object starts and joins through an introducer. */
export async function addNode(request: IRequest, env: Env): Promise<Response> {
  const cluster = clusterFor(env);
  const body = (await request.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  const name = body?.name;
  if (typeof name !== "string" || !isNodeName(name)) {
    throw badRequest(
      'body must be {"name": "<node name>", "introducer"?: "<member>"}; names are 1-63 of A-Z a-z 0-9 . _ -, not "router"',
      "invalid_node",
    );
  }
  const view = await cluster.membership.view({ fresh: true });
  const live = view.members.filter((m) => m.state === "alive").map((m) => m.name);
  if (view.members.some((m) => m.name === name && (m.state === "alive" || m.state === "suspect"))) {
    throw new HttpError(409, "already_member", `${name} is already a member of the cluster`);
  }
  let introducers = live.filter((m) => m !== name);
  if (body?.introducer !== undefined) {
    if (typeof body.introducer !== "string" || !live.includes(body.introducer)) {
      throw badRequest(`introducer must be a live member: one of ${live.join(", ")}`, "invalid_introducer");
    }
    introducers = [body.introducer];
  }
  if (introducers.length === 0) throw new HttpError(503, "no_introducer", "no live member to join through");
  const stats = await onNode(name, () => cluster.nodes.join(name, introducers));
  return json({ node: name, introducers, swim: stats.swim }, 201);
}

/**
 * DELETE /admin/nodes/:name: graceful leave; the node hands its keys to their
 * new replicas first. Refused (409 `too_few_nodes`) when fewer live members
 * (alive or suspect) than a key has replicas (N) would stay: every write at W
 * and every read at R would then fail, and no retry could help. A dead member
 * does not count, though it keeps its place on the ring for the grace: once
 * the grace ends it is off the ring too.
 */
export async function removeNode(request: IRequest, env: Env): Promise<Response> {
  const cluster = clusterFor(env);
  const name = await knownNode(cluster, request.params.name);
  const view = await cluster.membership.view({ fresh: true });
  const { replicas } = cluster.config;
  const staying = liveWithout(view.members, name);
  if (view.ring.members.includes(name) && staying.length < replicas) {
    throw new HttpError(
      409,
      "too_few_nodes",
      `${name} stays: without it the cluster would have ${staying.length} live nodes, and each key needs ${replicas} replicas (REPLICAS); add a node first`,
      { members: view.ring.members.length, live: staying.length, replicas },
    );
  }
  const result = await onNode(name, () => cluster.nodes.leave(name));
  if (!result.left) {
    throw new HttpError(
      503,
      "leave_incomplete",
      `${name} handed off ${result.handedOff} keys but ${result.remaining} remain: ` +
        (result.unconfirmed.length > 0
          ? `${result.unconfirmed.join(", ")} did not confirm the keys sent them. `
          : "some were not placed. ") +
        `${name} stays a member; retry once the cluster is healthy`,
      { handedOff: result.handedOff, remaining: result.remaining, nodes: result.unconfirmed },
    );
  }
  return json({ node: name, handedOff: result.handedOff, swim: result.stats.swim });
}

/** POST /admin/nodes/:name/fault {"mode": "up"|"down"|"slow"|"crash"|"recover"|"partition"|"restart", ...} */
export async function setFault(request: IRequest, env: Env): Promise<Response> {
  const cluster = clusterFor(env);
  if (!cluster.config.faultsEnabled) {
    throw new HttpError(403, "faults_disabled", "fault injection is disabled: set FAULTS_ENABLED=true (never in production)");
  }
  const name = await knownNode(cluster, request.params.name);
  const fault = parseFault(await request.json().catch(() => undefined), cluster.config.replicaTimeoutMs, name);
  if (fault.mode === "partition") for (const peer of fault.peers) await knownNode(cluster, peer);
  const stats = await onNode(name, () => cluster.nodes.setFault(name, fault));
  return json({ node: name, fault: stats.fault });
}

/** GET /admin/nodes/:name/d/read?key=K: one replica's own copy, through its internal HTTP API. */
export async function readReplica(request: IRequest, env: Env): Promise<Response> {
  const cluster = clusterFor(env);
  const name = await knownNode(cluster, request.params.name);
  const key = keyFromQuery(request.query, cluster.config.limits);
  let entry: Entry | undefined;
  try {
    entry = (await cluster.nodes.readReplica(name, key)).entry ?? undefined;
  } catch (error) {
    throw new HttpError(PROXY_FAILURE.status, PROXY_FAILURE.code, `${name}: ${classify(error).message}`);
  }
  if (entry === undefined) return json({ node: name, key, present: false, tombstone: false });
  const version = formatVersion(entry.version);
  if (entry.kind === "tombstone") return json({ node: name, key, present: true, tombstone: true, version });
  // The stored JSON text spliced in as it is, as a read's answer is: however deep the value, nothing parses it here.
  const head = JSON.stringify({ node: name, key, present: true, tombstone: false, version });
  const expiry = entry.expiresAt === undefined ? "" : `,"expires_at":${entry.expiresAt}`;
  return rawJson(`${head.slice(0, -1)}${expiry},"value":${entry.value}}`);
}

/** Calls a node for an operator and says why it failed, as `FAILURE_HTTP` maps the failure. */
async function onNode<T>(name: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const { kind, message } = classify(error);
    const { status, code } = FAILURE_HTTP[kind].operator;
    throw new HttpError(status, code, status === 409 ? message : `${name} did not answer: ${message}`);
  }
}

/** A node the cluster knows: configured, or in the membership view (joined later, or left). */
export async function knownNode(cluster: Cluster, name: string | undefined): Promise<string> {
  if (name !== undefined && cluster.config.nodes.includes(name)) return name;
  if (name !== undefined && isNodeName(name)) {
    const view = await cluster.membership.view({ fresh: true });
    if (view.members.some((m) => m.name === name) || (await someMemberKnows(cluster, view.members, name))) return name;
  }
  throw new HttpError(404, "unknown_node", `no node named ${JSON.stringify(name)}; see GET /cluster`);
}

/**
 * Whether any live member holds `name`. A node that joined a moment ago is known
 * to its introducer before gossip reaches the member whose view the router
 * asked, so a miss asks them all (at most FAN_OUT at a time): an operator's
 * call right after a join finds the node.
 */
async function someMemberKnows(cluster: Cluster, members: readonly MemberStatus[], name: string): Promise<boolean> {
  const live = members.filter((m) => m.state === "alive").map((m) => m.name);
  const views = await inBatches(live, FAN_OUT, (node) => cluster.nodes.membership(node).catch(() => undefined));
  return views.some((view) => view?.members.some((m) => m.name === name) === true);
}

function parseFault(body: unknown, replicaTimeoutMs: number, node: string): FaultRequest {
  const fields = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  switch (fields.mode) {
    case "up":
    case "recover":
      // A crashed node comes back by any mode that is not a crash; "recover" says so.
      return { mode: "up" };
    case "down":
      return { mode: "down" };
    case "crash":
      return { mode: "crash" };
    case "restart":
      return { mode: "restart" };
    case "slow": {
      // By default, slow enough that every replica call misses its deadline.
      const delayMs = fields.delayMs ?? replicaTimeoutMs * 2;
      if (!Number.isInteger(delayMs) || (delayMs as number) < 0 || (delayMs as number) > 30_000) {
        throw badRequest("delayMs must be an integer from 0 to 30000", "invalid_fault");
      }
      return { mode: "slow", delayMs: delayMs as number };
    }
    case "partition": {
      const peers = fields.peers;
      if (!Array.isArray(peers) || peers.length === 0 || !peers.every((p) => typeof p === "string" && p !== node)) {
        throw badRequest('partition needs "peers": a non-empty list of other node names', "invalid_fault");
      }
      return { mode: "partition", peers: [...new Set(peers as string[])] };
    }
    default:
      throw badRequest(
        'body must be {"mode": "up" | "down" | "slow" | "crash" | "recover" | "partition" | "restart", "delayMs"?: number, "peers"?: string[]}',
        "invalid_fault",
      );
  }
}
