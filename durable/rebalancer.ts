import type { Entry } from "../shared/entry";
import type { Ring } from "../shared/ring";
import { compareVersions } from "../shared/version";
import type { AntiEntropyReply, KeyedEntry, KeyVersion, ApplyEntriesReply } from "../shared/wire";
import type { ReplicaStore } from "./replica-store";

/** Replica traffic between nodes; both calls carry the sender's name for the fault switch. */
export interface PeerClient {
  antiEntropy(peer: string, items: readonly KeyVersion[]): Promise<AntiEntropyReply>;
  applyEntries(peer: string, entries: readonly KeyedEntry[]): Promise<ApplyEntriesReply>;
}

/** Entries per applyEntries call: bounded in count and bytes, far under the 32 MiB RPC limit. */
const CHUNK_ENTRIES = 256;
const CHUNK_BYTES = 4 * 1024 * 1024;

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
 *
 * Every transfer is an idempotent merge on the receiver, so a retry, a
 * duplicate or a race with a client's write is harmless.
 */
export class Rebalancer {
  private cursor = "";

  constructor(
    private readonly self: string,
    private readonly store: ReplicaStore,
    private readonly peers: PeerClient,
    private readonly tombstoneTtlMs: number,
    private readonly wallNow: () => number,
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
    const keys = this.store.keysAfter(this.cursor, batch);
    const finished = keys.length < batch;
    this.cursor = finished ? "" : keys[keys.length - 1]!;
    const offers = new Map<string, KeyVersion[]>();
    const plan = new Plan();
    const expiry = this.wallNow() - this.tombstoneTtlMs;
    for (const key of keys) {
      const entry = this.store.get(key);
      if (entry === undefined) continue;
      if (entry.kind === "tombstone" && entry.version.wall < expiry) {
        this.store.remove(key);
        continue;
      }
      const owners = ring.preferenceList(key);
      if (!owners.includes(this.self)) {
        plan.relinquish(key, owners);
        continue;
      }
      for (const node of owners) {
        if (node === this.self) continue;
        let items = offers.get(node);
        if (items === undefined) offers.set(node, (items = []));
        items.push({ key, version: entry.version });
      }
    }
    await Promise.all(
      [...offers].map(async ([node, items]) => {
        let reply: AntiEntropyReply;
        try {
          reply = await this.peers.antiEntropy(node, items);
        } catch {
          return; // Unreachable now; the next sweep tries again.
        }
        this.store.applyAll(reply.newer);
        for (const key of reply.behind) plan.send(node, key);
      }),
    );
    await this.execute(plan);
    return finished;
  }

  /** Hands every key to the ring without this node (a graceful leave). Returns how many keys left. */
  async drain(without: Ring): Promise<number> {
    const plan = new Plan();
    for (const { key } of this.store.all()) plan.relinquish(key, without.preferenceList(key));
    return this.execute(plan);
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
      const held = this.store.get(key);
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
   * the entry this node holds now. A write can land here while the shipment is
   * in flight (a router with an older view); its newer entry was not shipped, so
   * the key stays until a later sweep ships that too.
   */
  private async execute(plan: Plan): Promise<number> {
    const confirmed = new Map<string, Map<string, Entry>>();
    await Promise.all(
      [...plan.sends].map(async ([node, keys]) => {
        const got = new Map<string, Entry>();
        confirmed.set(node, got);
        for (const chunk of this.chunks(keys)) {
          try {
            await this.peers.applyEntries(node, chunk);
            for (const { key, entry } of chunk) got.set(key, entry);
          } catch {
            return; // The rest waits for the next sweep.
          }
        }
      }),
    );
    let dropped = 0;
    for (const [key, owners] of plan.relinquished) {
      const held = this.store.get(key);
      if (held !== undefined && owners.length > 0 && owners.every((node) => confirmed.get(node)?.get(key) === held)) {
        this.store.remove(key);
        dropped++;
      }
    }
    return dropped;
  }

  private *chunks(keys: Iterable<string>): Generator<KeyedEntry[]> {
    let chunk: KeyedEntry[] = [];
    let bytes = 0;
    for (const key of keys) {
      const entry = this.store.get(key);
      if (entry === undefined) continue;
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
}

/** About what an entry weighs on the wire (UTF-16 length: within 3x of the bytes, and cheap). */
function entryBytes(key: string, entry: Entry): number {
  return key.length + (entry.kind === "value" ? entry.value.length : 0) + 64;
}

/** Which keys go to which node, and which keys this node gives up. */
class Plan {
  readonly sends = new Map<string, Set<string>>();
  readonly relinquished = new Map<string, readonly string[]>();

  send(node: string, key: string): void {
    let keys = this.sends.get(node);
    if (keys === undefined) this.sends.set(node, (keys = new Set()));
    keys.add(key);
  }

  relinquish(key: string, owners: readonly string[]): void {
    this.relinquished.set(key, owners);
    for (const node of owners) this.send(node, key);
  }
}
