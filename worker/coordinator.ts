import { lostToNewer, newestOf, supersedes, type Entry } from "../shared/entry";
import { classify, NodeCallError, worthHinting, type FailureKind } from "../shared/failure";
import { gather, QuorumError, type Schedule } from "../shared/quorum";
import type { BatchItem, BatchReply, KeyedEntry } from "../shared/wire";
import { type HybridClock, type Version } from "../shared/version";
import { coordinateBatch, type BatchOp, type BatchOutcome } from "./batch-coordinator";
import type { MembershipSource } from "./membership";
import type { CatchingUpNodes } from "./catching-up";
import type { ReadLatency } from "./read-order";
import { Hints } from "./write-hints";
import type { HintReply, ReadReply, WriteReply } from "../shared/wire";
import type { WriteOrigin } from "../shared/node-api";

/** The replica calls the coordinator makes: `NodeClient` in production, a fake in unit specs. */
export interface ReplicaClient {
  /** Not bounded by the client: a read is only made inside a gather, which races it against the replica timeout (and reports its failures). */
  read(node: string, key: string): Promise<ReadReply>;
  /** `origin` "repair": a read repair, which the node counts apart. */
  write(node: string, key: string, entry: Entry, origin?: WriteOrigin): Promise<WriteReply>;
  /** One node's share of a client batch, in one call. */
  batch(node: string, items: readonly BatchItem[]): Promise<BatchReply>;
  /** Asks `holder` to keep writes for `target`, a home replica that is down, until it is back. */
  hint(holder: string, target: string, writes: readonly KeyedEntry[]): Promise<HintReply>;
}

/** How many replica timeouts more a write waits for a replica's late answer (gather's `lateAckMs`); batches wait as long. */
export const LATE_ACK_TIMEOUTS = 2;

export interface CoordinatorDeps {
  readonly membership: MembershipSource;
  readonly replicas: ReplicaClient;
  readonly clock: HybridClock;
  readonly schedule: Schedule;
  readonly random: () => number;
  readonly replicaTimeoutMs: number;
  readonly readRepairChance: number;
  /** Latency-aware read order and speculative reads; without it, reads follow the membership's order and never speculate. */
  readonly latency?: ReadLatency | undefined;
  /** Replicas that said they are catching up; without it, none is known to be. */
  readonly catchingUp?: CatchingUpNodes | undefined;
  /** Told of the work a request made beyond its quorum, for the router's metrics. */
  readonly observer?: CoordinatorObserver | undefined;
}

export interface CoordinatorObserver {
  /** Replicas asked because others were still silent after the speculative delay. */
  speculated(replicas: number): void;
  /** Stale replicas sent the newest entry after a read. */
  repaired(replicas: number): void;
  /**
   * A replica read that failed or timed out. Told here, not by the replica
   * client: only the read's gather bounds it, so only the gather sees it time out.
   */
  readFailed(node: string, kind: FailureKind, message: string): void;
}

/** Work that may finish after the response: the request's `ctx.waitUntil`. */
export type Background = (work: Promise<unknown>) => void;

export interface ReadResult {
  /** The newest entry among the replicas that answered; undefined if none had the key. */
  readonly entry: Entry | undefined;
  /** Replicas whose answers the read waited for (R). */
  readonly acked: number;
}

export interface WriteResult {
  readonly version: Version;
  readonly acked: number;
}

/**
 * Coordinates one client operation against a key's replicas: the quorum read
 * with read repair, and the quorum write. Holds no per-request state; one
 * instance serves an isolate.
 */
export class Coordinator {
  constructor(private readonly deps: CoordinatorDeps) {}

  /** A replica read's failure, for the observer: made once, not per read. A replica catching up answered; its answer just does not count. */
  private readonly readFailed = (node: string, kind: FailureKind, message: string): void => {
    if (kind !== "catching_up") this.deps.observer?.readFailed(node, kind, message);
  };

  /**
   * Asks the first R replicas of the read order (fastest first, suspects last;
   * all N on a read-repair roll), replacing any that fail or time out with the
   * next one, and backing up any still silent after the speculative delay; returns
   * the newest version among the first R answers. Every replica that answered
   * with an older version or nothing is repaired in the background.
   */
  read(key: string, required: number, background: Background): Promise<ReadResult> {
    return this.withCurrentView(() => this.readOnce(key, required, background));
  }

  private async readOnce(key: string, required: number, background: Background): Promise<ReadResult> {
    const { membership, replicas, clock, latency } = this.deps;
    const view = await membership.view();
    const behind = this.deps.catchingUp?.current();
    const nodes = latency?.readOrder(view, key, behind) ?? view.readOrder(key, behind);
    const everyReplica = this.deps.random() < this.deps.readRepairChance;
    const { replies, settled } = await gather({
      nodes,
      required,
      initial: everyReplica ? nodes.length : required,
      call: async (node) => {
        const reply = await replicas.read(node, key);
        membership.observe(reply.digest);
        this.heard(node, reply.catchingUp === true);
        // It may lack acknowledged writes: its answer cannot stand for a replica that has them.
        if (reply.catchingUp === true) throw new NodeCallError(node, { kind: "catching_up", message: `${node} is catching up` });
        return reply.entry ?? undefined;
      },
      timeoutMs: this.deps.replicaTimeoutMs,
      schedule: this.deps.schedule,
      speculateAfterMs: everyReplica ? undefined : latency?.speculateAfterMs(),
      onSpeculate: this.deps.observer && ((replicas) => this.deps.observer?.speculated(replicas)),
      timing: latency?.reads,
      onFailure: this.readFailed,
    });
    const entry = newestOf(replies.map((r) => r.value));
    if (entry !== undefined) clock.observe(entry.version);
    background(settled.then((outcomes) => this.repair(key, outcomes)));
    return { entry, acked: replies.length };
  }

  /** Sends `newest` to every replica that answered with something older. */
  private async repair(key: string, outcomes: readonly { node: string; ok: boolean; value?: Entry | undefined }[]): Promise<void> {
    const answered = outcomes.filter((o) => o.ok);
    const newest = newestOf(answered.map((o) => o.value));
    if (newest === undefined) return;
    const stale = answered.filter((o) => o.value === undefined || supersedes(newest, o.value));
    if (stale.length > 0) this.deps.observer?.repaired(stale.length);
    // A repair that fails is retried by the next read or by the nodes' own repair.
    await Promise.allSettled(stale.map((o) => this.deps.replicas.write(o.node, key, newest, "repair")));
  }

  /** Stamps a new version and writes it to all N replicas; returns once W acknowledged. `expiresAt`: Unix seconds. */
  write(key: string, value: string, required: number, background: Background, expiresAt?: number): Promise<WriteResult> {
    const stamp = (version: Version): Entry =>
      expiresAt === undefined ? { kind: "value", value, version } : { kind: "value", value, version, expiresAt };
    return this.withCurrentView(() => this.replicate(key, stamp, required, background));
  }

  /** A client batch: one call per node, each operation decided on its own (see batch-coordinator.ts). */
  batch(ops: readonly BatchOp[], levels: { r: number; w: number }, background: Background): Promise<BatchOutcome[]> {
    return coordinateBatch(this.deps, ops, levels, background);
  }

  /** A delete is a versioned tombstone, written like a value. */
  delete(key: string, required: number, background: Background): Promise<WriteResult> {
    const stamp = (version: Version): Entry => ({ kind: "tombstone", version });
    return this.withCurrentView(() => this.replicate(key, stamp, required, background));
  }

  /**
   * Runs an operation again, once, on a freshly fetched view when it missed its
   * quorum because a replica said it is no longer a member: this router's cached
   * view predates a leave, and the key's replicas are now other nodes.
   */
  private async withCurrentView<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof QuorumError) || !error.failures.some((f) => f.kind === "not_member")) throw error;
      await this.deps.membership.view({ fresh: true });
      return operation();
    }
  }

  /**
   * Writes the entry to all N replicas and returns once W acknowledged.
   *
   * A replica that already holds a newer version acknowledges without applying:
   * another coordinator, whose clock runs ahead of ours, wrote the key after
   * (or while) our client was told of its own last write. Reporting success then
   * would mean a DELETE answered 200 and a read that still finds the value. So
   * the clock observes every version the replicas report, and a write that a
   * replica says is superseded is stamped again, now newer than what the replica
   * holds, and written once more. Once only: two clients writing concurrently
   * are ordered by version either way; this only keeps one client's sequence of
   * requests in the order it made them.
   */
  private async replicate(
    key: string,
    stamp: (version: Version) => Entry,
    required: number,
    background: Background,
    retry = true,
  ): Promise<WriteResult> {
    const { membership, replicas, clock } = this.deps;
    const entry = stamp(clock.next());
    const view = await membership.view();
    const nodes = view.ring.preferenceList(key);
    // Made only by a write that needs a hint: most writes never do.
    let hints: Hints | undefined;
    const hint = (node: string, failure: unknown) => (hints ??= new Hints(view, key, entry, replicas)).instead(node, failure);
    const { replies, settled } = await gather({
      nodes,
      required,
      initial: nodes.length,
      call: async (node) => {
        if (view.dead.has(node)) return hint(node, new NodeCallError(node, { kind: "dead", message: `${node} is dead` }));
        try {
          const reply = await replicas.write(node, key, entry);
          membership.observe(reply.digest);
          clock.observe(reply.version);
          this.heard(node, reply.catchingUp === true);
          return reply;
        } catch (error) {
          return worthHinting(classify(error)) ? hint(node, error) : Promise.reject(error);
        }
      },
      timeoutMs: this.deps.replicaTimeoutMs,
      schedule: this.deps.schedule,
      timing: this.deps.latency?.writes,
      // A replica slowed past the timeout usually applies the write: its ack still counts for a while more.
      lateAckMs: LATE_ACK_TIMEOUTS * this.deps.replicaTimeoutMs,
    });
    background(settled);
    const superseded = replies.some((r) => lostToNewer(entry.version, r.value));
    if (superseded && retry) return this.replicate(key, stamp, required, background, false);
    return { version: entry.version, acked: replies.length };
  }

  private heard(node: string, catchingUp: boolean): void {
    this.deps.catchingUp?.heard(node, catchingUp);
  }
}
