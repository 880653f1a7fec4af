/**
 * Which replicas said they are still catching up, as this router isolate
 * last heard: a read asks them last and does not count their answers. A mark
 * lasts `ttlMs` or until the node answers without the flag, so a node that has
 * caught up is soon read in its place again.
 */
export class CatchingUpNodes {
  private readonly until = new Map<string, number>();
  private snapshot: ReadonlySet<string> = new Set();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = 2_000,
    private readonly maxNodes = 1024,
  ) {}

  /** Records what a reply from `node` said. */
  heard(node: string, catchingUp: boolean): void {
    if (catchingUp) {
      if (!this.until.has(node) && this.until.size >= this.maxNodes) return;
      this.until.set(node, this.now() + this.ttlMs);
      this.snapshot = new Set(this.until.keys());
    } else if (this.until.delete(node)) {
      this.snapshot = new Set(this.until.keys());
    }
  }

  /** The nodes marked now. */
  current(): ReadonlySet<string> {
    if (this.until.size === 0) return this.snapshot;
    const now = this.now();
    let expired = false;
    for (const [node, at] of this.until) {
      if (at <= now) {
        this.until.delete(node);
        expired = true;
      }
    }
    if (expired) this.snapshot = new Set(this.until.keys());
    return this.snapshot;
  }
}
