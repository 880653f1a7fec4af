/**
 * Production-wide request metrics: with an Analytics Engine dataset bound as
 * `METRICS` (wrangler.toml, commented out by default), one data point per data
 * request, from every isolate, queryable over time with the SQL API
 * (docs/operations.md). Without the binding nothing is written.
 *
 * `writeDataPoint` returns at once (the runtime sends the point after the
 * response), so it needs no `waitUntil` and adds no latency.
 */

export type DataOperation = "read" | "write" | "delete" | "batch" | "list";

export interface RequestPoint {
  readonly operation: DataOperation;
  readonly status: number;
  /** The level asked for (`quorum`, `one`, `all`, a count), as the client gave it. */
  readonly consistency: string;
  /** Replicas that acknowledged (the quorum's answers); 0 where it does not apply (batch, list, refused input). */
  readonly acked: number;
  readonly required: number;
  readonly ms: number;
}

/**
 * The data point's layout; the SQL in docs/operations.md depends on it:
 *   index1 operation (the sampling key)
 *   blob1 operation, blob2 status, blob3 consistency
 *   double1 latency (ms), double2 status, double3 replicas acknowledged, double4 replicas required
 */
export function dataPoint(point: RequestPoint): AnalyticsEngineDataPoint {
  return {
    indexes: [point.operation],
    blobs: [point.operation, String(point.status), point.consistency],
    doubles: [point.ms, point.status, point.acked, point.required],
  };
}

export function writeRequestPoint(dataset: AnalyticsEngineDataset | undefined, point: RequestPoint): void {
  dataset?.writeDataPoint(dataPoint(point));
}
