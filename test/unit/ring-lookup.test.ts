import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { murmur3 } from "../../shared/hash";
import { Ring } from "../../shared/ring";

/**
 * The ring's bucketed lookup must pick exactly what the definition says: the
 * first N distinct members met walking clockwise from the key's hash, starting
 * at the first token at or after it and wrapping past the top. Checked against
 * a brute-force walk over every token.
 */
function bruteForce(members: readonly string[], virtualNodes: number, replicas: number, key: string): string[] {
  const names = [...new Set(members)].sort();
  const tokens = names
    .flatMap((name, m) => Array.from({ length: virtualNodes }, (_, v) => ({ token: murmur3(`${name}#${v}`), m })))
    .sort((a, b) => a.token - b.token || a.m - b.m);
  if (tokens.length === 0) return [];
  const hash = murmur3(key);
  let start = tokens.findIndex((t) => t.token >= hash);
  if (start < 0) start = 0;
  const picked: string[] = [];
  for (let i = 0; picked.length < Math.min(replicas, names.length); i++) {
    const name = names[tokens[(start + i) % tokens.length]!.m]!;
    if (!picked.includes(name)) picked.push(name);
  }
  return picked;
}

describe("Ring lookup", () => {
  it("matches a brute-force clockwise walk, for any members, virtual nodes and keys", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 30 }),
        (members, virtualNodes, replicas, keys) => {
          const ring = Ring.build(members, { virtualNodes, replicas });
          for (const key of keys) expect(ring.preferenceList(key)).toEqual(bruteForce(members, virtualNodes, replicas, key));
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });

  it("wraps past the top of the ring and handles hashes at the bucket edges", () => {
    // Keys whose hashes fall after the last token must land on the first token's list.
    const ring = Ring.build(["a", "b", "c"], { virtualNodes: 2, replicas: 2 });
    const keys = Array.from({ length: 20_000 }, (_, i) => `edge-${i}`);
    for (const key of keys) expect(ring.preferenceList(key)).toEqual(bruteForce(["a", "b", "c"], 2, 2, key));
  });

  it("agrees with the brute force on a large ring", () => {
    const members = Array.from({ length: 200 }, (_, i) => `node-${i}`);
    const ring = Ring.build(members, { virtualNodes: 64, replicas: 3 });
    for (let i = 0; i < 300; i++) {
      const key = `user:${(i * 2654435761) >>> 0}`;
      expect(ring.preferenceList(key)).toEqual(bruteForce(members, 64, 3, key));
    }
  });
});
