import { Ring, type RingOptions } from "../shared/ring";

export type MemberState = "alive" | "suspect" | "dead" | "left";

export interface MemberInfo {
  readonly name: string;
  readonly state: MemberState;
}

/** The router's picture of the cluster at one moment, and the ring built from it. */
export interface MembershipView {
  readonly members: readonly MemberInfo[];
  readonly ring: Ring;
}

/**
 * Where the router learns the cluster's membership. The one seam between the
 * data path and membership: the static list from configuration implements it
 * now; the SWIM-backed view replaces it without the coordinator noticing.
 */
export interface MembershipSource {
  view(): Promise<MembershipView>;
}

/** A fixed member list from configuration: every member is alive, always. */
export class StaticMembership implements MembershipSource {
  private readonly snapshot: Promise<MembershipView>;

  constructor(nodes: readonly string[], options: RingOptions) {
    this.snapshot = Promise.resolve({
      members: nodes.map((name) => ({ name, state: "alive" as const })),
      ring: Ring.build(nodes, options),
    });
  }

  view(): Promise<MembershipView> {
    return this.snapshot;
  }
}
