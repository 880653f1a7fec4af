/**
 * The last `capacity` latencies of one kind, and a quantile of them.
 *
 * A ring buffer rather than a decaying histogram: it is small (a few hundred
 * numbers per router isolate), forgets old samples exactly (a slow minute long
 * gone does not linger in the quantile) and needs no bucket layout. A quantile
 * sorts a copy, so it is cached and recomputed only after `refreshEvery` new
 * samples: a read asks for it on every request.
 */
export class RecentLatencies {
  private readonly samples: number[] = [];
  private nextSlot = 0;
  private sinceSorted = 0;
  private sorted: number[] = [];

  constructor(
    private readonly capacity = 512,
    private readonly refreshEvery = 32,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be a positive integer");
    if (!Number.isInteger(refreshEvery) || refreshEvery < 1) throw new RangeError("refreshEvery must be a positive integer");
  }

  /** How many samples are held (at most `capacity`). */
  get size(): number {
    return this.samples.length;
  }

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else this.samples[this.nextSlot] = ms;
    this.nextSlot = (this.nextSlot + 1) % this.capacity;
    this.sinceSorted++;
  }

  /**
   * The `q` quantile (0..1) of the samples held, nearest rank; undefined while
   * fewer than `minSamples` are held (too few to say what is unusual).
   */
  quantile(q: number, minSamples = 1): number | undefined {
    if (this.samples.length < Math.max(1, minSamples)) return undefined;
    if (this.sorted.length === 0 || this.sinceSorted >= this.refreshEvery) {
      this.sorted = [...this.samples].sort((a, b) => a - b);
      this.sinceSorted = 0;
    }
    const rank = Math.ceil(Math.min(Math.max(q, 0), 1) * this.sorted.length);
    return this.sorted[Math.max(rank - 1, 0)];
  }
}
