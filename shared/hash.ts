/**
 * MurmurHash3 (x86, 32-bit) over a string's UTF-16 code units.
 *
 * Why this hash: ring placement needs good avalanche (neighbouring names such as
 * "node-1#17" and "node-1#18" must land far apart) and speed on the per-request
 * path; MurmurHash3 gives both with `Math.imul` and no allocation. Why code units
 * rather than UTF-8 bytes: every isolate that hashes runs this same function, so
 * encoding is irrelevant to agreement, and skipping TextEncoder keeps a lookup
 * allocation-free. Two code units are packed per 32-bit block.
 */
export function murmur3(text: string, seed = 0): number {
  let h = seed >>> 0;
  const length = text.length;
  const pairs = length & ~1;
  for (let i = 0; i < pairs; i += 2) {
    h = mixBlock(h, (text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)) >>> 0);
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  }
  if (length & 1) h = mixBlock(h, text.charCodeAt(length - 1));
  // Finalisation avalanche: the length is in code units; the block stream above
  // consumed two bytes per unit, so the byte length is twice that.
  h ^= length * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixBlock(h: number, block: number): number {
  let k = Math.imul(block, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  return h ^ k;
}
