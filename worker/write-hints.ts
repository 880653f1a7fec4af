import type { Entry } from "../shared/entry";
import { fallbackFor } from "../shared/fallback";
import type { KeyedEntry } from "../shared/wire";
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
  readonly write: KeyedEntry;

  constructor(
    private readonly view: MembershipView,
    key: string,
    entry: Entry,
    private readonly replicas: ReplicaClient,
  ) {
    this.write = { key, entry };
  }

  /** Hints the write for `node`, then fails the node's call with `failure` all the same. */
  async instead(node: string, failure: unknown): Promise<never> {
    await this.hold(node);
    throw failure;
  }

  /** Hands the write for `node` to a fallback holder; settles either way. */
  async hold(node: string): Promise<void> {
    const holder = this.holderFor();
    if (holder !== undefined) await send(this.replicas, holder, node, [this.write]);
  }

  /** The next fallback holder of this write, one the write's other down replicas were not given; none when the ring has run out. */
  holderFor(): string | undefined {
    const holder = fallbackFor(this.view.ring, this.write.key, this.view.dead, this.taken);
    if (holder !== undefined) this.taken.add(holder);
    return holder;
  }
}

/**
 * Hands several writes for `node` (a batch's, each with its own `Hints`) to
 * their fallback holders in one call per holder, however many writes each
 * takes; settles either way. The writes are at most a batch's, so at most
 * MAX_HINT_WRITES per call.
 */
export async function holdAll(replicas: ReplicaClient, node: string, writes: readonly Hints[]): Promise<void> {
  const byHolder = new Map<string, KeyedEntry[]>();
  for (const hints of writes) {
    const holder = hints.holderFor();
    if (holder === undefined) continue;
    const held = byHolder.get(holder);
    if (held === undefined) byHolder.set(holder, [hints.write]);
    else held.push(hints.write);
  }
  await Promise.all([...byHolder].map(([holder, held]) => send(replicas, holder, node, held)));
}

/** A hint that cannot be kept leaves the writes to the replica's catch-up. */
function send(replicas: ReplicaClient, holder: string, node: string, writes: readonly KeyedEntry[]): Promise<void> {
  return replicas.hint(holder, node, writes).then(
    () => undefined,
    () => undefined,
  );
}
