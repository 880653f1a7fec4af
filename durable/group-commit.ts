/** Writes in one batch at most: bounds a turn's length and a queued write's wait. */
export const MAX_BATCH = 64;

/**
 * Group commit: the writes that reach a node at about the same time share one
 * storage commit.
 *
 * An object's storage commits once per turn in which it wrote, and the commit,
 * not the statement, is what a write costs: a turn that writes costs far more CPU
 * than a further upsert in the same turn (docs/performance.md, "Optimisations", 4).
 * Each replica write arriving over RPC runs in a turn of its own, so without
 * grouping every write would pay a whole commit.
 *
 * So, under load, writes are queued, and the queue is applied in a later
 * macrotask: the writes that arrived in the meantime (other requests' calls,
 * delivered while the object's input gate is open) join the same batch, run in
 * one turn and share its implicit transaction. Nothing changes for durability:
 * the object's output gate holds every reply sent after that turn, the
 * acknowledgements of the batch included, until its commit is confirmed, so an
 * acknowledged write is still never lost. A queued write is not acknowledged; a
 * reset before its batch runs loses it as it would lose a call in flight.
 *
 * Deferring costs a timer, and a timer's turn costs about as much as the commit
 * it saves, so with one client writing at a time, always deferring would make
 * writes slower. So a write is applied at once unless the node is busy: another write
 * already arrived in the same millisecond of `Date.now()` (which in workerd
 * only moves between events), or the last batch held more than one write. A batch of one write
 * means the load has passed, and writes are applied at once again.
 *
 * A queued write must not wait long, or it misses the router's replica timeout.
 * Under overload the timer's turn comes only after everything the runtime has
 * already queued, past the replica timeout (docs/performance.md). So the queue is also applied by the
 * next read that reaches the node (`flush`), and at once when it holds
 * `MAX_BATCH` writes: a queued write waits for the timer or the next read,
 * whichever comes first.
 *
 * `defer` and `now` are injected so that the rule runs in unit tests without timers.
 */
export class GroupCommit<W, R> {
  private queue: Pending<W, R>[] = [];
  private totals = { writes: 0, commits: 0 };
  /** Whether writes are being grouped: set by a burst, cleared by a batch of one. */
  private busy = false;
  private lastImmediate: number | undefined;

  constructor(
    /** Applies one write; runs inside the batch's turn. A throw fails that write only. */
    private readonly apply: (write: W) => R,
    /** Runs `flush` in a later macrotask (`setTimeout(fn, 0)` in an object). */
    private readonly defer: (flush: () => void) => void,
    /** The time whose ticks tell a burst: `Date.now` in an object. */
    private readonly now: () => number,
  ) {}

  /** Applies a write now, or queues it with the others; settles with its outcome once applied. */
  submit(write: W): Promise<R> {
    if (this.queue.length === 0 && !this.busy) {
      const now = this.now();
      if (now !== this.lastImmediate) {
        this.lastImmediate = now;
        this.totals.commits++;
        this.totals.writes++;
        try {
          return Promise.resolve(this.apply(write));
        } catch (error) {
          return Promise.reject(error);
        }
      }
      this.busy = true;
    }
    return new Promise<R>((resolve, reject) => {
      const queued = this.queue.push({ write, resolve, reject });
      if (queued === 1) this.defer(() => this.flush());
      else if (queued >= MAX_BATCH) this.flush();
    });
  }

  /** Writes applied and batches run since the object started: their ratio is the mean batch size. */
  get stats(): { readonly writes: number; readonly commits: number } {
    return { ...this.totals };
  }

  /**
   * Applies the queued writes now, if any: run by the timer, by a full batch,
   * and by another event reaching the node (a read), so that queued writes
   * never wait behind it for the timer.
   */
  flush(): void {
    const batch = this.queue;
    // Already applied by a read or by a full batch; the timer has nothing left to do.
    if (batch.length === 0) return;
    this.queue = [];
    if (batch.length === 1) this.busy = false;
    this.totals.commits++;
    this.totals.writes += batch.length;
    // In arrival order: two writes of one key in a batch meet the same merge rule
    // as they would one turn apart.
    for (const { write, resolve, reject } of batch) {
      try {
        resolve(this.apply(write));
      } catch (error) {
        reject(error);
      }
    }
  }
}

interface Pending<W, R> {
  readonly write: W;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}
