/**
 * Lifeguard's local health score.
 *
 * A member that is itself slow (overloaded, paused, losing packets) sees
 * everyone else as unresponsive and would accuse healthy members. Missed acks,
 * missing nacks and having to refute accusations about ourselves are evidence
 * that the problem is local; successful probes are evidence that it is not.
 * While the score is up, our probe timeout and protocol period are stretched by
 * (score + 1), so we accuse less, and less hastily, until we recover.
 */
export class Awareness {
  private value = 0;

  /** `max` 1 pins the score at 0: Lifeguard off. */
  constructor(private readonly max: number) {}

  get score(): number {
    return this.value;
  }

  apply(delta: number): void {
    this.value = Math.min(this.max - 1, Math.max(0, this.value + delta));
  }

  scale(ms: number): number {
    return ms * (this.value + 1);
  }
}
