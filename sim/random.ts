/**
 * Seeded randomness for the simulator.
 *
 * `Math.random` cannot be seeded, and a run must be reproducible from one
 * number. sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, public
 * domain) passes PractRand, has a 128-bit state and is a few lines of 32-bit
 * arithmetic: not worth a dependency. Each simulated member gets its own stream
 * (`fork`), so adding a random draw in one place does not reshuffle every other.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 spreads a small seed over the whole state.
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** An independent stream, derived deterministically from this one. */
  fork(): Rng {
    return new Rng(this.uint32());
  }

  /** As the `random` dependency a SwimMember expects. */
  get source(): () => number {
    return () => this.next();
  }
}
