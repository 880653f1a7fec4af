import { parseConfig, ROUTER_NAME, type ClusterConfig } from "../shared/config";
import { HybridClock } from "../shared/version";
import type { Admission } from "../shared/admission";
import { timers } from "../shared/timers";
import { CatchingUpNodes } from "./catching-up";
import { Coordinator } from "./coordinator";
import { GossipMembership, type MembershipSource } from "./membership";
import { routerAdmission } from "./overload";
import { ReplicaLatency } from "./read-order";
import { NodeClient } from "./node-client";
import { createLogger, LogThrottle, type Logger } from "../shared/log";
import { observedReplicas, randomId, replicaFailures, REPLICA_FAILED_LOG_INTERVAL_MS, routerMetrics } from "./metrics";

/** Everything the routes need, built once per isolate from its environment. */
export interface Cluster {
  readonly config: ClusterConfig;
  readonly membership: MembershipSource;
  /** Every call the router makes to a node goes through this client. */
  readonly nodes: NodeClient;
  readonly coordinator: Coordinator;
  /** Bounds the store requests this isolate works on at once (worker/overload.ts). */
  readonly admission: Admission;
  /** The router's JSON log lines (shared/log.ts), `node` "router". */
  readonly logger: Logger;
}

const clusters = new WeakMap<Env, Cluster>();

/**
 * The isolate's cluster for `env`. Built on first use rather than at module
 * load because the platform forbids randomness (the clock's writer id) in global
 * scope; the configuration itself is validated at load by `worker/index.ts`.
 */
export function clusterFor(env: Env): Cluster {
  let cluster = clusters.get(env);
  if (cluster === undefined) {
    cluster = buildCluster(env, parseConfig(env));
    clusters.set(env, cluster);
  }
  return cluster;
}

function buildCluster(env: Env, config: ClusterConfig): Cluster {
  const nodes = new NodeClient(env.RING_NODE, config.transport, config.timeouts, timers);
  const membership = new GossipMembership({
    seeds: config.nodes,
    ring: { virtualNodes: config.virtualNodes, replicas: config.replicas },
    ttlMs: config.membershipTtlMs,
    // A node that does not answer within its timeout is skipped for the next.
    ask: (node) => nodes.membership(node),
    now: Date.now,
    random: Math.random,
  });
  const logger = createLogger(ROUTER_NAME, console);
  const metrics = routerMetrics();
  const failed = replicaFailures(metrics, logger, new LogThrottle(REPLICA_FAILED_LOG_INTERVAL_MS, Date.now));
  const coordinator = new Coordinator({
    membership,
    replicas: observedReplicas(nodes, failed),
    observer: metrics.observer(failed),
    clock: new HybridClock(randomId(), Date.now),
    schedule: timers,
    random: Math.random,
    replicaTimeoutMs: config.replicaTimeoutMs,
    readRepairChance: config.readRepairChance,
    latency: new ReplicaLatency(config.speculativeRetry, config.replicaTimeoutMs, Date.now, config.readOrder),
    catchingUp: new CatchingUpNodes(Date.now),
  });
  const admission = routerAdmission(config.replicaTimeoutMs, timers);
  return { config, membership, nodes, coordinator, admission, logger };
}
