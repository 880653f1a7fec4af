/**
 * The last few membership events a node saw, for operators (`GET /cluster`,
 * the dashboard). A fixed-size ring buffer: memory stays bounded however long
 * the node runs, and the newest events are the ones an operator asks about.
 */
export interface RecentEvent {
  /** The member the event is about. */
  readonly member: string;
  readonly type: string;
  readonly incarnation: number;
  /** Wall time in ms when the node saw it. */
  readonly at: number;
}

export const RECENT_EVENTS = 32;

export class RecentEvents {
  private readonly slots: RecentEvent[] = [];
  private next = 0;

  constructor(private readonly capacity = RECENT_EVENTS) {}

  add(event: RecentEvent): void {
    if (this.slots.length < this.capacity) this.slots.push(event);
    else this.slots[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  list(): RecentEvent[] {
    if (this.slots.length < this.capacity) return [...this.slots];
    return [...this.slots.slice(this.next), ...this.slots.slice(0, this.next)];
  }
}
