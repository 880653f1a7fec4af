/**
 * Protocol parameters. Defaults follow HashiCorp memberlist's LAN configuration
 * where it has an equivalent (memberlist is the most deployed SWIM + Lifeguard);
 * the rest are explained where they are declared.
 */
export interface SwimConfig {
  /** Protocol period T: one probe per period. SWIM wants it at least 3x the p99 round trip. */
  readonly protocolPeriodMs: number;
  /** Wait for a direct ack before asking others (p99 round trip). */
  readonly pingTimeoutMs: number;
  /** k: members asked to ping-req a silent target. */
  readonly indirectChecks: number;
  /** Minimum suspicion timeout = suspicionMult x max(1, log10 n) x T. */
  readonly suspicionMult: number;
  /** Lifeguard: a suspicion starts at suspicionMaxMult x the minimum and shrinks with confirmations. */
  readonly suspicionMaxMult: number;
  /** Each update is piggybacked retransmitMult x ceil(log10(n + 1)) times. */
  readonly retransmitMult: number;
  /** Updates carried by one message. memberlist fills a 1,400-byte UDP packet; we count updates. */
  readonly maxPiggyback: number;
  /**
   * Pending updates kept for piggybacking; past it the most-sent, oldest are
   * dropped (push-pull repairs what gossip drops). Bounds memory and message
   * size under a join storm.
   */
  readonly broadcastQueueMax: number;
  /** Lifeguard local health: probe timeout and period are scaled by (score + 1), score < awarenessMax. */
  readonly awarenessMax: number;
  /** Full-state exchange with one random member, scaled up for clusters over 32 (as memberlist does). */
  readonly pushPullIntervalMs: number;
  /**
   * How long dead and left members are remembered. Long enough that stale gossip
   * cannot resurrect them, and that a partition can still heal by push-pull with
   * remembered dead members.
   */
  readonly deadRetentionMs: number;
  /** Resend the join to the introducers until one answers. */
  readonly joinRetryMs: number;
  /** Members told directly of a graceful leave; they gossip it on. */
  readonly leaveFanout: number;
  /**
   * Lifeguard (Dadgar et al., 2018) on: local-health-aware probes, nacks,
   * suspicion timeouts that shrink with independent confirmations, and the
   * buddy system. Off: plain SWIM with a fixed suspicion timeout, for comparison.
   */
  readonly lifeguard: boolean;
  /**
   * Every death verdict leaves the accused its chance to refute, even one
   * concluded by a member that could reach almost nobody (the far side of a
   * partition, an overloaded host), which must not impose on the cluster the
   * deaths it concluded while cut off. A member in poor local health (Lifeguard
   * score above 0) stretches its suspicion timeouts by (score + 1), like its
   * probe timeout and period, and a death it concludes anyway is held in its
   * own view but gossiped only as the suspicion it was; a member that starts a
   * suspicion on a sync's word tells the accused at once. Needs `lifeguard` for
   * the first two (without it the score is pinned at 0); off for comparison in
   * the simulator. See docs/membership.md, "Healing a partition".
   */
  readonly refutableVerdicts: boolean;
}

export const DEFAULT_SWIM_CONFIG: SwimConfig = Object.freeze({
  protocolPeriodMs: 1_000,
  pingTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMult: 4,
  suspicionMaxMult: 6,
  retransmitMult: 4,
  maxPiggyback: 6,
  broadcastQueueMax: 1_024,
  awarenessMax: 8,
  pushPullIntervalMs: 30_000,
  deadRetentionMs: 3_600_000,
  joinRetryMs: 2_000,
  leaveFanout: 3,
  lifeguard: true,
  refutableVerdicts: true,
});

/** Piggyback retransmissions per update: enough to reach everyone with high probability (O(log n)). */
export function retransmitLimit(config: SwimConfig, n: number): number {
  return config.retransmitMult * Math.ceil(Math.log10(n + 1));
}

/**
 * memberlist's push-pull scaling: a full-state sync costs O(n), so beyond 32
 * members the interval grows with log2(n) to keep the cluster-wide sync traffic
 * from growing quadratically.
 */
export function pushPullInterval(config: SwimConfig, n: number): number {
  const threshold = 32;
  if (n <= threshold) return config.pushPullIntervalMs;
  return (Math.ceil(Math.log2(n) - Math.log2(threshold)) + 1) * config.pushPullIntervalMs;
}

/** Rejects configurations under which the protocol cannot work as described. */
export function validateConfig(config: SwimConfig): void {
  const problems: string[] = [];
  if (!(config.protocolPeriodMs > 0)) problems.push("protocolPeriodMs must be positive");
  if (!(config.pingTimeoutMs > 0 && config.pingTimeoutMs < config.protocolPeriodMs)) {
    problems.push("pingTimeoutMs must be positive and shorter than protocolPeriodMs (indirect probes need the rest)");
  }
  for (const key of ["indirectChecks", "suspicionMult", "suspicionMaxMult", "retransmitMult", "maxPiggyback", "awarenessMax"] as const) {
    if (!(Number.isInteger(config[key]) && config[key] >= 1)) problems.push(`${key} must be an integer >= 1`);
  }
  if (!(config.broadcastQueueMax >= config.maxPiggyback)) problems.push("broadcastQueueMax must be >= maxPiggyback");
  if (problems.length > 0) throw new RangeError(`invalid SWIM config: ${problems.join("; ")}`);
}
