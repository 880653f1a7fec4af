import type { MemberState } from "./types";

/**
 * SWIM's precedence rules, in one place.
 *
 * The paper's overriding rules for another member M:
 * - alive@j   overrides alive@i and suspect@i when j > i;
 * - suspect@j overrides suspect@i when j > i, and alive@i when j >= i;
 * - a confirmed failure (dead) overrides alive and suspect.
 * We extend them, as memberlist does, so that members can come back: dead and
 * left are incarnation-ordered too (dead@j overrides alive/suspect@i when
 * j >= i), and a member that returns refutes its death with a higher
 * incarnation. Left is a graceful dead: it overrides dead at the same
 * incarnation, and a stale alive of the same incarnation cannot undo it.
 *
 * All of this is one total order: compare incarnations, then
 * alive < suspect < dead < left. An update is applied iff it is strictly greater
 * than what we hold. Merging is therefore a maximum: the final view does not
 * depend on the order in which updates arrive, nor on duplicates.
 */
const RANK: Readonly<Record<MemberState, number>> = { alive: 0, suspect: 1, dead: 2, left: 3 };

export interface Status {
  readonly state: MemberState;
  readonly incarnation: number;
}

/** Does `incoming` replace `current` (our view of another member; undefined if unknown)? */
export function overrides(incoming: Status, current: Status | undefined): boolean {
  if (current === undefined) return true;
  if (incoming.incarnation !== current.incarnation) return incoming.incarnation > current.incarnation;
  return RANK[incoming.state] > RANK[current.state];
}

/**
 * What a running member hears about itself, from whoever: the incarnation it must
 * announce as alive to override it, or undefined if the news needs no answer.
 *
 * Any suspect, dead or left at our incarnation or above is an accusation to
 * refute. An alive above ours means the cluster knows a later life of ours (we
 * restarted without our state): we must go above it too, or our own alive would
 * be ignored as stale.
 */
export function refutation(selfIncarnation: number, heard: Status): number | undefined {
  const accusation = heard.state !== "alive";
  const mustAnswer = accusation ? heard.incarnation >= selfIncarnation : heard.incarnation > selfIncarnation;
  return mustAnswer ? heard.incarnation + 1 : undefined;
}

/** Alive and suspect members are probed, gossiped to and counted in n; dead and left are graves. */
export function isLive(state: MemberState): boolean {
  return state === "alive" || state === "suspect";
}
