import {
  SwimMember,
  type Envelope,
  type MemberStatus,
  type MembershipEvent,
  type SwimConfig,
  type SwimMessage,
  type SwimSnapshot,
} from "../shared/swim";
import { KV_KEYS } from "./schema";

const SNAPSHOT_KEY = KV_KEYS.swim;

/**
 * How a message reaches another node: one RPC whose result is that node's
 * replies to us. It throws when the message is lost (a timeout, a partition:
 * the node's peer transport, which the fault switch gates).
 */
export type PeerLink = (envelope: Envelope, timeoutMs: number) => Promise<readonly Envelope[]>;

export interface SwimHostDeps {
  readonly self: string;
  readonly config: SwimConfig;
  readonly kv: SyncKvStorage;
  readonly random: () => number;
  /** The object's protocol time (ms): its scheduler's `now`. */
  readonly now: () => number;
  readonly link: PeerLink;
  /** Told of every batch of membership changes, after the snapshot is persisted. */
  readonly onChange: (events: readonly MembershipEvent[]) => void;
  /** Told when this node answered a verdict of its own death: the others wrote to hints for it meanwhile. */
  readonly onDeathRefuted: () => void;
  /** Told of every message sent (replies included) and received, for the node's metrics. */
  readonly onMessage?: (direction: "sent" | "received", type: SwimMessage["type"]) => void;
}

/**
 * Runs the pure SWIM state machine inside a ring node object: delivers its
 * envelopes over RPC, feeds replies back, persists its snapshot, and reports
 * membership changes.
 *
 * Delivery is request/response: a message is an RPC to the peer, and the
 * peer's replies addressed to us (an ack to our ping, a relayed ack to our
 * ping-req) come back as its result. A peer that relays for us awaits its own
 * probe before answering, so an indirect ack returns on the same call.
 */
export class SwimHost {
  private member: SwimMember | undefined;
  private persistedIncarnation = -1;
  private deathsRefuted = 0;

  constructor(private readonly deps: SwimHostDeps) {
    const snapshot = deps.kv.get<SwimSnapshot>(SNAPSHOT_KEY);
    if (snapshot !== undefined) {
      this.member = new SwimMember(deps.self, deps.config, { random: deps.random }, snapshot);
      this.persist();
    }
  }

  /** Whether this node takes part in the protocol: started, and not left. */
  get active(): boolean {
    return this.member !== undefined && this.member.member(this.deps.self)?.state !== "left";
  }

  /** Whether this node has ever been a member (it may have left since). */
  get started(): boolean {
    return this.member !== undefined;
  }

  get self(): MemberStatus | undefined {
    return this.member?.member(this.deps.self);
  }

  get health(): number {
    return this.member?.health ?? 0;
  }

  members(): MemberStatus[] {
    return this.member?.members() ?? [];
  }

  /** A configured node's first start: everyone configured is a member from the outset. */
  bootstrap(seeds: readonly string[]): void {
    if (this.member !== undefined) return;
    this.member = this.newMember();
    this.member.seed(seeds, this.deps.now());
    this.persistChanges();
  }

  /** Joins (or rejoins after leaving or crashing) through introducers. */
  async join(introducers: readonly string[]): Promise<void> {
    this.member ??= this.newMember();
    await this.deliver(this.member.join(this.deps.now(), introducers));
  }

  /** Announces a graceful leave; the node then answers no protocol message. */
  async leave(): Promise<void> {
    if (this.member === undefined) return;
    const out = this.member.leave(this.deps.now());
    // Leaving changes neither the incarnation nor the view, so persistChanges() would not
    // persist it: a restart would then bring the node back as alive.
    this.persist();
    await this.deliver(out);
  }

  /** One wake-up: a new protocol period if `period`, else only the timers that are due. */
  async wake(period: boolean): Promise<void> {
    if (this.member === undefined) return;
    const now = this.deps.now();
    await this.deliver(period ? this.member.tick(now) : this.member.advance(now));
  }

  /** When the machine next needs `wake`, apart from the period. */
  nextDeadline(): number | undefined {
    return this.member?.nextDeadline();
  }

  /** Handles a message from a peer; returns the replies addressed to it. */
  async receive(envelope: Envelope): Promise<Envelope[]> {
    if (this.member === undefined) return [];
    this.deps.onMessage?.("received", envelope.msg.type);
    const replies: Envelope[] = [];
    await this.deliver(this.member.receive(this.deps.now(), envelope), envelope.from, replies);
    return replies;
  }

  /**
   * Sends `out`, feeding every reply back into the machine until the exchange is
   * done. Envelopes addressed to `replyTo` are collected instead of sent: they are
   * the answer to the call being served.
   */
  private async deliver(out: readonly Envelope[], replyTo?: string, replies?: Envelope[]): Promise<void> {
    const member = this.member;
    if (member === undefined) return;
    await Promise.all(
      out.map(async (envelope) => {
        if (envelope.to === replyTo) {
          this.deps.onMessage?.("sent", envelope.msg.type);
          replies!.push(envelope);
          return;
        }
        this.deps.onMessage?.("sent", envelope.msg.type);
        let answer: readonly Envelope[];
        try {
          answer = await this.deps.link(envelope, this.timeoutFor(envelope));
        } catch {
          return; // Lost: the protocol's timers deal with silence.
        }
        const next = answer.flatMap((reply) => {
          this.deps.onMessage?.("received", reply.msg.type);
          return member.receive(this.deps.now(), reply);
        });
        if (next.length > 0) await this.deliver(next, replyTo, replies);
      }),
    );
    this.persistChanges();
  }

  /** A ping-req's answer waits for the relay's own probe, so it may take the rest of the period. */
  private timeoutFor(envelope: Envelope): number {
    const { pingTimeoutMs, protocolPeriodMs } = this.deps.config;
    return envelope.msg.type === "ping-req" ? protocolPeriodMs - pingTimeoutMs : pingTimeoutMs;
  }

  /** Persists and reports what changed. */
  private persistChanges(): void {
    const member = this.member;
    if (member === undefined) return;
    const events = member.drainEvents();
    if (events.length > 0 || member.incarnation !== this.persistedIncarnation) this.persist();
    if (events.length > 0) this.deps.onChange(events);
    if (member.deathsRefuted > this.deathsRefuted) {
      this.deathsRefuted = member.deathsRefuted;
      this.deps.onDeathRefuted();
    }
  }

  private persist(): void {
    const member = this.member!;
    this.deps.kv.put(SNAPSHOT_KEY, member.snapshot());
    this.persistedIncarnation = member.incarnation;
  }

  private newMember(): SwimMember {
    return new SwimMember(this.deps.self, this.deps.config, { random: this.deps.random });
  }
}
