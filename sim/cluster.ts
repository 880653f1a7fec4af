import { isEnvelope, SwimMember, type SwimConfig } from "../shared/swim";
import type { Envelope, MembershipEvent, SwimMessage, SwimSnapshot } from "../shared/swim";
import { EventQueue } from "./heap";
import { LAN, Network, type NetworkOptions } from "./network";
import { Rng } from "./random";

export interface ClusterOptions {
  readonly size: number;
  readonly seed: number;
  readonly config: SwimConfig;
  readonly network?: Partial<NetworkOptions>;
  /**
   * Every member starts its protocol periods at the same instants, as in SWIM's
   * analysis (synchronous rounds). Otherwise each member has a random phase, as
   * independently armed alarms would.
   */
  readonly alignedPeriods?: boolean;
}

type SimEvent =
  | { readonly kind: "tick"; readonly node: number }
  | { readonly kind: "wake"; readonly node: number }
  | { readonly kind: "deliver"; readonly node: number; readonly env: Envelope };

/** Called for every membership event of every member: who saw it, and what. */
export type Observer = (observer: number, event: MembershipEvent) => void;

export type MessageType = SwimMessage["type"];

/**
 * A discrete-event simulation of a cluster running the real `shared/swim` code.
 *
 * Virtual time in ms. Each member is ticked once per protocol period at its
 * phase, woken at its `nextDeadline()`, and handed the envelopes addressed to it
 * after a network delay, unless lost, cut off, or the member is down. Everything
 * random comes from one seed, so a run is reproducible.
 */
export class SimCluster {
  readonly names: string[] = [];
  readonly network: Network;
  readonly period: number;
  /** Messages handed to the network (lost ones included), by type. */
  readonly sent: Record<MessageType, number> = { ping: 0, "ping-req": 0, ack: 0, nack: 0, sync: 0, leave: 0 };
  private readonly members: SwimMember[] = [];
  private readonly up: boolean[] = [];
  /** The time of each member's pending wake-up, NaN if none. */
  private readonly wakeAt: number[] = [];
  private readonly index = new Map<string, number>();
  private readonly queue = new EventQueue<SimEvent>();
  private readonly observers: Observer[] = [];
  private readonly rng: Rng;
  private time = 0;

  constructor(private readonly options: ClusterOptions) {
    this.rng = new Rng(options.seed);
    this.network = new Network({ ...LAN, ...options.network }, this.rng.fork());
    this.period = options.config.protocolPeriodMs;
    for (let i = 0; i < options.size; i++) this.add(`n${i}`);
    const seeds = Object.freeze([...this.names]);
    for (const member of this.members) member.seed(seeds, 0);
  }

  get now(): number {
    return this.time;
  }

  get size(): number {
    return this.members.length;
  }

  /** Total messages sent so far. */
  get messages(): number {
    let total = 0;
    for (const count of Object.values(this.sent)) total += count;
    return total;
  }

  member(i: number): SwimMember {
    return this.members[i]!;
  }

  indexOf(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new Error(`no member ${name}`);
    return i;
  }

  isUp(i: number): boolean {
    return this.up[i]!;
  }

  liveIndices(): number[] {
    const live: number[] = [];
    for (let i = 0; i < this.members.length; i++) if (this.up[i]) live.push(i);
    return live;
  }

  observe(observer: Observer): void {
    this.observers.push(observer);
  }

  /** Processes every event up to and including `until`, then sets the time there. */
  runUntil(until: number): void {
    for (let t = this.queue.peekTime(); t !== undefined && t <= until; t = this.queue.peekTime()) {
      const event = this.queue.pop()!;
      this.time = t;
      this.dispatch(event);
    }
    this.time = until;
  }

  runFor(ms: number): void {
    this.runUntil(this.time + ms);
  }

  /** Stops a member dead: no more ticks, timers or deliveries. Returns what a host would have persisted. */
  crash(i: number): SwimSnapshot {
    this.up[i] = false;
    return this.members[i]!.snapshot();
  }

  /**
   * Brings a crashed member back in a new process: from its persisted snapshot,
   * or with no memory at all (then it must rejoin through an introducer).
   */
  restart(i: number, restored: SwimSnapshot | undefined, introducers: readonly string[]): void {
    const member = new SwimMember(this.names[i]!, this.options.config, { random: this.rng.fork().source }, restored);
    this.members[i] = member;
    this.up[i] = true;
    this.wakeAt[i] = NaN;
    this.handle(i, member.join(this.time, introducers));
  }

  /** A new member that knows nobody but the introducers. */
  join(name: string, introducers: readonly string[]): number {
    const i = this.add(name);
    this.handle(i, this.members[i]!.join(this.time, introducers));
    return i;
  }

  leave(i: number): void {
    this.handle(i, this.members[i]!.leave(this.time));
  }

  private add(name: string): number {
    const i = this.members.length;
    this.names.push(name);
    this.index.set(name, i);
    this.members.push(new SwimMember(name, this.options.config, { random: this.rng.fork().source }));
    this.up.push(true);
    this.wakeAt.push(NaN);
    const phase = this.options.alignedPeriods ? 0 : this.rng.next() * this.period;
    const firstTick = Math.ceil((this.time - phase) / this.period) * this.period + phase;
    this.queue.push(firstTick, { kind: "tick", node: i });
    return i;
  }

  private dispatch(event: SimEvent): void {
    switch (event.kind) {
      case "tick":
        this.queue.push(this.time + this.period, event);
        if (this.up[event.node]) this.handle(event.node, this.members[event.node]!.tick(this.time));
        return;
      case "wake": {
        const i = event.node;
        if (!this.up[i] || this.wakeAt[i] !== this.time) return; // superseded by an earlier wake-up
        this.wakeAt[i] = NaN;
        const member = this.members[i]!;
        this.handle(i, member.advance(this.time));
        const next = member.nextDeadline();
        if (next !== undefined && next <= this.time) {
          throw new Error(`${this.names[i]}: advance(${this.time}) left a timer due at ${next}`);
        }
        return;
      }
      case "deliver":
        // What a ring node's boundary would refuse must never be sent.
        if (!isEnvelope(event.env))
          throw new Error(`${this.names[event.node]}: received a malformed envelope ${JSON.stringify(event.env)}`);
        if (this.up[event.node]) this.handle(event.node, this.members[event.node]!.receive(this.time, event.env));
        return;
    }
  }

  /** After any call into member i: send what it returned, report its events, re-arm its wake-up. */
  private handle(i: number, out: readonly Envelope[]): void {
    for (const env of out) this.send(i, env);
    const member = this.members[i]!;
    const events = member.drainEvents();
    for (const event of events) for (const observer of this.observers) observer(i, event);
    const next = member.nextDeadline();
    if (next === undefined) return;
    const pending = this.wakeAt[i]!;
    if (!Number.isNaN(pending) && pending <= next) return;
    const at = Math.max(next, this.time);
    this.wakeAt[i] = at;
    this.queue.push(at, { kind: "wake", node: i });
  }

  private send(from: number, env: Envelope): void {
    this.sent[env.msg.type]++;
    const to = this.index.get(env.to);
    if (to === undefined) return;
    const delay = this.network.transit(from, to);
    if (delay !== undefined) this.queue.push(this.time + delay, { kind: "deliver", node: to, env });
  }
}
