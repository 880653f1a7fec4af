import type { FailureKind } from "./failure";
import type { ReplicaFailure } from "./quorum";
import type { ReplicaSuccess } from "./quorum";

/**
 * A client batch split by replica: each node gets one call holding the
 * operations on keys it replicates, in batch order, and each operation counts
 * its replicas' answers until it has its quorum or can no longer reach it.
 * Pure: the router supplies the replicas of each key and delivers the answers.
 */

/** One node's share: the items to send it, and for each item the index of its operation in the batch. */
export interface NodeShare<I> {
  readonly items: I[];
  readonly ops: number[];
}

/** Groups `items[i]` (to be sent to every node of `replicas[i]`) by node, keeping batch order in each share. */
export function shareByNode<I>(items: readonly I[], replicas: readonly (readonly string[])[]): Map<string, NodeShare<I>> {
  const shares = new Map<string, NodeShare<I>>();
  items.forEach((item, op) => {
    for (const node of replicas[op]!) {
      let share = shares.get(node);
      if (share === undefined) shares.set(node, (share = { items: [], ops: [] }));
      share.items.push(item);
      share.ops.push(op);
    }
  });
  return shares;
}

/** Where one operation stands: its successes so far, the failures, and how many of its replicas have not answered. */
export interface OpTally<T> {
  readonly required: number;
  readonly replies: ReplicaSuccess<T>[];
  readonly failures: ReplicaFailure[];
  pending: number;
  /** Set once the operation has its quorum, or every replica has answered without it; later answers do not change it. */
  decided: { readonly ok: boolean; readonly acked: number } | undefined;
}

/**
 * Counts the answers of every operation of a batch. `decided` resolves once
 * every operation is decided: a slow node holds only the operations that still
 * need it.
 */
export class BatchTally<T> {
  readonly ops: OpTally<T>[];
  private undecided: number;
  private resolve: () => void = () => undefined;
  readonly decided: Promise<void>;

  constructor(replicaCounts: readonly number[], required: readonly number[]) {
    this.ops = replicaCounts.map((pending, op) => ({ required: required[op]!, replies: [], failures: [], pending, decided: undefined }));
    this.undecided = this.ops.length;
    this.decided = new Promise((resolve) => (this.resolve = resolve));
    this.ops.forEach((_, op) => this.check(op));
    if (this.ops.length === 0) this.resolve();
  }

  succeeded(op: number, node: string, value: T): void {
    const tally = this.ops[op]!;
    tally.pending--;
    tally.replies.push({ node, ok: true, value });
    this.check(op);
  }

  failed(op: number, node: string, reason: string, kind: FailureKind = "error"): void {
    const tally = this.ops[op]!;
    tally.pending--;
    tally.failures.push({ node, reason, kind });
    this.check(op);
  }

  private check(op: number): void {
    const tally = this.ops[op]!;
    if (tally.decided !== undefined) return;
    const needed = tally.required;
    if (tally.replies.length >= needed) tally.decided = { ok: true, acked: tally.replies.length };
    // A missed quorum is reported only once every replica asked has settled: one
    // still in flight may apply the write, and the client is told what landed.
    else if (tally.pending === 0) tally.decided = { ok: false, acked: tally.replies.length };
    else return;
    if (--this.undecided === 0) this.resolve();
  }
}
