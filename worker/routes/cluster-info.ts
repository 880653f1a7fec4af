import type { NodeStats } from "../../shared/wire";
import { clusterFor } from "../cluster";
import { json } from "../http";

/** GET /health: the router is up and its configuration is valid. Touches no node. */
export function health(_request: Request, env: Env): Response {
  const { config } = clusterFor(env);
  return json({ status: "ok", nodes: config.nodes.length });
}

/**
 * GET /cluster: membership, replication settings, and each node's replica
 * counts (live keys and tombstones it holds), asked of every node in parallel.
 */
export async function clusterInfo(_request: Request, env: Env): Promise<Response> {
  const cluster = clusterFor(env);
  const { config } = cluster;
  const view = await cluster.membership.view();
  const nodes = await Promise.all(
    view.members.map(async (member) => {
      const stats = await withTimeout(cluster.namespace.getByName(member.name).stats(), config.replicaTimeoutMs);
      return stats === undefined
        ? { name: member.name, state: member.state, reachable: false }
        : { name: member.name, state: member.state, reachable: true, keys: stats.keys, tombstones: stats.tombstones, fault: stats.fault };
    }),
  );
  return json({
    nodes,
    replicas: config.replicas,
    readQuorum: config.readQuorum,
    writeQuorum: config.writeQuorum,
    virtualNodes: config.virtualNodes,
    transport: config.transport,
    replicaTimeoutMs: config.replicaTimeoutMs,
    readRepairChance: config.readRepairChance,
  });
}

function withTimeout(call: Promise<NodeStats>, ms: number): Promise<NodeStats | undefined> {
  let timer = 0;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([call.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}
