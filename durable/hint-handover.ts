import { pageOf } from "../shared/catch-up";
import type { Logger } from "../shared/log";
import type { MemberStatus } from "../shared/swim";
import type { KeyedEntry } from "../shared/wire";
import type { HintStore } from "./hints";
import type { PeerTransport } from "./peer-transport";

/** Hints per page, whether handed over or served to a replica catching up. */
export const HINT_PAGE = 256;
/** Hint pages a node hands over per replica and period: bounds the alarm's work between SWIM timers. */
const HINT_PAGES = 4;

export interface HintHandoverDeps {
  readonly hints: HintStore;
  readonly transport: Pick<PeerTransport, "applyEntries">;
  /** Merges entries into this node's own replicas. */
  readonly absorb: (entries: readonly KeyedEntry[]) => void;
  readonly logger: Logger;
  /** Told when a handover absorbed hints: they are this node's entries now, for the sweep to place. */
  readonly absorbed: () => void;
}

/**
 * Where the hints a node holds go: to their replica once it is back, or into
 * this node's own entries once their replica is off the ring (the sweep then
 * takes them to the key's replicas).
 */
export class HintHandover {
  constructor(private readonly deps: HintHandoverDeps) {}

  /**
   * Hands held hints to their replicas that are back (alive or suspect), a few
   * pages per replica, deleting each once confirmed. Then hints for a replica
   * no longer on `ring` (its grace ended, or it left) are absorbed, as many pages.
   */
  async handOver(ring: readonly string[], members: readonly MemberStatus[]): Promise<void> {
    const { hints, transport } = this.deps;
    const targets = [...hints.byTarget().keys()];
    if (targets.length === 0) return;
    const onRing = new Set(ring);
    const states = new Map(members.map((m) => [m.name, m.state]));
    const back = targets.filter((t) => onRing.has(t) && (states.get(t) === "alive" || states.get(t) === "suspect"));
    await Promise.all(
      back.map(async (target) => {
        for (let i = 0; i < HINT_PAGES; i++) {
          const { entries: page, next } = pageOf(hints.page(target, "", HINT_PAGE), HINT_PAGE, () => true);
          if (page.length === 0) return;
          try {
            await transport.applyEntries(target, page);
          } catch {
            return; // Not reachable yet, though not declared dead: the next period tries again.
          }
          hints.confirm(target, page);
          if (next === null) return;
        }
      }),
    );
    if (this.absorb((target) => !onRing.has(target), HINT_PAGES) > 0) this.deps.absorbed();
  }

  /**
   * Moves the hints of the targets `pick` picks into this node's store, up to
   * `pages` pages per target; returns how many moved. A target whose hints do
   * not fit (the node is full) keeps them, and the others go on.
   */
  absorb(pick: (target: string) => boolean, pages = Infinity): number {
    const { hints } = this.deps;
    let moved = 0;
    for (const target of [...hints.byTarget().keys()].filter(pick)) {
      for (let i = 0; i < pages; i++) {
        const { entries: page } = pageOf(hints.page(target, "", HINT_PAGE), HINT_PAGE, () => true);
        if (page.length === 0) break;
        try {
          this.deps.absorb(page);
        } catch (error) {
          this.deps.logger.log("error", "hints_not_absorbed", { target, error });
          break;
        }
        hints.confirm(target, page);
        moved += page.length;
      }
    }
    return moved;
  }
}
