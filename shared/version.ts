/**
 * Hybrid logical clock versions.
 *
 * Every write is stamped by its coordinator with (wall ms, logical counter,
 * writer id). Versions are totally ordered, so "newest wins" is a deterministic
 * merge that every replica computes the same way, whatever order writes arrive in.
 * The logical counter orders writes within one millisecond (Workers freeze
 * Date.now() between I/O, so many writes share a wall reading) and lets a clock
 * that observed a newer version keep issuing versions after it even if its own
 * wall clock lags. The writer id breaks the remaining ties between coordinators.
 */
export interface Version {
  readonly wall: number;
  readonly logical: number;
  readonly writer: string;
}

export function compareVersions(a: Version, b: Version): -1 | 0 | 1 {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  if (a.writer !== b.writer) return a.writer < b.writer ? -1 : 1;
  return 0;
}

/** The public, opaque form of a version: `<wall>.<logical>.<writer>`. */
export function formatVersion(v: Version): string {
  return `${v.wall}.${v.logical}.${v.writer}`;
}

const VERSION_TEXT = /^(\d{1,16})\.(\d{1,10})\.([0-9A-Za-z_-]{1,64})$/;

export function parseVersion(text: string): Version | undefined {
  const match = VERSION_TEXT.exec(text);
  if (!match) return undefined;
  return { wall: Number(match[1]), logical: Number(match[2]), writer: match[3]! };
}

/** A version is well formed when a replica may store it: checked at the node's boundary. */
export function isVersion(value: unknown): value is Version {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(v.wall) &&
    (v.wall as number) >= 0 &&
    Number.isSafeInteger(v.logical) &&
    (v.logical as number) >= 0 &&
    typeof v.writer === "string" &&
    v.writer.length > 0 &&
    v.writer.length <= 64
  );
}

/**
 * The clock a coordinator stamps writes with. Time is injected so tests and the
 * simulator can drive it; `writer` should be unique per clock (per isolate).
 */
export class HybridClock {
  private wall = 0;
  private logical = 0;

  constructor(
    readonly writer: string,
    private readonly now: () => number,
  ) {}

  /** A version newer than every version this clock issued or observed. */
  next(): Version {
    const physical = this.now();
    if (physical > this.wall) {
      this.wall = physical;
      this.logical = 0;
    } else {
      this.logical += 1;
    }
    return { wall: this.wall, logical: this.logical, writer: this.writer };
  }

  /** Move past a version seen elsewhere, so a later write here orders after it. */
  observe(seen: Version): void {
    if (seen.wall > this.wall || (seen.wall === this.wall && seen.logical > this.logical)) {
      this.wall = seen.wall;
      this.logical = seen.logical;
    }
  }
}
