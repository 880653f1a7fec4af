import { Registry, type MetricFamily } from "../shared/metrics";
import type { NodeStats } from "../shared/wire";

/** Alarm lag in seconds: a 1 s protocol period makes anything past a few seconds a stalled node. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * A ring node's counters, in memory: they start from zero when the object
 * starts (a crash, an eviction, a deploy), which Prometheus reads as a counter
 * reset. The router's `GET /metrics` asks every node for `collect()` and labels
 * each series with the node's name. What the node already counts for
 * `/cluster` (group commits, cache hits, key counts) is mirrored at collection
 * rather than counted twice.
 */
export class NodeMetrics {
  private readonly registry = new Registry();

  readonly reads = this.registry.counter("ringkv_node_reads_total", "Replica reads served: single reads and the reads of batches.");
  readonly writes = this.registry.counter(
    "ringkv_node_writes_total",
    "Replica writes served (client writes, batch writes, read repairs), by outcome: applied (newer than the copy held) or superseded (the node held that version or a newer one).",
  );
  readonly repairsReceived = this.registry.counter("ringkv_node_read_repairs_received_total", "Writes received as a router's read repair.");
  readonly sweepSentRows = this.registry.counter(
    "ringkv_node_sweep_sent_rows_total",
    "Entries the sweep (anti-entropy, rebalancing, a leave's drain) sent to other replicas and they confirmed.",
  );
  readonly sweepSentBytes = this.registry.counter(
    "ringkv_node_sweep_sent_bytes_total",
    "Bytes (entryBytes) of the entries counted by ringkv_node_sweep_sent_rows_total.",
  );
  readonly sweepReceivedRows = this.registry.counter(
    "ringkv_node_sweep_received_rows_total",
    "Entries received from other nodes' sweeps, and newer entries taken from a peer's anti-entropy answer.",
  );
  readonly sweepReceivedBytes = this.registry.counter(
    "ringkv_node_sweep_received_bytes_total",
    "Bytes (entryBytes) of the entries counted by ringkv_node_sweep_received_rows_total.",
  );
  readonly handedOff = this.registry.counter(
    "ringkv_node_handed_off_rows_total",
    "Keys this node no longer replicates, dropped once every new owner confirmed them.",
  );
  readonly compared = this.registry.counter(
    "ringkv_node_anti_entropy_compared_total",
    "Key versions this node's sweep compared with another replica.",
  );
  readonly differences = this.registry.counter(
    "ringkv_node_anti_entropy_differences_total",
    "Compared keys whose versions differed (either side was behind), each then sent to the side that lacked it.",
  );
  readonly purged = this.registry.counter(
    "ringkv_node_purged_total",
    "Entries the sweep forgot after the tombstone TTL, by kind: tombstone, or expired value.",
  );
  readonly swimMessages = this.registry.counter(
    "ringkv_node_swim_messages_total",
    'SWIM messages by direction and type: probes are sent "ping", indirect probes sent "ping-req", acks received "ack".',
  );
  readonly swimEvents = this.registry.counter(
    "ringkv_node_swim_events_total",
    "Changes in this node's membership view, by event: suspect (suspicions), dead (deaths), refuted (refutations), joined, left.",
  );
  readonly alarmLag = this.registry.histogram(
    "ringkv_node_alarm_lag_seconds",
    "How late each alarm fired after the time it was armed for.",
    LAG_BUCKETS,
  );
  private readonly groupCommits = this.registry.counter(
    "ringkv_node_group_commits_total",
    "Storage commits taken by replica writes (group commit).",
  );
  private readonly groupCommitWrites = this.registry.counter(
    "ringkv_node_group_commit_writes_total",
    "Replica writes applied through group commit; over ringkv_node_group_commits_total, the mean writes per commit.",
  );
  private readonly cacheHits = this.registry.counter("ringkv_node_cache_hits_total", "Entry cache lookups answered from memory.");
  private readonly cacheMisses = this.registry.counter("ringkv_node_cache_misses_total", "Entry cache lookups that went to SQLite.");
  private readonly keys = this.registry.gauge("ringkv_node_keys", "Live keys held.");
  private readonly tombstones = this.registry.gauge("ringkv_node_tombstones", "Tombstones held.");
  private readonly bytes = this.registry.gauge("ringkv_node_storage_bytes", "Bytes of the node's SQLite database.");
  private readonly incarnation = this.registry.gauge("ringkv_node_swim_incarnation", "This node's own SWIM incarnation.");
  private readonly health = this.registry.gauge("ringkv_node_swim_local_health", "Lifeguard's local health multiplier (0 is healthy).");
  private readonly hints = this.registry.gauge("ringkv_node_hints", "Writes held for replicas that were down (hinted handoff).");
  private readonly hintBytes = this.registry.gauge("ringkv_node_hint_bytes", "Bytes of the hints held.");
  private readonly catchingUp = this.registry.gauge(
    "ringkv_node_catching_up",
    "1 while the node is joining or recovering: its reads count toward no quorum.",
  );

  /** Every family, with the figures mirrored from `stats` (the node's `/cluster` answer) as of now. */
  collect(stats: NodeStats): MetricFamily[] {
    this.groupCommits.setTotal(stats.groupCommit.commits);
    this.groupCommitWrites.setTotal(stats.groupCommit.writes);
    this.cacheHits.setTotal(stats.storage.cache.hits);
    this.cacheMisses.setTotal(stats.storage.cache.misses);
    this.keys.set(stats.keys);
    this.tombstones.set(stats.tombstones);
    this.bytes.set(stats.storage.bytes);
    this.hints.set(stats.hints.entries);
    this.hintBytes.set(stats.hints.bytes);
    this.catchingUp.set(stats.catchUp === null ? 0 : 1);
    if (stats.swim !== undefined) {
      this.incarnation.set(stats.swim.incarnation);
      this.health.set(stats.swim.health);
    }
    return this.registry.collect();
  }
}
