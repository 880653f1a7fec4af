import { Ring } from "../../shared/ring";
import type { NodeStats } from "../../shared/wire";
import { clusterFor } from "../cluster";
import { FAN_OUT, inBatches } from "../fan-out";
import { json } from "../http";

/** GET /health: the router is up and its configuration is valid. Touches no node. */
export function health(_request: Request, env: Env): Response {
  const { config } = clusterFor(env);
  return json({ status: "ok", nodes: config.nodes.length });
}

/**
 * GET /cluster: every node the router knows of, with its state in the router's
 * view and in its own (state, incarnation), whether it is on the ring, its
 * replica counts, the hints it holds for others, its catch-up (joining or
 * recovering, with progress), its writes and the commits they took, its fault,
 * and whether the live members' membership views agree.
 */
export async function clusterInfo(_request: Request, env: Env): Promise<Response> {
  const cluster = clusterFor(env);
  const { config } = cluster;
  const view = await cluster.membership.view();
  const names = [...new Set([...config.nodes, ...view.members.map((m) => m.name)])].sort();
  // At most FAN_OUT calls at once, as every fan-out of the router; a node that cannot answer in time is shown as unreachable.
  const stats = await inBatches(names, FAN_OUT, (name) => cluster.nodes.stats(name).catch(() => undefined));
  const nodes = names.map((name, i) => {
    const member = view.members.find((m) => m.name === name);
    const own = stats[i];
    return {
      name,
      state: member?.state ?? "unknown",
      incarnation: member?.incarnation ?? null,
      // A dead node keeps its place for DEAD_NODE_GRACE_MS: its writes go to hints meanwhile.
      onRing: view.ring.members.includes(name),
      ...(own === undefined
        ? { reachable: false }
        : {
            reachable: true,
            self: own.swim ?? null,
            keys: own.keys,
            tombstones: own.tombstones,
            storage: own.storage,
            groupCommit: own.groupCommit,
            hints: own.hints,
            catchUp: own.catchUp,
            fault: own.fault,
            view: own.digest,
            events: own.events,
          }),
    };
  });
  // The views that matter are those of members still running the protocol.
  const running = stats.filter((s): s is NodeStats => s?.swim !== undefined && s.swim.state !== "left" && s.fault.mode !== "crash");
  const digests = new Set(running.map((s) => s.digest));
  return json({
    nodes,
    viewsAgree: digests.size <= 1,
    view: { digest: view.digest, from: view.source ?? null },
    // Every listed node's tokens (dead and left ones too, so a picture shows whose ranges they were).
    ring: Ring.build(names, { virtualNodes: config.virtualNodes, replicas: 1 }).tokenOwners(),
    replicas: config.replicas,
    readQuorum: config.readQuorum,
    writeQuorum: config.writeQuorum,
    virtualNodes: config.virtualNodes,
    transport: config.transport,
    replicaTimeoutMs: config.replicaTimeoutMs,
    readRepairChance: config.readRepairChance,
    protocolPeriodMs: config.swim.protocolPeriodMs,
  });
}
