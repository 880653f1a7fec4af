/**
 * Fails loudly when something a pure rule depends on does not hold: a broken
 * invariant is a bug in this code, never a condition a caller can handle.
 */
export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`invariant broken: ${message}`);
}
