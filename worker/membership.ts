import { Ring, type RingOptions } from "../shared/ring";
import type { MemberStatus } from "../shared/swim";
import { NO_ONE, readOrder, ringDigest, ringMembers } from "../shared/view";
import type { MembershipReply } from "../shared/wire";

/** The router's picture of the cluster at one moment, and the ring built from it. */
export interface MembershipView {
  readonly members: readonly MemberStatus[];
  readonly ring: Ring;
  /** `ringDigest` of the ring's members: replicas send theirs so a stale router notices. */
  readonly digest: string;
  /** The node that answered, when the view came from one. */
  readonly source: string | undefined;
  /** Members on the ring that SWIM declared dead: within the grace, their writes go to hints. */
  readonly dead: ReadonlySet<string>;
  readonly suspects: ReadonlySet<string>;
  /**
   * A key's replicas in the order to read them: dead ones left out, suspects
   * after the healthy, and `behind` (replicas still catching up) last.
   */
  readOrder(key: string, behind?: ReadonlySet<string>): readonly string[];
}

/**
 * Where the router learns the cluster's membership: the one seam between the
 * data path and membership.
 */
export interface MembershipSource {
  /** The current view; `fresh` skips the cache (an operator naming a node the cache may not know yet). */
  view(options?: { fresh?: boolean }): Promise<MembershipView>;
  /** A replica reported holding view `digest`; a source may refresh early if it differs. */
  observe(digest: string): void;
}

/**
 * A view from members and the ring's member names. `ring` is what the answering
 * node put on its ring (dead members within their grace included: only the node
 * knows when it declared them); without it, the alive and suspect members.
 * `previous`'s ring is reused when the ring's members are the same: a member
 * turning suspect or dead changes the view, not the ring.
 */
export function buildView(
  members: readonly MemberStatus[],
  options: RingOptions,
  source?: string,
  ring?: readonly string[],
  previous?: MembershipView,
): MembershipView {
  const names = ring === undefined ? ringMembers(members) : [...ring].sort();
  const digest = ringDigest(names);
  const built = previous?.digest === digest ? previous.ring : Ring.build(names, options);
  const onRing = new Set(names);
  const named = (state: MemberStatus["state"]) =>
    new Set(members.filter((m) => m.state === state && onRing.has(m.name)).map((m) => m.name));
  const suspects = named("suspect");
  const dead = named("dead");
  return {
    members,
    ring: built,
    digest,
    source,
    dead,
    suspects,
    readOrder: (key, behind = NO_ONE) => readOrder(built.preferenceList(key), { suspects, dead, behind }),
  };
}

export interface GossipMembershipOptions {
  /** Configured nodes: asked first, and the fallback when no view is known. */
  readonly seeds: readonly string[];
  readonly ring: RingOptions;
  readonly ttlMs: number;
  /** Asks one node for its view. */
  readonly ask: (node: string) => Promise<MembershipReply>;
  readonly now: () => number;
  readonly random: () => number;
}

/**
 * Membership as the ring nodes' SWIM protocol sees it. The router asks one live
 * node for its view and caches it for `ttlMs`; a replica reply carrying a
 * different view digest makes the cache expire early. If no node answers, the
 * last view (or the configured list) keeps serving: quorums then fail or succeed
 * on their own merits, which is what a client should see.
 *
 * Refreshes are never shared between requests. The Workers runtime cancels a
 * request that awaits a promise whose I/O belongs to another request ("code had
 * hung"), so a shared in-flight refresh would fail the requests awaiting it
 * that did not start it. So once a view is expired, the first request to
 * notice refreshes it itself while the others keep using the expired view
 * (stale-while-revalidate); only a request that finds no view at all waits, for
 * a refresh of its own.
 */
export class GossipMembership implements MembershipSource {
  private current: MembershipView | undefined;
  private expiresAt = 0;
  /** When the refresh in progress started; another may start if it is older than the TTL. */
  private refreshingSince: number | undefined;

  constructor(private readonly options: GossipMembershipOptions) {}

  async view(options?: { fresh?: boolean }): Promise<MembershipView> {
    const now = this.options.now();
    const current = this.current;
    if (current !== undefined && !options?.fresh) {
      if (now < this.expiresAt) return current;
      const busy = this.refreshingSince !== undefined && now - this.refreshingSince < Math.max(this.options.ttlMs, 1_000);
      if (busy) return current;
    }
    this.refreshingSince = now;
    try {
      return await this.refresh();
    } finally {
      this.refreshingSince = undefined;
    }
  }

  observe(digest: string): void {
    if (this.current !== undefined && digest !== "" && digest !== this.current.digest) this.expiresAt = 0;
  }

  private async refresh(): Promise<MembershipView> {
    let lastResort: MembershipReply | undefined;
    for (const node of this.candidates()) {
      try {
        const reply = await this.options.ask(node);
        if (reply.members.length === 0) continue; // a node not taking part knows nobody
        if (reply.catchingUp === true) {
          lastResort ??= reply;
          continue;
        }
        return this.adopt(reply);
      } catch {
        // Crashed or unreachable: ask the next.
      }
    }
    if (lastResort !== undefined) return this.adopt(lastResort);
    this.current ??= buildView(
      this.options.seeds.map((name) => ({ name, state: "alive", incarnation: 0 })),
      this.options.ring,
    );
    return this.current;
  }

  /** Takes `reply` as the current view (rebuilt only if it differs) for the next `ttlMs`. */
  private adopt(reply: MembershipReply): MembershipView {
    if (this.current === undefined || reply.digest !== this.current.digest || !sameStates(reply.members, this.current.members)) {
      this.current = buildView(reply.members, this.options.ring, reply.node, reply.ring, this.current);
    }
    this.expiresAt = this.options.now() + this.options.ttlMs;
    return this.current;
  }

  /** Live members of the last view first (in random order, to spread the load), then the seeds. */
  private candidates(): string[] {
    const live = (this.current?.members ?? []).filter((m) => m.state === "alive").map((m) => m.name);
    const shuffled = shuffle(live, this.options.random);
    return [...new Set([...shuffled, ...shuffle([...this.options.seeds], this.options.random)])];
  }
}

/** Whether two member lists give every member the same state (order aside). */
function sameStates(a: readonly MemberStatus[], b: readonly MemberStatus[]): boolean {
  if (a.length !== b.length) return false;
  const states = new Map(b.map((m) => [m.name, m.state]));
  return a.every((m) => states.get(m.name) === m.state);
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
