/**
 * The simulator's event queue: a binary min-heap on (time, insertion order).
 * Ties in time pop in insertion order, which keeps runs deterministic.
 * Parallel arrays rather than one object per entry: it holds tens of thousands
 * of events at a time and churns millions per simulated minute.
 */
export class EventQueue<T> {
  private readonly times: number[] = [];
  private readonly orders: number[] = [];
  private readonly items: T[] = [];
  private inserted = 0;

  /** Time of the earliest event, if any. */
  peekTime(): number | undefined {
    return this.times[0];
  }

  push(time: number, item: T): void {
    const order = this.inserted++;
    this.times.push(time);
    this.orders.push(order);
    this.items.push(item);
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(time, order, this.times[parent]!, this.orders[parent]!)) break;
      this.move(parent, i);
      i = parent;
    }
    this.put(i, time, order, item);
  }

  /** Removes and returns the earliest event. */
  pop(): T | undefined {
    const top = this.items[0];
    if (top === undefined) return undefined;
    // Sift the last entry down from the root.
    const time = this.times.pop()!;
    const order = this.orders.pop()!;
    const item = this.items.pop()!;
    const n = this.items.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && less(this.times[right]!, this.orders[right]!, this.times[child]!, this.orders[child]!)) child = right;
      if (!less(this.times[child]!, this.orders[child]!, time, order)) break;
      this.move(child, i);
      i = child;
    }
    this.put(i, time, order, item);
    return top;
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from]!;
    this.orders[to] = this.orders[from]!;
    this.items[to] = this.items[from]!;
  }

  private put(i: number, time: number, order: number, item: T): void {
    this.times[i] = time;
    this.orders[i] = order;
    this.items[i] = item;
  }
}

function less(t1: number, o1: number, t2: number, o2: number): boolean {
  return t1 < t2 || (t1 === t2 && o1 < o2);
}
