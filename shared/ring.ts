import { murmur3 } from "./hash";

export interface RingOptions {
  /** Virtual nodes (tokens) per member. */
  readonly virtualNodes: number;
  /** Replication factor N: how many distinct members hold each key. */
  readonly replicas: number;
}

/**
 * Consistent-hash ring with virtual nodes.
 *
 * A key's preference list is the first N distinct members met walking clockwise
 * from the key's hash. The ring depends only on the member names and options, so
 * every isolate that sees the same membership builds the same ring.
 *
 * Lookups are on every request, building happens on a membership change: so the
 * build precomputes each token's preference list and a lookup is one hash, a
 * bucket index and a short search over a typed array, with no allocation.
 *
 * The bucket index maps the top bits of a hash to the first token at or after
 * the start of that slice of the ring, with about one token per bucket; a
 * lookup then searches only its bucket (one or two tokens) instead of the
 * whole token array (17 unpredictable steps at 128,000 tokens). See
 * docs/performance.md for the figures.
 */
export class Ring {
  readonly members: readonly string[];
  readonly options: RingOptions;
  private readonly tokens: Uint32Array;
  /** preferences[i] is the preference list of keys that fall on tokens[i]. */
  private readonly preferences: readonly (readonly string[])[];
  /** buckets[b]: index of the first token whose top bits are >= b (see `bucketIndex`). */
  private readonly buckets: Uint32Array;
  /** 32 minus the number of bits a bucket number has. */
  private readonly shift: number;

  private constructor(members: readonly string[], options: RingOptions, tokens: Uint32Array, preferences: readonly (readonly string[])[]) {
    this.members = members;
    this.options = options;
    this.tokens = tokens;
    this.preferences = preferences;
    const { buckets, shift } = bucketIndex(tokens);
    this.buckets = buckets;
    this.shift = shift;
  }

  static build(members: Iterable<string>, options: RingOptions): Ring {
    if (!Number.isInteger(options.virtualNodes) || options.virtualNodes < 1) {
      throw new RangeError(`virtualNodes must be a positive integer, got ${options.virtualNodes}`);
    }
    if (!Number.isInteger(options.replicas) || options.replicas < 1) {
      throw new RangeError(`replicas must be a positive integer, got ${options.replicas}`);
    }
    // Sorted so that member indices, and thus tie-breaks between equal tokens,
    // do not depend on the order the caller listed the members in.
    const names = [...new Set(members)].sort();
    if (names.length > 0xffff) throw new RangeError("a ring holds at most 65535 members");

    // Pack (token, member index) into one float64 so a single typed-array sort
    // orders tokens and breaks ties by member deterministically; 32 + 16 bits fit
    // in the 53-bit mantissa exactly.
    const count = names.length * options.virtualNodes;
    const packed = new Float64Array(count);
    let p = 0;
    for (let m = 0; m < names.length; m++) {
      for (let v = 0; v < options.virtualNodes; v++) {
        packed[p++] = murmur3(`${names[m]}#${v}`) * 0x10000 + m;
      }
    }
    packed.sort();

    const tokens = new Uint32Array(count);
    const owner = new Uint16Array(count);
    for (let i = 0; i < count; i++) {
      const value = packed[i]!;
      tokens[i] = Math.floor(value / 0x10000);
      owner[i] = value % 0x10000;
    }

    const width = Math.min(options.replicas, names.length);
    const preferences: (readonly string[])[] = new Array(count);
    const seen = new Uint8Array(names.length);
    for (let i = 0; i < count; i++) {
      const picked: number[] = [];
      for (let j = i; picked.length < width; j = (j + 1) % count) {
        const m = owner[j]!;
        if (seen[m] === 0) {
          seen[m] = 1;
          picked.push(m);
        }
      }
      for (const m of picked) seen[m] = 0;
      preferences[i] = Object.freeze(picked.map((m) => names[m]!));
    }
    return new Ring(Object.freeze(names), Object.freeze({ ...options }), tokens, preferences);
  }

  /** Every token with the member that owns it, in ring order: what a picture of the ring draws. */
  tokenOwners(): [token: number, member: string][] {
    return Array.from(this.tokens, (token, i) => [token, this.preferences[i]![0]!]);
  }

  get size(): number {
    return this.members.length;
  }

  /** The N distinct members responsible for `key`, in the order a coordinator should try them. */
  preferenceList(key: string): readonly string[] {
    if (this.tokens.length === 0) return EMPTY;
    return this.preferences[this.tokenIndex(murmur3(key))]!;
  }

  /**
   * Up to `count` distinct members clockwise from the key, its preference list
   * first: where a write goes as a hint when a replica is down (Dynamo's
   * extended preference list). Walks the tokens, so it is for the rare write
   * that needs it, not for every request.
   */
  successors(key: string, count: number): string[] {
    const picked = new Set<string>();
    const total = this.tokens.length;
    const start = total === 0 ? 0 : this.tokenIndex(murmur3(key));
    for (let i = 0; i < total && picked.size < count; i++) {
      picked.add(this.preferences[(start + i) % total]![0]!);
    }
    return [...picked];
  }

  /** Index of the first token at or clockwise after `hash`, wrapping past the top of the ring. */
  private tokenIndex(hash: number): number {
    const tokens = this.tokens;
    const bucket = hash >>> this.shift;
    // Tokens of this bucket are [lo, hi); if none is >= hash, the answer is the
    // first token of a later bucket, which is buckets[bucket + 1] = hi.
    let lo = this.buckets[bucket]!;
    let hi = this.buckets[bucket + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tokens[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === tokens.length ? 0 : lo;
  }
}

const EMPTY: readonly string[] = Object.freeze([]);

/** At most 2^20 buckets (4 MiB), reached at about a million tokens. */
const MAX_BUCKET_BITS = 20;

/**
 * A table from the top `bits` bits of a hash to the first token whose own top
 * bits are at least that bucket's number, with one more entry at the end (the
 * token count). `bits` is about log2 of the token count, so buckets hold about
 * one token each: 640 tokens get 1,024 buckets (4 KiB), 128,000 tokens get
 * 131,072 (512 KiB).
 */
function bucketIndex(tokens: Uint32Array): { buckets: Uint32Array; shift: number } {
  const count = tokens.length;
  const bits = Math.max(1, Math.min(MAX_BUCKET_BITS, Math.ceil(Math.log2(Math.max(count, 2)))));
  const shift = 32 - bits;
  const size = 2 ** bits;
  const buckets = new Uint32Array(size + 1);
  let t = 0;
  for (let b = 0; b <= size; b++) {
    const start = b * 2 ** shift;
    while (t < count && tokens[t]! < start) t++;
    buckets[b] = t;
  }
  return { buckets, shift };
}
