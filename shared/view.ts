import { murmur3 } from "./hash";
import type { MemberStatus } from "./swim";

/** How long a dead member keeps its place on the ring, measured on the host's clock. */
export interface Grace {
  readonly now: number;
  readonly graceMs: number;
}

/**
 * Which members are on the ring. Alive and suspect members are: SWIM suspects a
 * member before it is known to have failed, and moving its keys at the first
 * missed ack would turn every slow period into data movement. A dead member
 * stays for the grace (`DEAD_NODE_GRACE_MS`) after it was declared dead:
 * "unreachable now" is not "gone", and meanwhile its writes go to hints. Without
 * a grace (or past it), dead members are off the ring; left members always are.
 */
export function ringMembers(members: Iterable<MemberStatus>, grace?: Grace): string[] {
  const names: string[] = [];
  for (const m of members) if (onRing(m, grace)) names.push(m.name);
  return names.sort();
}

/** The live members (alive or suspect) that stay if `name` leaves: a leave must keep at least N of them. */
export function liveWithout(members: Iterable<MemberStatus>, name: string): string[] {
  return ringMembers(members).filter((n) => n !== name);
}

function onRing(member: MemberStatus, grace: Grace | undefined): boolean {
  if (member.state === "alive" || member.state === "suspect") return true;
  if (member.state !== "dead" || grace === undefined) return false;
  return member.since === undefined || grace.now - member.since < grace.graceMs;
}

/**
 * A short digest of the ring's member names (sorted, as `ringMembers` returns
 * them). Two views with the same digest build the same ring; a router compares
 * the digest replicas send with its own to learn that its view is out of date.
 */
export function ringDigest(names: readonly string[]): string {
  return murmur3(names.join("\n")).toString(36);
}

/** `ringDigest` of the members on the ring. */
export function viewDigest(members: Iterable<MemberStatus>, grace?: Grace): string {
  return ringDigest(ringMembers(members, grace));
}

/** What a router knows of a key's replicas beyond the ring: who is suspect, dead, or still catching up. */
export interface ReplicaHealth {
  readonly suspects: ReadonlySet<string>;
  /** Dead members still on the ring (the grace): they missed writes, so they are never read. */
  readonly dead: ReadonlySet<string>;
  /** Members that said they are still catching up: asked only when the others cannot make the quorum. */
  readonly behind: ReadonlySet<string>;
}

/**
 * A preference list in the order to read it: dead members left out, healthy
 * members first, then suspect ones (they may well be alive, but are the
 * likeliest to time out), then those still catching up, whose answers do not
 * count toward a read quorum (see worker/coordinator.ts).
 */
export function readOrder(preference: readonly string[], health: ReplicaHealth): readonly string[] {
  const rank = (n: string) => (health.dead.has(n) ? 3 : health.behind.has(n) ? 2 : health.suspects.has(n) ? 1 : 0);
  if (!preference.some((n) => rank(n) > 0)) return preference;
  return [0, 1, 2].flatMap((r) => preference.filter((n) => rank(n) === r));
}

export const NO_ONE: ReadonlySet<string> = new Set();
