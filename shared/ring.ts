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
 * build precomputes each token's preference list and a lookup is one hash, one
 * binary search over a typed array and no allocation.
 */
export class Ring {
  readonly members: readonly string[];
  readonly options: RingOptions;
  private readonly tokens: Uint32Array;
  /** preferences[i] is the preference list of keys that fall on tokens[i]. */
  private readonly preferences: readonly (readonly string[])[];

  private constructor(
    members: readonly string[],
    options: RingOptions,
    tokens: Uint32Array,
    preferences: readonly (readonly string[])[],
  ) {
    this.members = members;
    this.options = options;
    this.tokens = tokens;
    this.preferences = preferences;
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

  get size(): number {
    return this.members.length;
  }

  /** The N distinct members responsible for `key`, in the order a coordinator should try them. */
  preferenceList(key: string): readonly string[] {
    if (this.tokens.length === 0) return EMPTY;
    return this.preferences[this.tokenIndex(murmur3(key))]!;
  }

  /** Index of the first token at or clockwise after `hash`, wrapping past the top of the ring. */
  private tokenIndex(hash: number): number {
    const tokens = this.tokens;
    let lo = 0;
    let hi = tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tokens[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === tokens.length ? 0 : lo;
  }
}

const EMPTY: readonly string[] = Object.freeze([]);
