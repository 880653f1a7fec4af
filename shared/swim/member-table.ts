import type { Status } from "./rules";
import type { MemberState } from "./types";

/**
 * State codes in the table's column. Alive is 0 so that a freshly seeded table
 * (everyone alive at incarnation 0) is all zeroes and needs no writes: untouched
 * pages of a large zeroed buffer cost nothing, and touching them is most of the
 * cost of a 10,000-member simulation.
 */
const ALIVE = 0;
const SUSPECT = 1;
const DEAD = 2;
const EMPTY = 4;
const STATES: readonly (MemberState | undefined)[] = ["alive", "suspect", "dead", "left", undefined];
const CODES: Readonly<Record<MemberState, number>> = { alive: 0, suspect: 1, dead: 2, left: 3 };

function isLiveCode(code: number): boolean {
  return code === ALIVE || code === SUSPECT;
}

/** A grave (a dead or left member kept in the table) and when it was made: the one time the protocol needs to remember (for reaping). */
interface Grave {
  readonly name: string;
  readonly state: MemberState;
  readonly incarnation: number;
  readonly since: number;
}

/** A seed list without duplicates, and each name's position (slot) in it. */
interface SeedList {
  readonly names: readonly string[];
  readonly slots: ReadonlyMap<string, number>;
}

/**
 * Seed lists by identity. Every member of a statically configured cluster is
 * seeded with the same list, and each table would otherwise build the same
 * n-entry map: a simulated cluster of 10,000 members would need 10^8 entries,
 * minutes and gigabytes. A frozen list cannot change under us, so its index is
 * built once and shared.
 */
const seedLists = new WeakMap<readonly string[], SeedList>();

function seedList(names: readonly string[]): SeedList {
  const cached = seedLists.get(names);
  if (cached !== undefined) return cached;
  const distinct = Object.freeze([...new Set(names)]);
  const list = { names: distinct, slots: new Map(distinct.map((name, slot) => [name, slot])) };
  if (Object.isFrozen(names)) seedLists.set(names, list);
  return list;
}

const NO_SEEDS: SeedList = { names: [], slots: new Map() };

/**
 * Every other member we know of, and the probe order over them.
 *
 * Sized for tens of thousands of members. Each member has a slot: seeded ones
 * their seed-list position, later ones a slot of their own past those. State
 * and incarnation are columns of typed arrays, and the probe order is an array
 * of slots: a table of n members is one flat buffer, which the garbage collector
 * never has to walk (the simulator holds 10,000 such tables). A lookup is one or two Map accesses; the next probe target and a
 * random sample of k members are O(1) expected, with no copy of the member
 * list; the O(n) reshuffle happens once per n probes.
 */
export class MemberTable {
  private seeds = NO_SEEDS;
  private readonly extraSlots = new Map<string, number>();
  /** Names of the slots past the seed list. */
  private readonly extraNames: (string | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  /** Slots in use (seeded and extra); the columns may be longer. */
  private slots = 0;
  private states = new Uint8Array(0);
  private incarnations = new Float64Array(0);
  /** Probe order: the slot of every known member once, reshuffled after each full pass. Same capacity as the columns. */
  private order = new Int32Array(0);
  private orderLength = 0;
  private cursor = 0;
  private live = 0;
  private dead = 0;
  /**
   * Graves in the order they were made, for reaping and reconnect attempts;
   * an entry whose member has changed state since is skipped.
   */
  private readonly graves: Grave[] = [];
  private gravesHead = 0;

  constructor(
    private readonly self: string,
    private readonly random: () => number,
  ) {}

  /** Alive and suspect members, not counting ourselves. */
  get liveCount(): number {
    return this.live;
  }

  /** Members held dead (not left). */
  get deadCount(): number {
    return this.dead;
  }

  get(name: string): Status | undefined {
    const slot = this.slotOf(name);
    if (slot === undefined) return undefined;
    const state = STATES[this.states[slot]!];
    return state && { state, incarnation: this.incarnations[slot]! };
  }

  /** @param now when the member entered this state: graves are reaped by age. */
  set(name: string, status: Status, now: number): void {
    if (name === this.self) throw new Error("a member does not hold a record of itself");
    const slot = this.slotOf(name) ?? this.newSlot(name);
    const previous = this.states[slot]!;
    const code = CODES[status.state];
    this.states[slot] = code;
    this.incarnations[slot] = status.incarnation;
    if (previous === EMPTY) this.insertIntoOrder(slot);
    this.live += (isLiveCode(code) ? 1 : 0) - (isLiveCode(previous) ? 1 : 0);
    this.dead += (code === DEAD ? 1 : 0) - (previous === DEAD ? 1 : 0);
    if (!isLiveCode(code)) this.graves.push({ name, state: status.state, incarnation: status.incarnation, since: now });
  }

  /** Adds the names we do not know yet as alive at incarnation 0. */
  seed(names: readonly string[], now: number): void {
    // A table that ever held a member takes names one by one: its slots (free ones included) are in use.
    if (this.seeds !== NO_SEEDS || this.slots > 0) {
      for (const name of names) {
        if (name !== this.self && this.get(name) === undefined) this.set(name, { state: "alive", incarnation: 0 }, now);
      }
      return;
    }
    this.seeds = seedList(names);
    const n = this.seeds.names.length;
    this.grow(n);
    this.slots = n;
    const selfSlot = this.seeds.slots.get(this.self);
    if (selfSlot !== undefined) this.states[selfSlot] = EMPTY;
    for (let slot = 0; slot < n; slot++) if (slot !== selfSlot) this.order[this.orderLength++] = slot;
    this.live = this.orderLength;
    // Shuffle before the first probe, or every member would probe in list order.
    this.cursor = this.orderLength;
  }

  /** Calls `fn` for every member we know, graves included. */
  forEach(fn: (name: string, state: MemberState, incarnation: number) => void): void {
    for (let slot = 0; slot < this.slots; slot++) {
      const state = STATES[this.states[slot]!];
      if (state !== undefined) fn(this.nameOf(slot), state, this.incarnations[slot]!);
    }
  }

  /** Graves that are still current, oldest first. */
  currentGraves(): Grave[] {
    const current: Grave[] = [];
    for (let i = this.gravesHead; i < this.graves.length; i++) {
      const grave = this.graves[i]!;
      if (this.isCurrent(grave)) current.push(grave);
    }
    return current;
  }

  /**
   * Round-robin over a random permutation, reshuffled after each pass: every live
   * member is probed within one pass (SWIM's time-bounded completeness) while
   * the order stays unpredictable. The rest of a pass and one whole pass are
   * looked at, at most: a live member is in every pass.
   */
  nextProbeTarget(): string | undefined {
    if (this.live === 0) return undefined;
    for (let seen = 0; seen < 2 * this.orderLength; seen++) {
      if (this.cursor >= this.orderLength) {
        this.shuffle();
        this.cursor = 0;
      }
      if (this.orderLength === 0) return undefined;
      const slot = this.order[this.cursor++]!;
      if (isLiveCode(this.states[slot]!)) return this.nameOf(slot);
    }
    return undefined;
  }

  /**
   * Up to k distinct live members not excluded, chosen at random: O(k) expected
   * by rejection sampling while most members are eligible. When few are (a small
   * cluster, a mass failure) a scan from a random position finishes the job, so
   * we never return fewer than exist.
   */
  sample(k: number, exclude: (name: string) => boolean): string[] {
    const picked: string[] = [];
    const n = this.orderLength;
    const consider = (slot: number) => {
      if (!isLiveCode(this.states[slot]!)) return;
      const name = this.nameOf(slot);
      if (!exclude(name) && !picked.includes(name)) picked.push(name);
    };
    for (let tries = 0; tries < 4 * k && picked.length < k; tries++) consider(this.order[Math.floor(this.random() * n)]!);
    const start = Math.floor(this.random() * n);
    for (let i = 0; i < n && picked.length < k; i++) consider(this.order[(start + i) % n]!);
    return picked;
  }

  /**
   * A random member we hold as dead (not left), if there is one: a partition
   * heals by talking to one. A few random picks among the graves, then a scan
   * from a random one, as `sample` does: the graves may be mostly left members.
   */
  randomDead(): string | undefined {
    const count = this.graves.length - this.gravesHead;
    if (this.dead === 0 || count === 0) return undefined;
    const isDead = (grave: Grave) => grave.state === "dead" && this.isCurrent(grave);
    for (let tries = 0; tries < 8; tries++) {
      const grave = this.graves[this.gravesHead + Math.floor(this.random() * count)]!;
      if (isDead(grave)) return grave.name;
    }
    const start = Math.floor(this.random() * count);
    for (let i = 0; i < count; i++) {
      const grave = this.graves[this.gravesHead + ((start + i) % count)]!;
      if (isDead(grave)) return grave.name;
    }
    return undefined;
  }

  /** Forgets graves older than `ageMs`. Each is removed once, so the O(n) removal is rare. */
  reap(now: number, ageMs: number): void {
    while (this.gravesHead < this.graves.length) {
      const grave = this.graves[this.gravesHead]!;
      if (grave.since + ageMs > now) break;
      this.gravesHead++;
      if (this.isCurrent(grave)) this.remove(grave.name, this.slotOf(grave.name)!);
    }
    if (this.gravesHead > 64 && this.gravesHead * 2 > this.graves.length) {
      this.graves.splice(0, this.gravesHead);
      this.gravesHead = 0;
    }
  }

  /** A grave is never replaced by one of the same state and incarnation, so these identify it. */
  private isCurrent(grave: Grave): boolean {
    const record = this.get(grave.name);
    return record?.state === grave.state && record.incarnation === grave.incarnation;
  }

  private slotOf(name: string): number | undefined {
    return this.seeds.slots.get(name) ?? this.extraSlots.get(name);
  }

  private nameOf(slot: number): string {
    const seeded = this.seeds.names.length;
    return slot < seeded ? this.seeds.names[slot]! : this.extraNames[slot - seeded]!;
  }

  private newSlot(name: string): number {
    const seeded = this.seeds.names.length;
    const slot = this.freeSlots.pop() ?? this.slots++;
    this.extraNames[slot - seeded] = name;
    this.extraSlots.set(name, slot);
    this.grow(this.slots);
    this.states[slot] = EMPTY;
    return slot;
  }

  private remove(name: string, slot: number): void {
    if (this.states[slot] === DEAD) this.dead--;
    this.states[slot] = EMPTY;
    if (this.extraSlots.delete(name)) {
      this.extraNames[slot - this.seeds.names.length] = undefined;
      this.freeSlots.push(slot);
    }
    const index = this.order.subarray(0, this.orderLength).indexOf(slot);
    this.order.copyWithin(index, index + 1, this.orderLength);
    this.orderLength--;
    if (index < this.cursor) this.cursor--;
  }

  /** At a random position, as memberlist does, so a newcomer is not always probed last. */
  private insertIntoOrder(slot: number): void {
    const index = Math.floor(this.random() * (this.orderLength + 1));
    this.order[this.orderLength++] = this.order[index]!;
    this.order[index] = slot;
  }

  private shuffle(): void {
    const order = this.order;
    for (let i = this.orderLength - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      const swap = order[i]!;
      order[i] = order[j]!;
      order[j] = swap;
    }
  }

  /**
   * Makes room for `slots` slots. All columns share one buffer: allocating
   * thousands of separate typed arrays is an order of magnitude slower.
   */
  private grow(slots: number): void {
    const previous = this.states.length;
    if (slots <= previous) return;
    const capacity = Math.max(slots, 2 * previous, 8);
    const buffer = new ArrayBuffer(capacity * (8 + 4 + 1));
    const incarnations = new Float64Array(buffer, 0, capacity);
    const order = new Int32Array(buffer, 8 * capacity, capacity);
    const states = new Uint8Array(buffer, 12 * capacity, capacity);
    incarnations.set(this.incarnations);
    order.set(this.order);
    states.set(this.states);
    this.incarnations = incarnations;
    this.order = order;
    this.states = states;
  }
}
