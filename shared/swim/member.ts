import { Awareness } from "./awareness";
import { pushPullInterval, retransmitLimit, validateConfig, type SwimConfig } from "./config";
import { Membership } from "./membership";
import type { Envelope, MemberStatus, MembershipEvent, SnapshotMember, SwimMessage, SwimSnapshot, Update } from "./types";

/**
 * Our probe of one member in the current protocol period. Direct first; at the
 * ping timeout, k other members are asked to try (indirect); at the deadline,
 * the end of the (possibly stretched) period, a silent target becomes suspect.
 */
type Probe =
  | {
      readonly phase: "direct";
      readonly target: string;
      readonly seq: number;
      readonly indirectAt: number;
      readonly deadline: number;
    }
  | {
      readonly phase: "indirect";
      readonly target: string;
      readonly seq: number;
      readonly deadline: number;
      readonly relays: readonly string[];
      /** Relays that nacked: they are fine, the target is not answering them either. */
      readonly nacked: string[];
    };

/** A ping we send on behalf of another member's ping-req. */
interface Relay {
  readonly origin: string;
  readonly originSeq: number;
  readonly target: string;
  readonly expiresAt: number;
  readonly nack: boolean;
}

/**
 * A relay nacks after this fraction of the time its asker has left in the
 * period, so the nack lands before the asker's deadline. (memberlist's relay
 * waits a full probe timeout, which with its defaults ends at the asker's
 * deadline plus a network hop: nacks arrive too late to be counted.)
 */
const NACK_FRACTION = 0.8;

/**
 * One member of a SWIM + Lifeguard cluster, as a sans-IO state machine.
 *
 * The host owns time, transport and persistence: it passes `now` (ms) into
 * every call, delivers each returned envelope to `to` (or loses it), calls
 * `tick` once per protocol period and `advance` at `nextDeadline()`, drains
 * events, and persists `snapshot()` when it likes (at least when `incarnation`
 * changes). Nothing here assumes delivery, order, or how fast the host is.
 */
export class SwimMember {
  private readonly awareness: Awareness;
  private readonly membership: Membership;
  private readonly random: () => number;
  private seq = 0;
  private probe: Probe | undefined;
  /** When the current, awareness-stretched, protocol period ends; no new probe before. */
  private periodEndsAt = -Infinity;
  private readonly relays = new Map<number, Relay>();
  private introducers: readonly string[] = [];
  private joinRetryAt: number | undefined;
  private nextSyncAt: number | undefined;

  constructor(
    readonly self: string,
    private readonly config: SwimConfig,
    deps: { readonly random: () => number },
    restored?: SwimSnapshot,
  ) {
    validateConfig(config);
    this.random = deps.random;
    this.awareness = new Awareness(config.lifeguard ? config.awarenessMax : 1);
    this.membership = new Membership(self, config, this.awareness, deps.random);
    if (restored !== undefined) {
      this.membership.restore(restored);
      this.introducers = restored.introducers;
    }
  }

  /** Our current incarnation; a host persists at least this whenever it changes. */
  get incarnation(): number {
    return this.membership.incarnation;
  }

  /** Lifeguard's local health score (0 = healthy). */
  get health(): number {
    return this.awareness.score;
  }

  /**
   * Bootstrap from a static list (all configured nodes know each other from the
   * start): unknown names become alive at incarnation 0. No gossip and no events:
   * the host knows what it seeded. Pass the same frozen array to every member
   * that shares a process (as the simulator does) and they share its index.
   */
  seed(names: readonly string[], now: number): void {
    this.membership.seed(names, now);
  }

  /**
   * Pushes our state to the introducers and asks for theirs; resent every
   * joinRetryMs until one answers. With no introducers we are a cluster of one.
   * Also how a member that left comes back (at a new incarnation).
   */
  join(now: number, introducers: readonly string[]): Envelope[] {
    this.membership.rejoin();
    this.introducers = introducers.filter((name) => name !== this.self);
    if (this.introducers.length === 0) {
      this.joinRetryAt = undefined;
      return [];
    }
    this.joinRetryAt = now + this.config.joinRetryMs;
    return this.syncRequests(this.introducers);
  }

  /** Starts a protocol period: fires due timers, does periodic upkeep, probes the next member. */
  tick(now: number): Envelope[] {
    const out = this.advance(now);
    if (this.membership.left) return out;
    this.membership.table.reap(now, this.config.deadRetentionMs);
    this.pushPull(now, out);
    if (now < this.periodEndsAt) return out;
    const target = this.membership.table.nextProbeTarget();
    if (target === undefined) return out;
    const seq = this.nextSeq();
    const deadline = now + this.awareness.scale(this.config.protocolPeriodMs);
    this.periodEndsAt = deadline;
    this.probe = {
      phase: "direct",
      target,
      seq,
      indirectAt: now + this.awareness.scale(this.config.pingTimeoutMs),
      deadline,
    };
    out.push(this.envelope(target, { type: "ping", seq, ...this.gossipFor(target) }));
    return out;
  }

  receive(now: number, env: Envelope): Envelope[] {
    if (env.to !== this.self || this.membership.left) return [];
    const { from, msg } = env;
    switch (msg.type) {
      case "ping":
        this.merge(from, msg, now);
        return [this.envelope(from, { type: "ack", seq: msg.seq, ...this.gossipFor(from) })];
      case "ping-req":
        this.merge(from, msg, now);
        return this.relay(now, from, msg);
      case "ack":
        this.merge(from, msg, now);
        return this.onAck(from, msg.seq);
      case "nack":
        this.merge(from, msg, now);
        this.onNack(from, msg.seq);
        return [];
      case "sync":
        return this.onSync(now, from, msg.reply, msg.members);
      case "leave":
        this.membership.apply({ state: "left", member: from, incarnation: msg.incarnation }, now);
        return [];
    }
  }

  /** Fires every timer that is due at `now`. */
  advance(now: number): Envelope[] {
    const out: Envelope[] = [];
    if (this.membership.left) return out;
    this.advanceProbe(now, out);
    for (const [seq, relay] of this.relays) {
      if (relay.expiresAt > now) continue;
      this.relays.delete(seq);
      if (relay.nack) out.push(this.envelope(relay.origin, { type: "nack", seq: relay.originSeq, ...this.gossipFor(relay.origin) }));
    }
    this.membership.expireSuspicions(now);
    if (this.joinRetryAt !== undefined && this.joinRetryAt <= now) {
      this.joinRetryAt = now + this.config.joinRetryMs;
      out.push(...this.syncRequests(this.introducers));
    }
    return out;
  }

  /** The earliest time `advance` must be called, if any timer is running. Periods are the host's. */
  nextDeadline(): number | undefined {
    if (this.membership.left) return undefined;
    let next = this.membership.nextSuspicionDeadline();
    const consider = (at: number | undefined) => {
      if (at !== undefined && (next === undefined || at < next)) next = at;
    };
    if (this.probe !== undefined) {
      consider(this.probe.deadline);
      if (this.probe.phase === "direct") consider(this.probe.indirectAt);
    }
    for (const relay of this.relays.values()) consider(relay.expiresAt);
    consider(this.joinRetryAt);
    return next;
  }

  /**
   * Graceful leave: tells a few members, who gossip it on, and goes quiet. If
   * every one of those messages is lost the cluster declares us dead instead.
   */
  leave(_now: number): Envelope[] {
    if (this.membership.left) return [];
    const incarnation = this.membership.leave();
    this.probe = undefined;
    this.relays.clear();
    this.joinRetryAt = undefined;
    const peers = this.membership.table.sample(this.config.leaveFanout, () => false);
    return peers.map((peer) => this.envelope(peer, { type: "leave", incarnation }));
  }

  /** Every member we know of; dead and left ones with `since`, the host's time when we learned it. O(n). */
  members(): MemberStatus[] {
    return [this.selfView(), ...this.others()];
  }

  /** How many times we answered a verdict that we were dead (a refutation of our own death). */
  get deathsRefuted(): number {
    return this.membership.deathsRefuted;
  }

  /** One member's state in our view. O(1). */
  member(name: string): MemberStatus | undefined {
    if (name === this.self) return this.selfView();
    const record = this.membership.table.get(name);
    return record && { name, state: record.state, incarnation: record.incarnation };
  }

  private others(): SnapshotMember[] {
    const since = new Map(this.membership.table.currentGraves().map((grave) => [grave.name, grave.since]));
    const members: SnapshotMember[] = [];
    this.membership.table.forEach((name, state, incarnation) => {
      const died = since.get(name);
      members.push(died === undefined ? { name, state, incarnation } : { name, state, incarnation, since: died });
    });
    return members;
  }

  /** Changes since the last drain, oldest first. */
  drainEvents(): readonly MembershipEvent[] {
    return this.membership.drainEvents();
  }

  /** JSON-serialisable; O(n). Restoring it resumes one incarnation up (see Membership.restore). */
  snapshot(): SwimSnapshot {
    const members = this.others();
    return {
      version: 1,
      self: this.self,
      incarnation: this.membership.incarnation,
      left: this.membership.left,
      introducers: [...this.introducers],
      members,
    };
  }

  private advanceProbe(now: number, out: Envelope[]): void {
    const probe = this.probe;
    if (probe === undefined) return;
    if (probe.deadline <= now) {
      this.probe = undefined;
      this.probeFailed(probe, now);
      return;
    }
    if (probe.phase !== "direct" || probe.indirectAt > now) return;
    const relays = this.membership.table.sample(this.config.indirectChecks, (name) => name === probe.target);
    this.probe = { phase: "indirect", target: probe.target, seq: probe.seq, deadline: probe.deadline, relays, nacked: [] };
    const nackAfterMs = Math.floor((probe.deadline - now) * NACK_FRACTION);
    for (const relay of relays) {
      const gossip = this.gossipFor(relay);
      const msg: SwimMessage = this.config.lifeguard
        ? { type: "ping-req", seq: probe.seq, target: probe.target, nackAfterMs, ...gossip }
        : { type: "ping-req", seq: probe.seq, target: probe.target, ...gossip };
      out.push(this.envelope(relay, msg));
    }
  }

  private probeFailed(probe: Probe, now: number): void {
    // Lifeguard: relays that nacked show the network and we are fine and the
    // target is the problem; every missing nack (or, with no relays, the failure
    // itself) counts against our own health.
    const expectedNacks = probe.phase === "indirect" && this.config.lifeguard ? probe.relays.length : 0;
    const nacks = probe.phase === "indirect" ? probe.nacked.length : 0;
    this.awareness.apply(expectedNacks > 0 ? expectedNacks - nacks : 1);
    this.membership.suspect(probe.target, now);
  }

  private onAck(from: string, seq: number): Envelope[] {
    const probe = this.probe;
    if (
      probe !== undefined &&
      probe.seq === seq &&
      (from === probe.target || (probe.phase === "indirect" && probe.relays.includes(from)))
    ) {
      this.probe = undefined;
      this.awareness.apply(-1);
      return [];
    }
    const relay = this.relays.get(seq);
    if (relay === undefined || from !== relay.target) return [];
    this.relays.delete(seq);
    return [this.envelope(relay.origin, { type: "ack", seq: relay.originSeq, ...this.gossipFor(relay.origin) })];
  }

  private onNack(from: string, seq: number): void {
    const probe = this.probe;
    if (probe?.phase !== "indirect" || probe.seq !== seq) return;
    if (probe.relays.includes(from) && !probe.nacked.includes(from)) probe.nacked.push(from);
  }

  private relay(now: number, origin: string, msg: SwimMessage & { type: "ping-req" }): Envelope[] {
    // A leave goes to a few members only, so the asker may have missed its gossip:
    // a relay holding the target left says so at once (a nack whose first update is
    // that left), and still pings it, in case it is the relay whose news is stale
    // (the target rejoined one incarnation up, which the asker then holds, and which
    // beats the left).
    const target = this.membership.table.get(msg.target);
    const told = target?.state === "left" ? [this.leftNack(origin, msg.seq, msg.target, target.incarnation)] : [];
    const seq = this.nextSeq();
    this.relays.set(seq, {
      origin,
      originSeq: msg.seq,
      target: msg.target,
      expiresAt: now + (msg.nackAfterMs ?? this.config.pingTimeoutMs),
      nack: msg.nackAfterMs !== undefined && told.length === 0,
    });
    return [...told, this.envelope(msg.target, { type: "ping", seq, ...this.gossipFor(msg.target) })];
  }

  private leftNack(origin: string, seq: number, member: string, incarnation: number): Envelope {
    const gossip = this.gossipFor(origin);
    const left: Update = { state: "left", member, incarnation };
    return this.envelope(origin, {
      type: "nack",
      seq,
      incarnation: gossip.incarnation,
      updates: [left, ...gossip.updates.filter((u) => u.member !== member)],
    });
  }

  private onSync(now: number, from: string, reply: boolean, members: readonly Update[]): Envelope[] {
    const joined = reply && this.joinRetryAt !== undefined;
    const accused: string[] = [];
    for (const update of members) {
      if (joined) {
        this.membership.apply(update, now, "introduction");
        continue;
      }
      const wasSuspect = this.membership.table.get(update.member)?.state === "suspect";
      if (update.state === "dead" && update.member !== this.self) {
        // memberlist's rule: another member's verdict becomes our suspicion, giving
        // the accused (say, across a healed partition) the chance to refute.
        this.membership.apply({ state: "suspect", member: update.member, incarnation: update.incarnation, from }, now, "sync");
      } else {
        this.membership.apply(update, now, "sync");
      }
      const nowSuspect = this.membership.table.get(update.member)?.state === "suspect";
      if (nowSuspect && !wasSuspect && update.member !== from) accused.push(update.member);
    }
    const out = this.config.refutableVerdicts ? accused.map((member) => this.notice(member)) : [];
    if (reply) {
      this.joinRetryAt = undefined;
      return out;
    }
    out.push(this.envelope(from, { type: "sync", reply: true, members: this.membership.fullState() }));
    return out;
  }

  /**
   * A ping outside any probe, sent to a member we have just started to suspect
   * on a sync's word. A suspicion learned from a sync is not gossiped (see
   * Membership.apply), so without this the accused might not hear of it before
   * it expires and never get to refute it; the ping carries the accusation
   * first, and the ack, which matches no probe, brings back the refutation.
   */
  private notice(member: string): Envelope {
    return this.envelope(member, { type: "ping", seq: this.nextSeq(), ...this.gossipFor(member) });
  }

  /**
   * Periodic full-state exchange with a random live member, so that anything
   * gossip dropped is repaired; and, sometimes, with a random member we hold as
   * dead, so that a healed partition (where each side holds the other dead and
   * so never talks to it) merges again. Serf's rule for how often: with
   * probability dead/live, so the cluster as a whole tries each dead member
   * about once per interval however large it is, and every time when half the
   * cluster looks dead. Alone, we fall back on the introducers.
   */
  private pushPull(now: number, out: Envelope[]): void {
    if (this.nextSyncAt === undefined) {
      // Spread over one interval, so members started together do not sync together.
      this.nextSyncAt = now + this.random() * pushPullInterval(this.config, this.membership.size);
      return;
    }
    if (now < this.nextSyncAt) return;
    this.nextSyncAt = now + pushPullInterval(this.config, this.membership.size);
    const peers = this.membership.table.sample(1, () => false);
    const fallback = this.introducers[Math.floor(this.random() * this.introducers.length)];
    if (peers.length === 0 && fallback !== undefined) peers.push(fallback);
    const { deadCount, liveCount } = this.membership.table;
    const dead = this.random() * Math.max(1, liveCount) < deadCount ? this.membership.table.randomDead() : undefined;
    if (dead !== undefined) peers.push(dead);
    out.push(...this.syncRequests(peers));
  }

  private syncRequests(peers: readonly string[]): Envelope[] {
    if (peers.length === 0) return [];
    const members = this.membership.fullState();
    return peers.map((peer) => this.envelope(peer, { type: "sync", reply: false, members }));
  }

  /** The sender's word on itself, then its gossip. */
  private merge(from: string, msg: { readonly incarnation: number; readonly updates: readonly Update[] }, now: number): void {
    this.membership.apply({ state: "alive", member: from, incarnation: msg.incarnation }, now);
    for (const update of msg.updates) this.membership.apply(update, now);
  }

  /**
   * What a probe message to `to` carries: our incarnation, then first what we
   * hold against `to` itself, then the freshest news.
   */
  private gossipFor(to: string): { incarnation: number; updates: Update[] } {
    const limit = retransmitLimit(this.config, this.membership.size);
    const accusation = this.membership.accusationAbout(to);
    const room = this.config.maxPiggyback - (accusation === undefined ? 0 : 1);
    const updates = this.membership.broadcasts.take(room, limit);
    if (accusation !== undefined) updates.unshift(accusation);
    return { incarnation: this.membership.incarnation, updates };
  }

  private envelope(to: string, msg: SwimMessage): Envelope {
    return { from: this.self, to, msg };
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) % Number.MAX_SAFE_INTEGER;
    return this.seq;
  }

  private selfView(): MemberStatus {
    return { name: this.self, state: this.membership.left ? "left" : "alive", incarnation: this.membership.incarnation };
  }
}
