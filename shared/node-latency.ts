/**
 * How fast each replica has been answering this router isolate: an
 * exponentially weighted moving average per node (Cassandra's dynamic snitch,
 * simplified), and the read order it implies.
 */
export class NodeLatencies {
  private readonly averages = new Map<string, number>();

  /**
   * @param weight the share of a new sample in the average (0..1]: 0.1 forgets
   *   a sample's influence by half in about 7 answers.
   * @param maxNodes entries kept; beyond it, the oldest-added node is forgotten
   *   (a router only ever sees the cluster's nodes, so this only bounds memory).
   */
  constructor(
    private readonly weight = 0.1,
    private readonly maxNodes = 1024,
  ) {
    if (!(weight > 0 && weight <= 1)) throw new RangeError("weight must be in (0, 1]");
  }

  record(node: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const previous = this.averages.get(node);
    if (previous === undefined && this.averages.size >= this.maxNodes) {
      this.averages.delete(this.averages.keys().next().value!);
    }
    this.averages.set(node, previous === undefined ? ms : previous + this.weight * (ms - previous));
  }

  /** The node's average latency in ms, or undefined if it has not answered yet. */
  average(node: string): number | undefined {
    return this.averages.get(node);
  }
}

/**
 * How much slower than the fastest replica of a key a replica must be before
 * reads stop asking it first: twice the fastest plus a few ms. Below that,
 * the preference order stands, so the load of a key's reads stays spread over
 * its replicas instead of piling onto whichever one measured a little faster.
 */
export const SLOWER_FACTOR = 2;
export const SLOWER_SLACK_MS = 5;

/**
 * `order` (a key's replicas, suspects already last) with the replicas that
 * have been answering much slower than the fastest moved behind the others,
 * slowest last. `last` (suspect members) stay at the end in their own order.
 * A replica with no average yet counts as fast, so it gets measured.
 */
export function fastestFirst(
  order: readonly string[],
  last: ReadonlySet<string>,
  average: (node: string) => number | undefined,
): readonly string[] {
  const head = order.filter((n) => !last.has(n));
  const known = head.map(average).filter((ms): ms is number => ms !== undefined);
  if (known.length === 0) return order;
  const limit = Math.min(...known) * SLOWER_FACTOR + SLOWER_SLACK_MS;
  const slow = head.filter((n) => (average(n) ?? 0) > limit);
  if (slow.length === 0) return order;
  slow.sort((a, b) => average(a)! - average(b)!);
  return [...head.filter((n) => (average(n) ?? 0) <= limit), ...slow, ...order.filter((n) => last.has(n))];
}
