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
import type { CatchUpPart, CatchUpReply, KeyedEntry } from "../shared/wire";
import { KV_KEYS } from "./schema";

const STATE_KEY = KV_KEYS.catchUp;

/** The part of the object's synchronous KV storage the pass keeps its progress in. */
export interface ProgressStore {
  get<T>(key: string): T | undefined;
  put(key: string, value: unknown): void;
  delete(key: string): unknown;
}

export interface CatchUpDeps {
  readonly kv: ProgressStore;
  /** One page from a peer; throws when the peer cannot be reached. */
  readonly pull: (peer: string, part: CatchUpPart, after: string) => Promise<CatchUpReply>;
  /**
   * Whether a page counts: the peer must have held this node's ring long enough
   * for the routers to know it too, or it may still take writes this node misses.
   */
  readonly counts: (page: CatchUpReply) => boolean;
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
  /** Which pass this is: a page that arrives for an earlier one (abandoned, maybe begun again since) is dropped. */
  private pass = 0;

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
    if (this.state === undefined) this.pass++;
    this.save(this.state === undefined ? beginCatchUp(reason, peers, this.deps.wallNow()) : withPeers(this.state, peers));
  }

  /**
   * Pulls from the pending peers in parallel, up to `pages` pages each, each
   * peer until it fails, is done, or answers with a page that does not count
   * yet. `peers` are the ring's other members now (each is pulled from, even one
   * met after the pass began); a peer no longer among them (off the ring) is
   * skipped, and one `askable` rules out (dead in this node's view) is left
   * pending without a call. Returns true when the pass is over.
   */
  async step(peers: readonly string[], pages: number, askable: (peer: string) => boolean): Promise<boolean> {
    if (this.state === undefined) return true;
    const pass = this.pass;
    this.state = withPeers(this.state, peers);
    const members = new Set(peers);
    for (const { peer } of pending(this.state)) if (!members.has(peer)) this.state = skipPeer(this.state, peer);
    await Promise.all(
      pending(this.state)
        .filter(({ peer }) => askable(peer))
        .map(({ peer }) => this.pullFrom(peer, pass, pages)),
    );
    // Abandoned while the pages were on their way (the node left, and may have begun a new pass since).
    if (this.state === undefined || this.pass !== pass) return this.state === undefined;
    const state = this.state;
    this.save(state);
    if (!caughtUp(state)) return false;
    this.state = undefined;
    this.deps.kv.delete(STATE_KEY);
    return true;
  }

  /** Up to `pages` pages from `peer`; each one applied and its progress saved as it arrives. */
  private async pullFrom(peer: string, pass: number, pages: number): Promise<void> {
    for (let i = 0; i < pages; i++) {
      const pull = this.state === undefined ? undefined : pending(this.state).find((p) => p.peer === peer);
      if (pull === undefined) return;
      let page: CatchUpReply;
      try {
        page = await this.deps.pull(peer, pull.part, pull.after);
      } catch {
        return; // Unreachable now: this one at the next step.
      }
      // A pass abandoned while the page was on its way keeps nothing of it.
      if (this.state === undefined || this.pass !== pass) return;
      this.deps.apply(page.entries);
      if (!this.deps.counts(page)) return;
      this.save(afterPage(this.state, peer, pull.part, page));
    }
  }

  /** Ends a pass without finishing it: the node left, and has nothing to catch up on (a rejoin begins a new pass). */
  abandon(): void {
    this.pass++;
    this.state = undefined;
    this.deps.kv.delete(STATE_KEY);
  }

  private save(state: CatchUp): void {
    this.state = state;
    this.deps.kv.put(STATE_KEY, state);
  }
}
