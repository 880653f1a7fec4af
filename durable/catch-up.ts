import {
  afterPage,
  beginCatchUp,
  caughtUp,
  pending,
  progressOf,
  skipPeer,
  withPeers,
  type CatchUp,
  type CatchUpProgress,
  type CatchUpReason,
} from "../shared/catch-up";
import type { CatchUpPage, CatchUpPart, KeyedEntry } from "../shared/wire";

const STATE_KEY = "catch_up";

export interface CatchUpDeps {
  readonly kv: SyncKvStorage;
  /** One page from a peer; throws when the peer cannot be reached. */
  readonly pull: (peer: string, part: CatchUpPart, after: string) => Promise<CatchUpPage>;
  /** Merges entries into this node's replicas. */
  readonly apply: (entries: readonly KeyedEntry[]) => void;
  readonly wallNow: () => number;
}

/**
 * Runs a node's catch-up pass (the rules are in shared/catch-up.ts) and keeps
 * its progress in storage, so a node restarted mid-pass is still catching up
 * and resumes where it was, never serving reads it may not have.
 */
export class CatchUpRun {
  private state: CatchUp | undefined;

  constructor(private readonly deps: CatchUpDeps) {
    this.state = deps.kv.get<CatchUp>(STATE_KEY);
  }

  /** Whether the node is catching up: its read answers do not count toward a quorum. */
  get active(): boolean {
    return this.state !== undefined;
  }

  get progress(): CatchUpProgress | null {
    return this.state === undefined ? null : progressOf(this.state);
  }

  /** Starts a pass over `peers`; a pass already running goes on, from where it was, with these peers too. */
  begin(reason: CatchUpReason, peers: readonly string[]): void {
    this.save(this.state === undefined ? beginCatchUp(reason, peers, this.deps.wallNow()) : withPeers(this.state, peers));
  }

  /**
   * Pulls up to `pages` pages, from each pending peer in turn until it fails or
   * is done. `peers` are the ring's other members now (each is pulled from,
   * even one met after the pass began); a peer no longer among them (off the
   * ring) is skipped.
   * Returns true when the pass is over.
   */
  async step(peers: readonly string[], pages: number): Promise<boolean> {
    if (this.state === undefined) return true;
    let state = withPeers(this.state, peers);
    const members = new Set(peers);
    let budget = pages;
    for (const next of pending(state)) {
      if (!members.has(next.peer)) {
        state = skipPeer(state, next.peer);
        continue;
      }
      for (let pull: typeof next | undefined = next; pull !== undefined && budget > 0; budget--) {
        let page: CatchUpPage;
        try {
          page = await this.deps.pull(pull.peer, pull.part, pull.after);
        } catch {
          break; // Unreachable now: the others first, this one at the next step.
        }
        this.deps.apply(page.entries);
        state = afterPage(state, pull.peer, pull.part, page);
        this.save(state);
        pull = pending(state).find((p) => p.peer === next.peer);
      }
    }
    this.save(state);
    if (!caughtUp(state)) return false;
    this.state = undefined;
    this.deps.kv.delete(STATE_KEY);
    return true;
  }

  private save(state: CatchUp): void {
    this.state = state;
    this.deps.kv.put(STATE_KEY, state);
  }
}
