import type { Update } from "./types";

interface Pending {
  readonly update: Update;
  transmits: number;
  /** False once replaced by newer news about the same member, or dropped. */
  queued: boolean;
}

/** Pending updates that have been sent the same number of times, oldest first. */
class Tier {
  private items: Pending[] = [];
  private head = 0;

  push(entry: Pending): void {
    this.items.push(entry);
  }

  newest(): Pending | undefined {
    const entry = this.items.length > this.head ? this.items.pop() : undefined;
    if (this.items.length <= this.head) this.clear();
    return entry;
  }

  oldest(): Pending | undefined {
    const entry = this.items[this.head];
    if (entry === undefined) return undefined;
    this.head++;
    if (this.items.length <= this.head) this.clear();
    else if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  keepQueued(): void {
    this.items = this.items.slice(this.head).filter((e) => e.queued);
    this.head = 0;
  }

  private clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/**
 * The piggyback buffer (memberlist's TransmitLimitedQueue).
 *
 * Holds at most one update per member (newer news replaces older), hands out
 * the least-transmitted first and, among equals, the newest first: fresh news
 * needs the most spreading, and old news has mostly arrived already. Each update
 * is retired after `limit` transmissions, which is O(log n) so that
 * infection-style spreading reaches everyone with high probability.
 *
 * Tiers indexed by transmit count make taking an update O(1); replaced entries
 * are skipped lazily and swept when they outnumber the live ones.
 */
export class BroadcastQueue {
  private readonly byMember = new Map<string, Pending>();
  private readonly tiers: Tier[] = [];
  private stale = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.byMember.size;
  }

  enqueue(update: Update): void {
    const previous = this.byMember.get(update.member);
    if (previous !== undefined) {
      previous.queued = false;
      this.stale++;
    }
    const entry: Pending = { update, transmits: 0, queued: true };
    this.byMember.set(update.member, entry);
    this.tier(0).push(entry);
    if (this.byMember.size > this.capacity) this.dropMostSent();
    if (this.stale > this.byMember.size + 64) this.sweep();
  }

  /** Updates for one message: each one taken counts as a transmission. */
  take(max: number, limit: number): Update[] {
    const out: Update[] = [];
    const sent: Pending[] = [];
    for (let t = 0; t < this.tiers.length && out.length < max; t++) {
      const tier = this.tiers[t]!;
      while (out.length < max) {
        const entry = tier.newest();
        if (entry === undefined) break;
        if (!entry.queued) {
          this.stale--;
          continue;
        }
        // The limit shrinks when members die, so an entry may already be over it.
        if (entry.transmits < limit) {
          out.push(entry.update);
          entry.transmits++;
        }
        if (entry.transmits >= limit) this.retire(entry);
        else sent.push(entry);
      }
    }
    // Re-filed after the loop so that no update is taken twice for one message.
    for (const entry of sent) this.tier(entry.transmits).push(entry);
    return out;
  }

  private tier(transmits: number): Tier {
    while (this.tiers.length <= transmits) this.tiers.push(new Tier());
    return this.tiers[transmits]!;
  }

  private retire(entry: Pending): void {
    entry.queued = false;
    if (this.byMember.get(entry.update.member) === entry) this.byMember.delete(entry.update.member);
  }

  /** Over capacity: the update sent most often (and among those the oldest) has done the most good already. */
  private dropMostSent(): void {
    for (let t = this.tiers.length - 1; t >= 0; t--) {
      const tier = this.tiers[t]!;
      for (let entry = tier.oldest(); entry !== undefined; entry = tier.oldest()) {
        if (entry.queued) return this.retire(entry);
        this.stale--;
      }
    }
  }

  private sweep(): void {
    for (const tier of this.tiers) tier.keepQueued();
    this.stale = 0;
  }
}
