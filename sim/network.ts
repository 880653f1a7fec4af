import type { Rng } from "./random";

export interface NetworkOptions {
  /** Probability that any one message is lost, independently. */
  readonly loss: number;
  /** One-way latency: a floor plus an exponential tail (LAN-like: mostly fast, occasionally slow). */
  readonly latencyMinMs: number;
  readonly latencyMeanExtraMs: number;
}

export const LAN: NetworkOptions = { loss: 0, latencyMinMs: 1, latencyMeanExtraMs: 4 };

/**
 * Which messages arrive, and when. Members are numbered; links can be cut one
 * pair at a time or by splitting the members into groups. An "overloaded"
 * member (the Lifeguard paper's anomaly) handles each message it receives late,
 * by an exponential delay of the given mean, as if it sat in a backlog.
 */
export class Network {
  loss: number;
  private readonly cut = new Set<number>();
  private groups: Int32Array | undefined;
  private readonly backlogMeanMs = new Map<number, number>();

  constructor(
    private readonly options: NetworkOptions,
    private readonly rng: Rng,
  ) {
    this.loss = options.loss;
  }

  /** Delivery delay for one message, or undefined if it is lost. */
  transit(from: number, to: number): number | undefined {
    if (this.loss > 0 && this.rng.next() < this.loss) return undefined;
    if (this.groups !== undefined && this.groups[from] !== this.groups[to]) return undefined;
    if (this.cut.size > 0 && this.cut.has(pairKey(from, to))) return undefined;
    let delay = this.options.latencyMinMs + this.rng.exponential(this.options.latencyMeanExtraMs);
    const backlog = this.backlogMeanMs.get(to);
    if (backlog !== undefined) delay += this.rng.exponential(backlog);
    return delay;
  }

  cutLink(a: number, b: number): void {
    this.cut.add(pairKey(a, b));
  }

  /** group[i] is member i's side; members on different sides cannot talk. Undefined heals. */
  split(groups: Int32Array | undefined): void {
    this.groups = groups;
  }

  overload(member: number, backlogMeanMs: number): void {
    this.backlogMeanMs.set(member, backlogMeanMs);
  }
}

function pairKey(a: number, b: number): number {
  return a < b ? a * 0x100000 + b : b * 0x100000 + a;
}
