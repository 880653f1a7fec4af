import type { Entry } from "../shared/entry";
import { classify, type FailureKind } from "../shared/failure";
import type { Logger, LogThrottle } from "../shared/log";
import { LATENCY_BUCKETS, Registry, withLabels, type MetricFamily } from "../shared/metrics";
import type { WriteOrigin } from "../shared/node-api";
import type { BatchItem, KeyedEntry } from "../shared/wire";
import type { CoordinatorObserver, ReplicaClient } from "./coordinator";

/**
 * The router's metrics, one set per isolate: every isolate counts only the
 * requests it served, so each series is labelled with the isolate's random id,
 * and a scrape (which reaches one isolate) shows that isolate's share. They
 * start from zero when the isolate starts; across isolates and over time,
 * Analytics Engine (worker/analytics.ts) has the production-wide numbers.
 */
export class RouterMetrics {
  private readonly registry = new Registry();
  readonly requests = this.registry.counter("ringkv_router_requests_total", "Requests this isolate answered, by method, route and status.");
  readonly latency = this.registry.histogram(
    "ringkv_router_request_duration_seconds",
    "Time to answer a data request, by operation (read, write, delete, batch, list).",
    LATENCY_BUCKETS,
  );
  readonly replicaFailures = this.registry.counter(
    "ringkv_router_replica_failures_total",
    "Replica calls of the quorum path (read, write, batch) that failed, by call and kind: timeout, down, crashed, partitioned, not_member, node_full, overloaded, transient, error.",
  );
  readonly speculative = this.registry.counter(
    "ringkv_router_speculative_reads_total",
    "Replicas a read also asked because one it asked was still silent after the speculative delay.",
  );
  readonly repairsSent = this.registry.counter(
    "ringkv_router_read_repairs_sent_total",
    "Stale replicas a read sent the newest entry (read repair).",
  );

  /** 48 random bits in base 36, made on first use (randomness is not allowed at module load). */
  readonly isolate: string = randomId();

  collect(): MetricFamily[] {
    return withLabels(this.registry.collect(), { isolate: this.isolate });
  }

  /** The coordinator's extra work (speculation, repairs) counted here, and its failed reads told to `failed`. */
  observer(failed: ReplicaFailed): CoordinatorObserver {
    return {
      speculated: (replicas) => this.speculative.inc({}, replicas),
      repaired: (replicas) => this.repairsSent.inc({}, replicas),
      readFailed: (node, kind, message) => failed("read", node, kind, message),
    };
  }
}

let isolateMetrics: RouterMetrics | undefined;

/** This isolate's metrics, shared by every env the isolate serves. */
export function routerMetrics(): RouterMetrics {
  return (isolateMetrics ??= new RouterMetrics());
}

/** At most one `replica_failed` line per replica, call and kind in this long, per isolate. */
export const REPLICA_FAILED_LOG_INTERVAL_MS = 10_000;

export type ReplicaCall = "read" | "write" | "batch" | "hint";
/** Records one failed replica call. */
export type ReplicaFailed = (call: ReplicaCall, node: string, kind: FailureKind, message: string) => void;

/**
 * Every failed replica call counted and logged (one JSON line: node, call,
 * kind, message), so a timing-out or refusing replica shows in the metrics and
 * in Workers Logs. Every failure is counted; lines are throttled (`throttle`):
 * one per replica, call and kind per interval, with `suppressed`, the lines
 * suppressed since the last. Keys and values are never logged.
 */
export function replicaFailures(metrics: RouterMetrics, logger: Logger, throttle: LogThrottle): ReplicaFailed {
  return (call, node, kind, message) => {
    metrics.replicaFailures.inc({ call, kind });
    const suppressed = throttle.admit(`${node}|${call}|${kind}`);
    if (suppressed !== undefined)
      logger.log("warn", "replica_failed", { replica: node, call, kind, message, ...(suppressed > 0 && { suppressed }) });
  };
}

/**
 * The replica client with each failed write, batch and hint told to `failed`.
 * A read passes through: its gather bounds it and tells its failures, timeouts
 * included, through the coordinator's observer (RouterMetrics.observer).
 */
export function observedReplicas(replicas: ReplicaClient, failed: ReplicaFailed): ReplicaClient {
  const observe = <T>(call: ReplicaCall, node: string, work: Promise<T>): Promise<T> =>
    work.catch((error: unknown) => {
      const { kind, message } = classify(error);
      failed(call, node, kind, message);
      throw error;
    });
  return {
    read: (node: string, key: string) => replicas.read(node, key),
    write: (node: string, key: string, entry: Entry, origin?: WriteOrigin) =>
      observe("write", node, replicas.write(node, key, entry, origin)),
    batch: (node: string, items: readonly BatchItem[]) => observe("batch", node, replicas.batch(node, items)),
    hint: (holder: string, target: string, writes: readonly KeyedEntry[]) => observe("hint", holder, replicas.hint(holder, target, writes)),
  };
}

/** 48 random bits in base 36: unique per isolate in practice, short on the wire (also the clock's writer id). */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  let n = 0;
  for (const b of bytes) n = n * 256 + b;
  return n.toString(36);
}
