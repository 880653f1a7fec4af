import type { Ring } from "./ring";

/**
 * Where a write meant for a down replica goes as a hint: the first member past
 * the key's preference list, clockwise, that is not dead and not already
 * holding a hint of this write (Dynamo's sloppy placement). Undefined when
 * every other member is a home replica or down: the write then rests on the
 * home replicas that took it, and the replica's catch-up brings it later.
 */
export function fallbackFor(ring: Ring, key: string, dead: ReadonlySet<string>, taken: ReadonlySet<string>): string | undefined {
  const home = ring.preferenceList(key);
  const walk = ring.successors(key, ring.size);
  return walk.find((node) => !home.includes(node) && !dead.has(node) && !taken.has(node));
}
