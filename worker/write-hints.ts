import type { Entry } from "../shared/entry";
import { fallbackFor } from "../shared/fallback";
import type { ReplicaClient } from "./coordinator";
import type { MembershipView } from "./membership";

/**
 * The hints of one write: for each home replica that is dead or did not take
 * it, the write is handed to a fallback node (shared/fallback.ts), each down
 * replica to a different one where the ring has enough members. A hint is
 * never an acknowledgement: the replica's failure stands, so W (every level,
 * `quorum` included) counts home replicas only, and a read quorum, which asks
 * home replicas only, always meets a replica that acknowledged.
 */
export class Hints {
  private readonly taken = new Set<string>();

  constructor(
    private readonly view: MembershipView,
    private readonly key: string,
    private readonly entry: Entry,
    private readonly replicas: ReplicaClient,
  ) {}

  /** Hints the write for `node`, then fails the node's call with `failure` all the same. */
  async instead(node: string, failure: unknown): Promise<never> {
    await this.hold(node);
    throw failure;
  }

  /** Hands the write for `node` to a fallback holder; settles either way. */
  async hold(node: string): Promise<void> {
    const holder = fallbackFor(this.view.ring, this.key, this.view.dead, this.taken);
    if (holder === undefined) return;
    this.taken.add(holder);
    // A hint that cannot be kept leaves the write to the replica's catch-up.
    await this.replicas.hint(holder, node, this.key, this.entry).catch(() => undefined);
  }
}
