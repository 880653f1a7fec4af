import type { ReadOrder } from "../shared/config";
import { RecentLatencies } from "../shared/latency";
import { fastestFirst, NodeLatencies } from "../shared/node-latency";
import type { GatherTiming } from "../shared/quorum";
import { speculativeDelay, type SpeculativeRetry } from "../shared/speculation";
import type { MembershipView } from "./membership";

/** What the coordinator asks of a router isolate's latency knowledge. */
export interface ReadLatency {
  /** `behind`: replicas still catching up, read last. */
  readOrder(view: MembershipView, key: string, behind?: ReadonlySet<string>): readonly string[];
  speculateAfterMs(): number | undefined;
  readonly reads: GatherTiming;
  readonly writes: GatherTiming;
}

/**
 * What a router isolate has learnt about its replicas' latencies, and how reads
 * use it: which replicas a read asks first, and when it speculates.
 *
 * Two measures, because they answer different questions. Each node's average
 * (reads and writes, timeouts counted at the timeout) orders a key's replicas.
 * The speculative percentile is over the answers reads actually waited for
 * (the first R of each read): a straggler a read did not need, such as the third
 * replica of a read-repair read, does not raise the delay after which a read
 * stops waiting for it.
 */
export class ReplicaLatency implements ReadLatency {
  private readonly recent = new RecentLatencies();
  private readonly nodes = new NodeLatencies();

  readonly reads: GatherTiming;
  readonly writes: GatherTiming;

  constructor(
    private readonly policy: SpeculativeRetry,
    private readonly replicaTimeoutMs: number,
    now: () => number,
    private readonly order: ReadOrder = "latency",
  ) {
    this.reads = {
      now,
      record: (node, ms, needed) => {
        this.nodes.record(node, ms);
        if (needed) this.recent.record(ms);
      },
    };
    this.writes = { now, record: (node, ms) => this.nodes.record(node, ms) };
  }

  /** A key's replicas in the order to read them: the membership's order, much slower replicas moved back, suspects last. */
  readOrder(view: MembershipView, key: string, behind?: ReadonlySet<string>): readonly string[] {
    const order = view.readOrder(key, behind);
    if (this.order === "ring") return order;
    return fastestFirst(order, this.lastOf(view, behind), (node) => this.nodes.average(node));
  }

  /** The delay after which a read asks one more replica; undefined: it does not speculate. */
  speculateAfterMs(): number | undefined {
    return speculativeDelay(this.policy, this.recent, this.replicaTimeoutMs);
  }

  /** Replicas that stay at the end of a read order: suspects, and those catching up. */
  private lastOf(view: MembershipView, behind: ReadonlySet<string> | undefined): ReadonlySet<string> {
    if (behind === undefined || behind.size === 0) return view.suspects;
    return new Set([...view.suspects, ...behind]);
  }
}
