import { pageOf } from "../shared/catch-up";
import { nodePage } from "../shared/listing";
import { BadArgument, type Refusable, type Refusal, type WriteOrigin } from "../shared/node-api";
import type { Ring } from "../shared/ring";
import { refuseWhenFull } from "../shared/storage/store-rules";
import { ringDigest } from "../shared/view";
import type {
  ApplyEntriesReply,
  BatchItem,
  BatchReply,
  CatchUpPart,
  CatchUpReply,
  HintReply,
  KeyedEntry,
  ListReply,
  NodeStats,
  ReadReply,
  WriteReply,
} from "../shared/wire";
import { runBatch } from "./batch";
import { GroupCommit } from "./group-commit";
import { HINT_PAGE } from "./hint-handover";
import type { HintStore } from "./hints";
import type { NodeMetrics } from "./node-metrics";
import type { ReplicaStore } from "./replica-store";

/** Tombstones and expired keys a node reads past its live ones for a page, at most: bounds a page's work. */
const LIST_SCAN_SLACK = 1000;
/** Rows of its store a node reads for one catch-up page of another's keys. */
const CATCH_UP_SCAN = 512;
/** Drain rounds a graceful leave makes while late writes keep some keys here. */
const LEAVE_ROUNDS = 3;

export interface ReplicaOpsDeps {
  readonly name: string;
  readonly store: ReplicaStore;
  readonly hints: HintStore;
  readonly counters: NodeMetrics;
  readonly maxNodeBytes: number;
  /** Whether the node is a member now: a write queued for a commit may find it gone. */
  readonly member: () => boolean;
  readonly notMember: () => Refusal;
  /** The view digest, and whether the node is still catching up: what every data reply carries. */
  readonly flags: () => { digest: string; catchingUp?: true };
  readonly buildRing: (members: readonly string[]) => Ring;
  /** The ring this node holds (refreshed first) and for how long (protocol time): what a catch-up page carries. */
  readonly heldRing: () => { digest: string; ringAgeMs: number };
  /** Counts entries a peer sent (a handoff, a hint handed over). */
  readonly countReceived: (entries: readonly KeyedEntry[]) => void;
}

/**
 * The work of a node's replica operations, once the RPC surface (durable/ring-node.ts)
 * checked their arguments and admitted the caller: reads, group-committed
 * writes, batches, listing pages, entries from peers, hints, catch-up pages.
 */
export class ReplicaOps {
  private readonly commits: GroupCommit<KeyedEntry, Refusable<WriteReply>>;
  private askedRing: { digest: string; ring: Ring } | undefined;

  constructor(private readonly deps: ReplicaOpsDeps) {
    this.commits = new GroupCommit(
      (write) => this.applyWrite(write),
      (flush) => setTimeout(flush, 0),
      Date.now,
    );
  }

  /** The store's part of the node's stats. */
  storeStats(): Pick<NodeStats, "keys" | "tombstones" | "storage" | "groupCommit"> {
    const { store } = this.deps;
    const { live, tombstones } = store.counts();
    return {
      keys: live,
      tombstones,
      storage: { bytes: store.databaseSize, rows: this.heldRows(), cache: store.cacheStats, rowsRead: store.rowsRead },
      groupCommit: this.commits.stats,
    };
  }

  /**
   * A graceful leave's handoff: `drainOnce` hands keys to the ring without this
   * node and says how many left and which nodes did not take theirs (the last
   * round's are reported). Writes still arrive while the keys are shipped
   * (routers with an older view, read repair finishing in the background); they
   * keep their keys here, so it drains again while each round makes progress.
   * Writes queued for a group commit are applied before each count, so they are
   * handed off too.
   */
  async drain(
    drainOnce: () => Promise<{ dropped: number; failed: readonly string[] }>,
  ): Promise<{ handedOff: number; remaining: number; unconfirmed: readonly string[] }> {
    let handedOff = 0;
    let unconfirmed: readonly string[] = [];
    this.commits.flush();
    let remaining = this.heldRows();
    for (let round = 0; round < LEAVE_ROUNDS && remaining > 0; round++) {
      this.commits.flush();
      const { dropped, failed } = await drainOnce();
      handedOff += dropped;
      // The last round's: the nodes that still did not take what they were sent.
      unconfirmed = failed;
      remaining = this.heldRows();
      if (dropped === 0) break;
    }
    return { handedOff, remaining, unconfirmed };
  }

  /** Applies the writes queued for a group commit now. */
  flush(): void {
    this.commits.flush();
  }

  read(key: string): ReadReply {
    this.deps.counters.reads.inc();
    // Queued writes go first, so that none waits behind this read for the timer.
    this.commits.flush();
    return { entry: this.deps.store.get(key) ?? null, ...this.deps.flags() };
  }

  /** Applied with the other writes that arrive meanwhile, in one commit (see GroupCommit). */
  write(write: KeyedEntry, origin: WriteOrigin): Promise<Refusable<WriteReply>> {
    if (origin === "repair") this.deps.counters.repairsReceived.inc();
    return this.commits.submit(write);
  }

  batch(items: readonly BatchItem[]): BatchReply {
    const host = {
      read: (key: string) => {
        this.deps.counters.reads.inc();
        return this.deps.store.get(key);
      },
      writeMany: (writes: readonly KeyedEntry[]) => this.applyWrites(writes),
      flush: () => this.commits.flush(),
    };
    return { results: runBatch(items, host), ...this.deps.flags() };
  }

  list(prefix: string, after: string, limit: number): ListReply {
    this.commits.flush();
    const scanCap = limit + LIST_SCAN_SLACK;
    const page = nodePage(this.deps.store.entriesWithPrefix(after, prefix, scanCap + 1), limit, scanCap, Date.now());
    return { ...page, digest: this.deps.flags().digest };
  }

  /** Entries merged as they are (repair, handoff, hints handed over); `fromPeer` when a node sent them. */
  applyEntries(entries: readonly KeyedEntry[], fromPeer: boolean): Refusable<ApplyEntriesReply> {
    return refuseWhenFull(() => {
      const applied = this.deps.store.applyAll(entries);
      if (fromPeer) this.deps.countReceived(entries);
      return { received: entries.length, applied };
    });
  }

  /** The writes in one storage transaction (the call's): each kept while the node has room for it. */
  hint(target: string, writes: readonly KeyedEntry[]): HintReply {
    let held = 0;
    for (const { key, entry } of writes) {
      const room = this.deps.maxNodeBytes - this.deps.store.databaseSize;
      if (this.deps.hints.add(target, key, entry, room)) held++;
    }
    return { held, digest: this.deps.flags().digest };
  }

  catchUpPage(target: string, ring: readonly string[], part: CatchUpPart, after: string): CatchUpReply {
    this.commits.flush();
    const held = this.deps.heldRing();
    if (part === "hints") return { ...pageOf(this.deps.hints.page(target, after, HINT_PAGE), HINT_PAGE, () => true), ...held };
    if (part !== "replicas") throw new BadArgument("catchUpPage: part must be hints or replicas");
    const theirs = this.ringOf(ring);
    const scanned = this.deps.store.entriesAfter(after, CATCH_UP_SCAN);
    return { ...pageOf(scanned, CATCH_UP_SCAN, (key) => theirs.preferenceList(key).includes(target)), ...held };
  }

  /** Rows held, live and tombstones. */
  heldRows(): number {
    const { live, tombstones } = this.deps.store.counts();
    return live + tombstones;
  }

  /** A ring of `members`, kept while the same members ask: a catch-up pass asks page after page. */
  private ringOf(members: readonly string[]): Ring {
    const digest = ringDigest([...members].sort());
    if (this.askedRing?.digest !== digest) this.askedRing = { digest, ring: this.deps.buildRing(members) };
    return this.askedRing.ring;
  }

  private applyWrite(write: KeyedEntry): Refusable<WriteReply> {
    // The node may have left while the write waited for its batch; its keys are handed off by now.
    if (!this.deps.member()) return this.deps.notMember();
    return refuseWhenFull(() => this.applyWrites([write])[0]!);
  }

  /** Writes in one storage transaction; each reply carries the version now held. */
  private applyWrites(writes: readonly KeyedEntry[]): WriteReply[] {
    if (!this.deps.member()) throw new Error(`${this.deps.name} is not a member of the cluster`);
    const applied = this.deps.store.applyEach(writes);
    for (const a of applied) this.deps.counters.writes.inc({ outcome: a ? "applied" : "superseded" });
    const flags = this.deps.flags();
    return writes.map(({ key }, i) => ({ applied: applied[i]!, version: this.deps.store.get(key)!.version, ...flags }));
  }
}
