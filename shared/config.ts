import { parseAccess, type AccessConfig } from "./access";
import { DEFAULT_SPECULATIVE_RETRY, parseSpeculativeRetry, type SpeculativeRetry } from "./speculation";
import { DEFAULT_SWIM_CONFIG, validateConfig, type SwimConfig } from "./swim";
import { MAX_PEER_ITEMS } from "./wire";

/**
 * Cluster configuration, read from the Worker's vars.
 *
 * Parsed once per isolate and validated as a whole: a configuration that could
 * never serve (R > N, N larger than the cluster, a typo in a number) fails at
 * start with a message naming the var, instead of surfacing as odd quorum errors.
 */
export type Transport = "rpc" | "fetch";

/** How long each kind of call from the router to a node may take (ms). */
export interface NodeTimeouts {
  /** Every data call but a replica read (which only its gather bounds): the longest such a call runs (a gather's own deadline counts it as failed sooner). */
  readonly data: number;
  /** A node's membership view, for the router's ring. */
  readonly membership: number;
  /** A node's stats, for GET /cluster. */
  readonly stats: number;
  /** Operator actions: join, leave (which hands off every key), faults, one replica's copy. */
  readonly admin: number;
}

export interface Limits {
  readonly maxKeyBytes: number;
  readonly maxValueBytes: number;
  readonly maxBodyBytes: number;
}

export interface ClusterConfig {
  readonly nodes: readonly string[];
  readonly replicas: number;
  readonly readQuorum: number;
  readonly writeQuorum: number;
  readonly virtualNodes: number;
  readonly replicaTimeoutMs: number;
  /** How long each kind of call from the router to a node may take. */
  readonly timeouts: NodeTimeouts;
  readonly readRepairChance: number;
  /** When a read also asks the next replica: see shared/speculation.ts. */
  readonly speculativeRetry: SpeculativeRetry;
  /**
   * Which of a key's replicas a read asks first: "latency" moves replicas that have been
   * answering much slower behind the others (worker/read-order.ts); "ring" keeps the
   * preference order, so which replicas a read asks is decided by the ring alone.
   */
  readonly readOrder: ReadOrder;
  readonly transport: Transport;
  readonly limits: Limits;
  readonly faultsEnabled: boolean;
  /** Undefined when no token is configured: the admin API is then disabled. */
  readonly adminToken: string | undefined;
  /** Data tokens, DATA_AUTH and CORS origins (shared/access.ts). */
  readonly access: AccessConfig;
  /** SWIM membership between the ring nodes. */
  readonly swim: SwimConfig;
  /** How long a router isolate trusts the membership view it fetched from a node. */
  readonly membershipTtlMs: number;
  /**
   * How long a node SWIM declared dead keeps its place on the ring (its writes go
   * to hints meanwhile) before it is dropped and its keys re-replicated.
   */
  readonly deadNodeGraceMs: number;
  /** Anti-entropy: how often a node compares a batch of its keys with their other replicas. */
  readonly repairIntervalMs: number;
  readonly repairBatch: number;
  /** Tombstones older than this are purged (Cassandra's gc_grace): a replica down longer may resurrect. */
  readonly tombstoneTtlMs: number;
  /** Each node's entry cache bound (CACHE_BYTES, 0 = off) and the bytes it may hold (MAX_NODE_BYTES). */
  readonly storage: { readonly cacheBytes: number; readonly maxNodeBytes: number };
}

/**
 * Every var the configuration reads. `wrangler.toml` declares each of them
 * (`ADMIN_TOKEN` is a secret, declared in `env.d.ts`), so the generated `Env`
 * types them all (test/unit/config.test.ts checks it).
 */
export const CONFIG_VARS = [
  "NODES",
  "REPLICAS",
  "READ_QUORUM",
  "WRITE_QUORUM",
  "VIRTUAL_NODES",
  "REPLICA_TIMEOUT_MS",
  "ADMIN_TIMEOUT_MS",
  "READ_REPAIR_CHANCE",
  "SPECULATIVE_RETRY",
  "READ_ORDER",
  "REPLICA_TRANSPORT",
  "MAX_KEY_BYTES",
  "MAX_VALUE_BYTES",
  "MAX_BODY_BYTES",
  "FAULTS_ENABLED",
  "ADMIN_TOKEN",
  "DATA_AUTH",
  "DATA_TOKENS",
  "CORS_ORIGINS",
  "MEMBERSHIP_TTL_MS",
  "REPAIR_INTERVAL_MS",
  "REPAIR_BATCH",
  "TOMBSTONE_TTL_MS",
  "CACHE_BYTES",
  "MAX_NODE_BYTES",
  "PROTOCOL_PERIOD_MS",
  "PING_TIMEOUT_MS",
  "INDIRECT_CHECKS",
  "SUSPICION_MULT",
  "SUSPICION_MAX_MULT",
  "PUSH_PULL_INTERVAL_MS",
  "JOIN_RETRY_MS",
  "DEAD_MEMBER_RETENTION_MS",
  "DEAD_NODE_GRACE_MS",
  "LIFEGUARD",
] as const;

export type ConfigVar = (typeof CONFIG_VARS)[number];

/** The vars as wrangler hands them over (strings), or as tests pass them; the Worker's `Env` is one. */
export type ConfigVars = { readonly [Name in ConfigVar]?: unknown };

export type ReadOrder = "latency" | "ring";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Node names become Durable Object names and URL path segments: keep them plain. */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function parseConfig(vars: ConfigVars): ClusterConfig {
  const nodes = parseNodes(vars.NODES);
  const replicas = integer(vars, "REPLICAS", 3, 1, 64);
  const readQuorum = integer(vars, "READ_QUORUM", 2, 1, 64);
  const writeQuorum = integer(vars, "WRITE_QUORUM", 2, 1, 64);
  if (replicas > nodes.length) {
    throw new ConfigError(`REPLICAS=${replicas} but NODES lists only ${nodes.length} node(s): N cannot exceed the cluster size`);
  }
  if (readQuorum > replicas) throw new ConfigError(`READ_QUORUM=${readQuorum} exceeds REPLICAS=${replicas}`);
  if (writeQuorum > replicas) throw new ConfigError(`WRITE_QUORUM=${writeQuorum} exceeds REPLICAS=${replicas}`);

  const replicaTimeoutMs = integer(vars, "REPLICA_TIMEOUT_MS", 1000, 1, 60_000);
  const transport = vars.REPLICA_TRANSPORT ?? "rpc";
  if (transport !== "rpc" && transport !== "fetch") {
    throw new ConfigError(`REPLICA_TRANSPORT must be "rpc" or "fetch", got ${JSON.stringify(transport)}`);
  }
  const readOrder = vars.READ_ORDER ?? "latency";
  const swim = parseSwim(vars);
  if (readOrder !== "latency" && readOrder !== "ring") {
    throw new ConfigError(`READ_ORDER must be "latency" or "ring", got ${JSON.stringify(readOrder)}`);
  }
  const token = vars.ADMIN_TOKEN === "" ? undefined : vars.ADMIN_TOKEN;
  if (token !== undefined && (typeof token !== "string" || token.length < 8)) {
    throw new ConfigError("ADMIN_TOKEN must be a string of at least 8 characters");
  }

  return {
    nodes,
    replicas,
    readQuorum,
    writeQuorum,
    virtualNodes: integer(vars, "VIRTUAL_NODES", 128, 1, 4096),
    replicaTimeoutMs,
    timeouts: {
      // gather decides when a replica counts as failed (REPLICA_TIMEOUT_MS), and a write's late
      // answer still counts for two timeouts more (worker/coordinator.ts): the call may run that long.
      data: replicaTimeoutMs * 3,
      membership: replicaTimeoutMs,
      stats: replicaTimeoutMs,
      admin: integer(vars, "ADMIN_TIMEOUT_MS", 30_000, 1, 300_000),
    },
    readRepairChance: fraction(vars, "READ_REPAIR_CHANCE", 0.1),
    speculativeRetry: speculativeRetry(vars.SPECULATIVE_RETRY),
    readOrder,
    transport,
    limits: {
      maxKeyBytes: integer(vars, "MAX_KEY_BYTES", 512, 1, 2048),
      maxValueBytes: integer(vars, "MAX_VALUE_BYTES", 128 * 1024, 1, 1024 * 1024),
      maxBodyBytes: integer(vars, "MAX_BODY_BYTES", 256 * 1024, 64, 2 * 1024 * 1024),
    },
    faultsEnabled: boolean(vars, "FAULTS_ENABLED", false),
    adminToken: token as string | undefined,
    access: checked(() => parseAccess(vars, token as string | undefined)),
    swim,
    membershipTtlMs: integer(vars, "MEMBERSHIP_TTL_MS", 1000, 0, 3_600_000),
    deadNodeGraceMs: deadNodeGrace(vars, swim),
    repairIntervalMs: integer(vars, "REPAIR_INTERVAL_MS", 10_000, 100, 86_400_000),
    repairBatch: integer(vars, "REPAIR_BATCH", 256, 1, MAX_PEER_ITEMS),
    tombstoneTtlMs: integer(vars, "TOMBSTONE_TTL_MS", 10 * 86_400_000, 3_600_000, 365 * 86_400_000),
    storage: {
      // An isolate has 128 MB, shared by the objects in it.
      cacheBytes: integer(vars, "CACHE_BYTES", 8 * MiB, 0, 64 * MiB),
      // The platform's limit is 10 GB per object; 9 GiB leaves room for SQLite's own pages.
      maxNodeBytes: integer(vars, "MAX_NODE_BYTES", 9 * GiB, 1, 10_000_000_000),
    },
  };
}

/** The grace must end before SWIM forgets the dead member, or the node would leave the ring unnoticed. */
function deadNodeGrace(vars: ConfigVars, swim: SwimConfig): number {
  const graceMs = integer(vars, "DEAD_NODE_GRACE_MS", 600_000, 0, 30 * 86_400_000);
  if (graceMs >= swim.deadRetentionMs) {
    throw new ConfigError(`DEAD_NODE_GRACE_MS (${graceMs}) must be less than DEAD_MEMBER_RETENTION_MS (${swim.deadRetentionMs})`);
  }
  return graceMs;
}

function speculativeRetry(raw: unknown): SpeculativeRetry {
  const parsed = parseSpeculativeRetry(raw === undefined || raw === "" ? DEFAULT_SPECULATIVE_RETRY : String(raw));
  if (!parsed.ok) throw new ConfigError(`SPECULATIVE_RETRY: ${parsed.message}`);
  return parsed.value;
}

function parseSwim(vars: ConfigVars): SwimConfig {
  const d = DEFAULT_SWIM_CONFIG;
  const swim: SwimConfig = {
    ...d,
    protocolPeriodMs: integer(vars, "PROTOCOL_PERIOD_MS", d.protocolPeriodMs, 10, 86_400_000),
    pingTimeoutMs: integer(vars, "PING_TIMEOUT_MS", d.pingTimeoutMs, 1, 86_400_000),
    indirectChecks: integer(vars, "INDIRECT_CHECKS", d.indirectChecks, 1, 16),
    suspicionMult: integer(vars, "SUSPICION_MULT", d.suspicionMult, 1, 100),
    suspicionMaxMult: integer(vars, "SUSPICION_MAX_MULT", d.suspicionMaxMult, 1, 100),
    pushPullIntervalMs: integer(vars, "PUSH_PULL_INTERVAL_MS", d.pushPullIntervalMs, 100, 86_400_000),
    joinRetryMs: integer(vars, "JOIN_RETRY_MS", d.joinRetryMs, 10, 86_400_000),
    deadRetentionMs: integer(vars, "DEAD_MEMBER_RETENTION_MS", d.deadRetentionMs, 1_000, 30 * 86_400_000),
    lifeguard: boolean(vars, "LIFEGUARD", d.lifeguard),
  };
  checked(() => validateConfig(swim));
  return swim;
}

/** Runs a validator that throws plain Errors, and throws its message as a ConfigError. */
function checked<T>(validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

function parseNodes(raw: unknown): string[] {
  if (typeof raw !== "string" || raw.trim() === "") {
    throw new ConfigError('NODES must list at least one node name, e.g. "node-1,node-2,node-3"');
  }
  const names = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const name of names) {
    if (!isNodeName(name)) {
      throw new ConfigError(
        `NODES contains ${JSON.stringify(name)}: node names are 1-63 of A-Z a-z 0-9 . _ - and start with a letter or digit, and "${ROUTER_NAME}" is the router's`,
      );
    }
  }
  if (new Set(names).size !== names.length) throw new ConfigError("NODES lists a node twice");
  return names;
}

/** The name the router's log lines carry in `node`: no ring node may take it, or its lines could not be told apart. */
export const ROUTER_NAME = "router";

export function isNodeName(name: string): boolean {
  return NODE_NAME.test(name) && name !== ROUTER_NAME;
}

function integer(vars: ConfigVars, name: ConfigVar, fallback: number, min: number, max: number): number {
  const raw = vars[name];
  if (raw === undefined || raw === "") return fallback;
  const value = typeof raw === "number" ? raw : Number(String(raw).trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function fraction(vars: ConfigVars, name: ConfigVar, fallback: number): number {
  const raw = vars[name];
  if (raw === undefined || raw === "") return fallback;
  const value = typeof raw === "number" ? raw : Number(String(raw).trim());
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(`${name} must be a number from 0 to 1, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function boolean(vars: ConfigVars, name: ConfigVar, fallback: boolean): boolean {
  const raw = vars[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === true || raw === "true" || raw === "1") return true;
  if (raw === false || raw === "false" || raw === "0") return false;
  throw new ConfigError(`${name} must be "true" or "false", got ${JSON.stringify(raw)}`);
}
