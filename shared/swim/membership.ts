import type { Awareness } from "./awareness";
import { BroadcastQueue } from "./broadcast";
import type { SwimConfig } from "./config";
import { MemberTable } from "./member-table";
import { invariant } from "./invariant";
import { isLive, refutation, overrides } from "./rules";
import { expectedConfirmations, Suspicion, suspicionTimeouts } from "./suspicion";
import type { MemberState, MembershipEvent, SwimSnapshot, Update } from "./types";

/**
 * What this member believes about the cluster, and the only code that changes
 * it: every update, whether heard in gossip, in a full-state sync or concluded
 * by our own probes, goes through `apply`, which enforces the precedence rules,
 * runs the suspicion timers, queues the change for gossip and records the event.
 */
export class Membership {
  readonly table: MemberTable;
  readonly broadcasts: BroadcastQueue;
  private readonly suspicions = new Map<string, Suspicion>();
  /** Earliest suspicion deadline; recomputed only after the set of suspicions changed. */
  private earliestDeadline: number | undefined;
  private deadlinesChanged = false;
  private events: MembershipEvent[] = [];
  private selfIncarnation = 0;
  /**
   * Verdicts of our own death we heard (and refuted, or had outlived by
   * restarting): the others wrote to hints for us meanwhile.
   */
  deathsRefuted = 0;
  /** The incarnation restored from a snapshot, until a verdict about that life is heard. */
  private restoredAt: number | undefined;
  private hasLeft = false;

  constructor(
    readonly self: string,
    private readonly config: SwimConfig,
    private readonly awareness: Awareness,
    random: () => number,
  ) {
    this.table = new MemberTable(self, random);
    this.broadcasts = new BroadcastQueue(config.broadcastQueueMax);
  }

  get incarnation(): number {
    return this.selfIncarnation;
  }

  get left(): boolean {
    return this.hasLeft;
  }

  /** n: live members, ourselves included. */
  get size(): number {
    return this.table.liveCount + 1;
  }

  /** A static membership from configuration: alive at incarnation 0, unless we already know better. */
  seed(names: readonly string[], now: number): void {
    this.table.seed(names, now);
  }

  /**
   * @param source how we heard it:
   *   - "gossip": one member's news, passed on; a suspicion from a new accuser
   *     confirms ours (Lifeguard).
   *   - "sync": another member's whole view. Its suspects are what that member
   *     heard, not what it saw: they neither confirm ours nor are passed on,
   *     or third parties would count the syncing member as another accuser.
   *   - "introduction": our introducer's view when we join, which everyone else
   *     already shares: applied without gossiping it (that would flood the
   *     piggyback buffer with the whole cluster).
   *   - "doubtful-verdict": a death we concluded ourselves in poor local health
   *     (`refutableVerdicts`): held in our view, gossiped only as the suspicion
   *     it was, so the accused can still refute it.
   */
  apply(update: Update, now: number, source: UpdateSource = "gossip"): void {
    if (update.member === this.self) return this.hearAboutSelf(update);
    const current = this.table.get(update.member);
    if (!overrides(update, current)) {
      const confirms = update.state === "suspect" && current?.state === "suspect" && current.incarnation === update.incarnation;
      if (confirms && source === "gossip") this.confirm(update);
      return;
    }
    this.table.set(update.member, update, now);
    if (this.suspicions.delete(update.member)) this.deadlinesChanged = true;
    if (update.state === "suspect") this.startSuspicion(update, now);
    if (source === "doubtful-verdict") this.broadcasts.enqueue(asSuspicion(update, this.self));
    else if (source === "gossip" || (source === "sync" && update.state !== "suspect")) this.broadcasts.enqueue(update);
    const type = eventType(current?.state, update.state);
    if (type !== undefined) this.events.push({ type, member: update.member, incarnation: update.incarnation, at: now });
  }

  /** Our own probe of a live member failed. */
  suspect(member: string, now: number): void {
    const record = this.table.get(member);
    if (record === undefined || !isLive(record.state)) return;
    this.apply({ state: "suspect", member, incarnation: record.incarnation, from: this.self }, now);
  }

  expireSuspicions(now: number): void {
    const earliest = this.nextSuspicionDeadline();
    if (earliest === undefined || earliest > now) return;
    const source: UpdateSource = this.mayAnnounceDeaths() ? "gossip" : "doubtful-verdict";
    for (const [member, suspicion] of this.suspicions) {
      const record = this.table.get(member);
      if (suspicion.deadline > now || record === undefined) continue;
      this.apply({ state: "dead", member, incarnation: record.incarnation, from: this.self }, now, source);
    }
  }

  /**
   * Whether a death we conclude now may be gossiped as a death. Our local
   * health is the evidence: every probe we failed without the relays' nacks
   * raised the score, and only a probe that succeeded brings it down, so a
   * member that could reach almost nobody while its suspicions ran out has a
   * high score, while one that saw its relays answer has 0.
   */
  private mayAnnounceDeaths(): boolean {
    return !this.config.refutableVerdicts || this.awareness.score === 0;
  }

  nextSuspicionDeadline(): number | undefined {
    if (this.deadlinesChanged) {
      this.earliestDeadline = undefined;
      for (const suspicion of this.suspicions.values()) {
        if (this.earliestDeadline === undefined || suspicion.deadline < this.earliestDeadline) {
          this.earliestDeadline = suspicion.deadline;
        }
      }
      this.deadlinesChanged = false;
    }
    return this.earliestDeadline;
  }

  /**
   * What we hold against `member`, to tell it whenever we talk to it: a member
   * we think dead or left (a restart that lost its state, the far side of a
   * healed partition) would otherwise never hear it and never refute. Telling a
   * suspect is Lifeguard's buddy system: it refutes at once instead of waiting
   * for gossip to reach it.
   */
  accusationAbout(member: string): Update | undefined {
    const record = this.table.get(member);
    if (record === undefined || record.state === "alive") return undefined;
    if (record.state === "suspect" && !this.config.lifeguard) return undefined;
    return this.asUpdate(member, record.state, record.incarnation);
  }

  /** Our whole view, ourselves included, as a push-pull payload. */
  fullState(): Update[] {
    const state: Update[] = [
      this.hasLeft
        ? { state: "left", member: this.self, incarnation: this.selfIncarnation }
        : { state: "alive", member: this.self, incarnation: this.selfIncarnation },
    ];
    this.table.forEach((name, memberState, incarnation) => state.push(this.asUpdate(name, memberState, incarnation)));
    return state;
  }

  /** Stops answering for ourselves; returns the incarnation to announce as left. */
  leave(): number {
    this.hasLeft = true;
    this.suspicions.clear();
    this.deadlinesChanged = true;
    return this.selfIncarnation;
  }

  /** Back after a leave: a new incarnation, so our alive overrides our own left. */
  rejoin(): void {
    if (!this.hasLeft) return;
    this.hasLeft = false;
    this.announceSelf(this.selfIncarnation + 1);
  }

  drainEvents(): readonly MembershipEvent[] {
    if (this.events.length === 0) return NO_EVENTS;
    const events = this.events;
    this.events = [];
    return events;
  }

  /**
   * Restarts from a snapshot one incarnation up: whatever was said about us
   * while we were down (suspect, dead) is then overridden by our first alive,
   * even if the last incarnation we announced was never persisted.
   * Suspicions are not restored: their confirmations were not persisted, and a
   * member that is still unreachable will be suspected again by our probes.
   */
  restore(snapshot: SwimSnapshot): void {
    if (snapshot.self !== this.self) throw new Error(`snapshot of ${snapshot.self} restored into ${this.self}`);
    this.hasLeft = snapshot.left;
    this.selfIncarnation = snapshot.incarnation;
    this.restoredAt = snapshot.incarnation;
    if (!snapshot.left) this.announceSelf(snapshot.incarnation + 1);
    // Tombstones oldest first, so that they are reaped in order.
    const bySince = [...snapshot.members].sort((a, b) => (a.since ?? 0) - (b.since ?? 0));
    for (const member of bySince) {
      if (member.name === this.self) continue;
      const state = member.state === "suspect" ? "alive" : member.state;
      this.table.set(member.name, { state, incarnation: member.incarnation }, member.since ?? 0);
    }
  }

  private hearAboutSelf(update: Update): void {
    if (this.hasLeft) return;
    // A verdict on the life before our restart: restoring already announced us above it, so
    // there is nothing to refute, but we were dead to the others while down.
    if (update.state === "dead" && this.restoredAt !== undefined && update.incarnation >= this.restoredAt) this.heardOwnDeath();
    const next = refutation(this.selfIncarnation, update);
    if (next === undefined) return;
    if (update.state === "dead") this.heardOwnDeath();
    this.announceSelf(next);
    // Lifeguard: being accused suggests we are the slow one.
    if (update.state !== "alive") this.awareness.apply(1);
  }

  /** Counts a verdict of our own death, once per life: the host catches up on what it missed. */
  private heardOwnDeath(): void {
    this.deathsRefuted++;
    this.restoredAt = undefined;
  }

  private announceSelf(incarnation: number): void {
    this.selfIncarnation = incarnation;
    this.broadcasts.enqueue({ state: "alive", member: this.self, incarnation });
  }

  private startSuspicion(update: Update & { state: "suspect" }, now: number): void {
    const n = this.size;
    const { min, max } = suspicionTimeouts(this.config, n);
    const k = expectedConfirmations(this.config, n);
    // In poor health we wait longer before concluding, as we do before suspecting.
    const stretch = (ms: number) => (this.config.refutableVerdicts ? this.awareness.scale(ms) : ms);
    this.suspicions.set(update.member, new Suspicion(update.from, now, stretch(min), stretch(max), k));
    this.deadlinesChanged = true;
  }

  /** Another member suspects the same member at the same incarnation. */
  private confirm(update: Update & { state: "suspect" }): void {
    const suspicion = this.suspicions.get(update.member);
    if (suspicion === undefined || !suspicion.confirm(update.from)) return;
    this.deadlinesChanged = true;
    // Passed on so the other suspecters can count this accuser too.
    this.broadcasts.enqueue(update);
  }

  private asUpdate(member: string, state: MemberState, incarnation: number): Update {
    switch (state) {
      case "alive":
      case "left":
        return { state, member, incarnation };
      case "suspect":
        return { state, member, incarnation, from: this.suspicions.get(member)?.accuser ?? this.self };
      case "dead":
        return { state, member, incarnation, from: this.self };
    }
  }
}

export type UpdateSource = "gossip" | "sync" | "introduction" | "doubtful-verdict";

/** Our own death verdict, told as the suspicion it came from. */
function asSuspicion(verdict: Update, self: string): Update & { state: "suspect" } {
  invariant(verdict.state === "dead" && verdict.from === self, "only our own death verdicts are doubted");
  return { state: "suspect", member: verdict.member, incarnation: verdict.incarnation, from: verdict.from };
}

const NO_EVENTS: readonly MembershipEvent[] = Object.freeze([]);

function eventType(previous: MemberState | undefined, next: MemberState): MembershipEvent["type"] | undefined {
  if (next === "alive") {
    if (previous === "alive") return undefined;
    return previous === "suspect" ? "refuted" : "joined";
  }
  return previous === next ? undefined : next;
}
