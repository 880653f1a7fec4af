/**
 * What members say to each other, and what a member tells its host.
 *
 * Everything here is plain data (JSON-serialisable) so the same shapes go over
 * Workers RPC, into Durable Object storage and through the simulator.
 */

export type MemberState = "alive" | "suspect" | "dead" | "left";

/**
 * One gossiped fact: "member is in state at incarnation".
 *
 * Only the member itself ever raises its incarnation (to refute an accusation or
 * to rejoin), so a higher incarnation always means fresher news from the source.
 * Accusations name their accuser: Lifeguard counts distinct accusers of the same
 * suspicion as independent confirmations.
 */
export type Update =
  | { readonly state: "alive"; readonly member: string; readonly incarnation: number }
  | { readonly state: "suspect"; readonly member: string; readonly incarnation: number; readonly from: string }
  | { readonly state: "dead"; readonly member: string; readonly incarnation: number; readonly from: string }
  | { readonly state: "left"; readonly member: string; readonly incarnation: number };

/**
 * The wire protocol. Delivery is unreliable, unordered and may duplicate:
 * `seq` ties an ack or nack to the probe that asked for it, and anything that
 * matches no open probe is only mined for its gossip.
 *
 * Probe messages carry the sender's own incarnation: the sender is the
 * authority on its own alive, so whoever hears from it directly is brought up
 * to date, even a member that missed the sender's refutation in gossip.
 */
export type SwimMessage =
  /** "Are you there?" The receiver answers with an ack carrying the same seq. */
  | { readonly type: "ping"; readonly seq: number; readonly incarnation: number; readonly updates: readonly Update[] }
  /**
   * "Ping target for me." The receiver pings the target with a seq of its own and
   * forwards the target's ack. `nackAfterMs` (Lifeguard) asks for a nack if the
   * target stays silent that long, so the asker can tell "target down" from "I am
   * not hearing anyone"; absent, no nack is sent.
   */
  | {
      readonly type: "ping-req";
      readonly seq: number;
      readonly incarnation: number;
      readonly target: string;
      readonly nackAfterMs?: number;
      readonly updates: readonly Update[];
    }
  | { readonly type: "ack"; readonly seq: number; readonly incarnation: number; readonly updates: readonly Update[] }
  | { readonly type: "nack"; readonly seq: number; readonly incarnation: number; readonly updates: readonly Update[] }
  /**
   * Full-state exchange (push-pull). A request (`reply: false`) carries the
   * sender's whole view, itself included, and is answered with the receiver's.
   * Joining is a push-pull with an introducer.
   */
  | { readonly type: "sync"; readonly reply: boolean; readonly members: readonly Update[] }
  /** Graceful departure at this incarnation; receivers gossip it on. */
  | { readonly type: "leave"; readonly incarnation: number };

export interface Envelope {
  readonly from: string;
  readonly to: string;
  readonly msg: SwimMessage;
}

export interface MemberStatus {
  readonly name: string;
  readonly state: MemberState;
  readonly incarnation: number;
  /** Dead and left only: when, in the host's clock, this member learned it. */
  readonly since?: number;
}

/**
 * A change in this member's view. `type` is the new state, except that becoming
 * alive is split by cause: `joined` (first heard of, or back from dead/left) and
 * `refuted` (a suspicion answered by the member itself).
 */
export interface MembershipEvent {
  readonly type: "joined" | "refuted" | "suspect" | "dead" | "left";
  readonly member: string;
  readonly incarnation: number;
  /** The `now` of the call that caused the change. */
  readonly at: number;
}

/** What a host persists to survive a restart; see `SwimMember.snapshot`. */
export interface SwimSnapshot {
  readonly version: 1;
  readonly self: string;
  readonly incarnation: number;
  readonly left: boolean;
  readonly introducers: readonly string[];
  readonly members: readonly SnapshotMember[];
}

/** A member as a snapshot keeps it: `since` lets a restored grave be reaped on time. */
export type SnapshotMember = MemberStatus;
