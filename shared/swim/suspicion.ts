import type { SwimConfig } from "./config";

/**
 * How long a suspicion may last before the suspect is declared dead.
 *
 * The minimum grows with log10 n because gossip (and so the suspect's chance to
 * hear of, and refute, the accusation) takes O(log n) periods to go around.
 * With Lifeguard a suspicion starts at `max` and only comes down to `min` as
 * other members independently suspect the same member: one slow or partitioned
 * accuser alone cannot get a healthy member killed quickly, while a real failure,
 * seen by many, is still confirmed fast. Without Lifeguard the timeout is the
 * fixed minimum (plain SWIM / memberlist before Lifeguard).
 */
export function suspicionTimeouts(config: SwimConfig, n: number): { min: number; max: number } {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  const min = Math.floor(config.suspicionMult * nodeScale * config.protocolPeriodMs);
  return { min, max: config.lifeguard ? config.suspicionMaxMult * min : min };
}

/**
 * Independent confirmations after which the timeout reaches its minimum
 * (memberlist: suspicionMult - 2). A small cluster cannot provide them (the
 * suspect and the first accuser do not count), so it expects none and uses the
 * minimum straight away. Plain SWIM has no confirmations.
 */
export function expectedConfirmations(config: SwimConfig, n: number): number {
  if (!config.lifeguard) return 0;
  const k = Math.max(0, config.suspicionMult - 2);
  return n - 2 < k ? 0 : k;
}

/**
 * Lifeguard's timeout after c independent confirmations out of k expected:
 * max - (max - min) * log(c + 1) / log(k + 1). Logarithmic so that the first
 * confirmations, the strongest evidence, bring it down the most.
 */
export function suspicionTimeout(min: number, max: number, k: number, confirmations: number): number {
  if (k < 1) return min;
  const fraction = Math.log(confirmations + 1) / Math.log(k + 1);
  return Math.max(min, Math.floor(max - fraction * (max - min)));
}

/** One member's suspicion of another, at one incarnation. */
export class Suspicion {
  private readonly confirmers = new Set<string>();
  private timeout: number;

  constructor(
    /** The accuser whose suspicion started ours; it cannot confirm itself. */
    readonly accuser: string,
    readonly startedAt: number,
    private readonly min: number,
    private readonly max: number,
    private readonly k: number,
  ) {
    this.timeout = suspicionTimeout(min, max, k, 0);
  }

  get deadline(): number {
    return this.startedAt + this.timeout;
  }

  /**
   * Counts an accusation from `from`. True if it is a new independent one, which
   * the caller gossips on so that other suspecters can count it as well.
   * Confirmations beyond k change nothing and are not counted.
   */
  confirm(from: string): boolean {
    if (from === this.accuser || this.confirmers.size >= this.k || this.confirmers.has(from)) return false;
    this.confirmers.add(from);
    this.timeout = suspicionTimeout(this.min, this.max, this.k, this.confirmers.size);
    return true;
  }
}
