import type { Entry } from "../shared/entry";
import type { Ring } from "../shared/ring";
import { entryBytes } from "../shared/storage/entry-bytes";
import type { ReplicaStorage } from "../shared/storage/store-rules";
import { compareVersions } from "../shared/version";
import type { AntiEntropyReply, KeyedEntry, KeyVersion, ApplyEntriesReply } from "../shared/wire";
import { NodeMetrics } from "./node-metrics";

/** Replica traffic between nodes; both calls carry the sender's name for the fault switch. */
export interface PeerClient {
  antiEntropy(peer: string, items: readonly KeyVersion[]): Promise<AntiEntropyReply>;
  applyEntries(peer: string, entries: readonly KeyedEntry[]): Promise<ApplyEntriesReply>;
}

/** Entries per applyEntries call: bounded in count and bytes, far under the 32 MiB RPC limit. */
const CHUNK_ENTRIES = 256;
const CHUNK_BYTES = 4 * 1024 * 1024;

/** Keys per batch of a graceful leave's drain: what the node holds in memory at once. */
const DRAIN_BATCH = 256;

/** What shipping a plan did: keys dropped here once confirmed, and the nodes whose shipment failed. */
export interface Executed {
  readonly dropped: number;
  readonly failed: readonly string[];
}

/**
 * Moves data to where the ring says it belongs, and keeps replicas in step.
 *
 * One mechanism does both: a sweep over this node's keys that, for each key,
 * compares versions with the key's other replicas under the current ring (each
 * side gets what it lacks) and hands keys this node no longer replicates to
 * their replicas. Run slowly and forever, it is anti-entropy: it heals a replica
 * that was down, restarted or partitioned without waiting for reads. Run at once
 * after a membership change, it is rebalancing. Diffing the old and new rings
 * would be cheaper, but misses keys written under a ring that lived between two
 * sweeps (a router with a stale view, a node that died and came back); the sweep
 * compares what replicas hold, so it cannot miss them.
 *
 * On a graceful leave, `drain` hands everything to the ring without this node.
 * Both read the store in key order in bounded batches, so no pass holds more
 * than a batch of a node's data in memory.
 *
 * Every transfer is an idempotent merge on the receiver, so a retry, a
 * duplicate or a race with a client's write is harmless.
 */
export class Rebalancer {
  private cursor = "";

  constructor(
    private readonly self: string,
    private readonly store: ReplicaStorage,
    private readonly peers: PeerClient,
    private readonly tombstoneTtlMs: number,
    private readonly wallNow: () => number,
    /** What the sweep compared, sent, received, handed off and purged (GET /metrics). */
    private readonly metrics = new NodeMetrics(),
  ) {}

  /** Starts the next sweep from the first key. */
  restartSweep(): void {
    this.cursor = "";
  }

  /**
   * One step of the sweep over this node's keys in key order: the next `batch`
   * keys are compared with their other replicas (each side gets what it lacks),
   * and keys this node no longer replicates go to their replicas and are
   * dropped here once every one of them confirmed. Returns true when the step
   * finished a sweep.
   */
  async sweepStep(ring: Ring, batch: number): Promise<boolean> {
    const page = this.store.entriesAfter(this.cursor, batch);
    const finished = page.length < batch;
    this.cursor = finished ? "" : page[page.length - 1]!.key;
    const offers = new Map<string, KeyVersion[]>();
    const plan = new Plan();
    const now = this.wallNow();
    for (const { key, entry } of page) {
      if (this.store.purge(key, entry, now, this.tombstoneTtlMs)) {
        this.metrics.purged.inc({ kind: entry.kind === "tombstone" ? "tombstone" : "expired" });
        continue;
      }
      const owners = ring.preferenceList(key);
      if (!owners.includes(this.self)) {
        plan.relinquish(key, entry, owners);
        continue;
      }
      for (const node of owners) {
        if (node === this.self) continue;
        let items = offers.get(node);
        if (items === undefined) offers.set(node, (items = []));
        items.push({ key, version: entry.version });
      }
    }
    const scanned = new Map(page.map(({ key, entry }) => [key, entry]));
    await Promise.all(
      [...offers].map(async ([node, items]) => {
        let reply: AntiEntropyReply;
        try {
          reply = await this.peers.antiEntropy(node, items);
        } catch {
          return; // Unreachable now; the next sweep tries again.
        }
        this.store.applyAll(reply.newer);
        this.metrics.compared.inc({}, items.length);
        this.metrics.differences.inc({}, reply.newer.length + reply.behind.length);
        this.countReceived(reply.newer);
        for (const key of reply.behind) {
          const entry = scanned.get(key);
          if (entry !== undefined) plan.send(node, key, entry);
        }
      }),
    );
    await this.execute(plan);
    return finished;
  }

  /**
   * Hands every key to the ring without this node (a graceful leave), a batch
   * at a time in key order. Returns how many keys left, and the nodes that did
   * not take what they were sent.
   */
  async drain(without: Ring): Promise<Executed> {
    let dropped = 0;
    const failed = new Set<string>();
    for (let cursor = "", more = true; more;) {
      const page = this.store.entriesAfter(cursor, DRAIN_BATCH);
      more = page.length === DRAIN_BATCH;
      if (page.length > 0) cursor = page[page.length - 1]!.key;
      const plan = new Plan();
      for (const { key, entry } of page) plan.relinquish(key, entry, without.preferenceList(key));
      const step = await this.execute(plan);
      dropped += step.dropped;
      for (const node of step.failed) failed.add(node);
    }
    return { dropped, failed: [...failed] };
  }

  /**
   * Answers a peer's `antiEntropy`: what it should take from us, and what it should
   * send us. The entries are capped at one chunk's bytes so the reply stays far
   * under the RPC size limit whatever the values' sizes; the ones left out are
   * still newer here at the peer's next pass, and the cap moves on to them then.
   */
  answerAntiEntropy(items: readonly KeyVersion[]): AntiEntropyReply {
    const newer: KeyedEntry[] = [];
    const behind: string[] = [];
    let bytes = 0;
    for (const { key, version } of items) {
      const held = this.store.peek(key);
      const order = held === undefined ? -1 : compareVersions(held.version, version);
      if (order < 0) behind.push(key);
      else if (order > 0 && bytes < CHUNK_BYTES) {
        newer.push({ key, entry: held! });
        bytes += entryBytes(key, held!);
      }
    }
    return { newer, behind };
  }

  /**
   * Ships the plan; drops each relinquished key once every new owner confirmed
   * the version this node holds now. A write can land here while the shipment is
   * in flight (a router with an older view); its newer entry was not shipped, so
   * the key stays until a later sweep ships that too.
   */
  private async execute(plan: Plan): Promise<Executed> {
    const confirmed = new Map<string, Map<string, Entry>>();
    const failed: string[] = [];
    await Promise.all(
      [...plan.sends].map(async ([node, items]) => {
        const got = new Map<string, Entry>();
        confirmed.set(node, got);
        for (const chunk of chunks(items)) {
          try {
            await this.peers.applyEntries(node, chunk);
            for (const { key, entry } of chunk) got.set(key, entry);
            this.metrics.sweepSentRows.inc({}, chunk.length);
            this.metrics.sweepSentBytes.inc({}, bytesOf(chunk));
          } catch {
            failed.push(node);
            return; // The rest waits for the next sweep.
          }
        }
      }),
    );
    let dropped = 0;
    for (const [key, owners] of plan.relinquished) {
      const held = this.store.peek(key);
      if (held !== undefined && owners.length > 0 && owners.every((node) => sameVersion(confirmed.get(node)?.get(key), held))) {
        this.store.remove(key);
        dropped++;
      }
    }
    this.metrics.handedOff.inc({}, dropped);
    return { dropped, failed };
  }

  /** Entries another node's sweep sent here, or that a peer's anti-entropy answer said were newer there. */
  countReceived(entries: readonly KeyedEntry[]): void {
    this.metrics.sweepReceivedRows.inc({}, entries.length);
    this.metrics.sweepReceivedBytes.inc({}, bytesOf(entries));
  }
}

function bytesOf(entries: readonly KeyedEntry[]): number {
  let bytes = 0;
  for (const { key, entry } of entries) bytes += entryBytes(key, entry);
  return bytes;
}

/** Equal versions are the same write (see `supersedes`). */
function sameVersion(shipped: Entry | undefined, held: Entry): boolean {
  return shipped !== undefined && compareVersions(shipped.version, held.version) === 0;
}

/** A node's share of a plan in stabilization calls, bounded in count and bytes. */
function* chunks(items: Map<string, Entry>): Generator<KeyedEntry[]> {
  let chunk: KeyedEntry[] = [];
  let bytes = 0;
  for (const [key, entry] of items) {
    chunk.push({ key, entry });
    bytes += entryBytes(key, entry);
    if (chunk.length >= CHUNK_ENTRIES || bytes >= CHUNK_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Which entries go to which node, and which keys this node gives up. */
class Plan {
  readonly sends = new Map<string, Map<string, Entry>>();
  readonly relinquished = new Map<string, readonly string[]>();

  send(node: string, key: string, entry: Entry): void {
    let items = this.sends.get(node);
    if (items === undefined) this.sends.set(node, (items = new Map()));
    items.set(key, entry);
  }

  relinquish(key: string, entry: Entry, owners: readonly string[]): void {
    this.relinquished.set(key, owners);
    for (const node of owners) this.send(node, key, entry);
  }
}
