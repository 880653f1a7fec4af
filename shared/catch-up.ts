import { invariant } from "./invariant";
import { entryBytes } from "./storage/entry-bytes";
import { compareKeys } from "./storage/key-order";
import type { CatchUpPage, CatchUpPart, KeyedEntry } from "./wire";

/**
 * A node's catch-up pass: the rules, without I/O.
 *
 * A node that joins, or comes back after SWIM declared it dead, may lack
 * acknowledged writes: they went to its peers (and, for a dead node, to hints).
 * It takes writes at once, but its read answers do not count toward a quorum
 * until it has pulled, from every peer on its ring, first the hints held for it
 * and then every entry whose preference list names it (Cassandra's pending
 * ranges, pulled rather than streamed). A peer is done when both parts are, or
 * when it is off the ring (its grace ended, or it left): a peer that is merely
 * dead is waited for, because the node's own verdicts may be the wrong ones.
 */
export type CatchUpReason = "joining" | "recovering";

export type PeerProgress = { readonly part: CatchUpPart; readonly after: string } | "done";

export interface CatchUp {
  readonly reason: CatchUpReason;
  /** Wall time it began (ms): how long catching up took is shown, never used for a decision. */
  readonly startedAt: number;
  readonly peers: Readonly<Record<string, PeerProgress>>;
  /** Entries received so far (applied or already held). */
  readonly received: number;
}

export function beginCatchUp(reason: CatchUpReason, peers: Iterable<string>, startedAt: number): CatchUp {
  const progress: Record<string, PeerProgress> = {};
  for (const peer of peers) progress[peer] = { part: "hints", after: "" };
  return { reason, startedAt, peers: progress, received: 0 };
}

/** The state with `peers` it did not know of yet (ring members met after it began) to pull from too. */
export function withPeers(state: CatchUp, peers: Iterable<string>): CatchUp {
  const added = [...peers].filter((peer) => state.peers[peer] === undefined);
  if (added.length === 0) return state;
  const progress: Record<string, PeerProgress> = { ...state.peers };
  for (const peer of added) progress[peer] = { part: "hints", after: "" };
  return { ...state, peers: progress };
}

/** The peers still to pull from, each with where its next page starts. */
export function pending(state: CatchUp): { peer: string; part: CatchUpPart; after: string }[] {
  return Object.entries(state.peers).flatMap(([peer, p]) => (p === "done" ? [] : [{ peer, ...p }]));
}

/** The next page to ask for, or undefined when every peer is done. */
export function nextPull(state: CatchUp): { peer: string; part: CatchUpPart; after: string } | undefined {
  return pending(state)[0];
}

/** The state after `peer` answered a page of `part`. */
export function afterPage(state: CatchUp, peer: string, part: CatchUpPart, page: CatchUpPage): CatchUp {
  const progress = state.peers[peer];
  invariant(progress !== undefined && progress !== "done" && progress.part === part, "a page answers the pull that asked for it");
  invariant(page.next === null || compareKeys(page.next, progress.after) > 0, "a peer's cursor only moves forward");
  const next: PeerProgress = page.next !== null ? { part, after: page.next } : part === "hints" ? { part: "replicas", after: "" } : "done";
  return { ...state, peers: { ...state.peers, [peer]: next }, received: state.received + page.entries.length };
}

/** The state once `peer` need not be asked: it is off the ring. */
export function skipPeer(state: CatchUp, peer: string): CatchUp {
  if (state.peers[peer] === undefined || state.peers[peer] === "done") return state;
  return { ...state, peers: { ...state.peers, [peer]: "done" } };
}

export function caughtUp(state: CatchUp): boolean {
  return nextPull(state) === undefined;
}

/** What `/cluster` shows of a catch-up in progress. */
export interface CatchUpProgress {
  readonly state: CatchUpReason;
  readonly peers: number;
  readonly peersDone: number;
  readonly received: number;
  readonly startedAt: number;
}

export function progressOf(state: CatchUp): CatchUpProgress {
  const all = Object.values(state.peers);
  return {
    state: state.reason,
    peers: all.length,
    peersDone: all.filter((p) => p === "done").length,
    received: state.received,
    startedAt: state.startedAt,
  };
}

/** The most bytes of entries one page carries: far under Workers RPC's 32 MiB, whatever the values' sizes. */
export const PAGE_BYTES = 4 * 1024 * 1024;

/**
 * One page from `scanned` (rows read in key order, at most `limit`): the ones
 * `keep` picks, until the next would take the page past `maxBytes` (a first
 * entry always goes, so a page always moves on). `next` is the last key the
 * page covers, or null when it covers the rest of the part.
 */
export function pageOf(scanned: readonly KeyedEntry[], limit: number, keep: (key: string) => boolean, maxBytes = PAGE_BYTES): CatchUpPage {
  const entries: KeyedEntry[] = [];
  let bytes = 0;
  for (const [i, item] of scanned.entries()) {
    if (!keep(item.key)) continue;
    const size = entryBytes(item.key, item.entry);
    if (entries.length > 0 && bytes + size > maxBytes) return { entries, next: scanned[i - 1]!.key };
    entries.push(item);
    bytes += size;
  }
  const last = scanned[scanned.length - 1];
  return { entries, next: scanned.length === limit && last !== undefined ? last.key : null };
}
