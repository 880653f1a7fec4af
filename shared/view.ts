import { murmur3 } from "./hash";
import type { MemberStatus } from "./swim";

/**
 * Which members are on the ring. Alive and suspect members both are: SWIM
 * suspects a member before it is known to have failed, and moving its keys at
 * the first missed ack would turn every slow period into data movement. Dead and
 * left members are off the ring.
 */
export function ringMembers(members: Iterable<MemberStatus>): string[] {
  const names: string[] = [];
  for (const m of members) if (m.state === "alive" || m.state === "suspect") names.push(m.name);
  return names.sort();
}

/**
 * A short digest of the ring's member set. Two views with the same digest build
 * the same ring; a router compares the digest replicas send with its own to learn
 * that its view is out of date.
 */
export function viewDigest(members: Iterable<MemberStatus>): string {
  return murmur3(ringMembers(members).join("\n")).toString(36);
}

/**
 * A preference list in the order to read it: suspect members last, as SWIM
 * intends (they may well be alive, but are the likeliest to time out).
 */
export function readOrder(preference: readonly string[], suspects: ReadonlySet<string>): readonly string[] {
  if (suspects.size === 0 || !preference.some((n) => suspects.has(n))) return preference;
  return [...preference.filter((n) => !suspects.has(n)), ...preference.filter((n) => suspects.has(n))];
}
