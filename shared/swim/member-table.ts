import type { MemberState } from "./types";

/** Our view of one other member. */
export interface MemberRecord {
  readonly state: MemberState;
  readonly incarnation: number;
  /** When it entered this state, in the host's clock. */
  readonly since: number;
}

/** State codes in the table's column; 0 is an empty slot. */
const EMPTY = 0;
const ALIVE = 1;
const SUSPECT = 2;
const STATES: readonly (MemberState | undefined)[] = [undefined, "alive", "suspect", "dead", "left"];
const CODES: Readonly<Record<MemberState, number>> = { alive: 1, suspect: 2, dead: 3, left: 4 };

function isLiveCode(code: number): boolean {
  return code === ALIVE || code === SUSPECT;
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
 * their seed-list position, later ones a slot of their own past those. State,
 * incarnation and time of change are columns of typed arrays, and the probe
 * order is an array of slots: a table of n members is a few flat arrays, which
 * the garbage collector never has to walk (the simulator holds 10,000 such
 * tables). A lookup is one or two Map accesses; the next probe target and a
 * random sample of k members are O(1) expected, with no copy of the member
 * list; the O(n) reshuffle happens once per n probes.
 */
export class MemberTable {
  private seeds = NO_SEEDS;
  private readonly extraSlots = new Map<string, number>();
  /** Names of the slots past the seed list. */
  private readonly extraNames: (string | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private states = new Uint8Array(0);
  private incarnations = new Float64Array(0);
  private sinces = new Float64Array(0);
  /** Probe order: the slot of every known member once, reshuffled after each full pass. */
  private order = new Int32Array(0);
  private orderLength = 0;
  private cursor = 0;
  private live = 0;
  /**
   * Tombstones in the order they were made, for reaping and reconnect attempts;
   * an entry whose member has changed state since is skipped.
   */
  private readonly graves: { readonly name: string; readonly since: number }[] = [];
  private gravesHead = 0;

  constructor(
    private readonly self: string,
    private readonly random: () => number,
  ) {}

  /** Alive and suspect members, not counting ourselves. */
  get liveCount(): number {
    return this.live;
  }

  get(name: string): MemberRecord | undefined {
    const slot = this.slotOf(name);
    if (slot === undefined) return undefined;
    const state = STATES[this.states[slot]!];
    return state && { state, incarnation: this.incarnations[slot]!, since: this.sinces[slot]! };
  }

  set(name: string, record: MemberRecord): void {
    if (name === this.self) throw new Error("a member does not hold a record of itself");
    const slot = this.slotOf(name) ?? this.newSlot(name);
    const previous = this.states[slot]!;
    const code = CODES[record.state];
    this.states[slot] = code;
    this.incarnations[slot] = record.incarnation;
    this.sinces[slot] = record.since;
    if (previous === EMPTY) this.insertIntoOrder(slot);
    this.live += (isLiveCode(code) ? 1 : 0) - (isLiveCode(previous) ? 1 : 0);
    if (!isLiveCode(code)) this.graves.push({ name, since: record.since });
  }

  /** Adds the names we do not know yet as alive at incarnation 0. */
  seed(names: readonly string[], now: number): void {
    if (this.seeds !== NO_SEEDS || this.extraSlots.size > 0) {
      for (const name of names) {
        if (name !== this.self && this.get(name) === undefined) this.set(name, { state: "alive", incarnation: 0, since: now });
      }
      return;
    }
    this.seeds = seedList(names);
    const n = this.seeds.names.length;
    this.grow(n);
    this.states.fill(ALIVE, 0, n);
    this.sinces.fill(now, 0, n);
    const selfSlot = this.seeds.slots.get(this.self);
    if (selfSlot !== undefined) this.states[selfSlot] = EMPTY;
    this.order = new Int32Array(n);
    for (let slot = 0; slot < n; slot++) if (slot !== selfSlot) this.order[this.orderLength++] = slot;
    this.live = this.orderLength;
    // Shuffle before the first probe, or every member would probe in list order.
    this.cursor = this.orderLength;
  }

  /** Calls `fn` for every member we know, tombstones included. */
  forEach(fn: (name: string, state: MemberState, incarnation: number, since: number) => void): void {
    for (let slot = 0; slot < this.states.length; slot++) {
      const state = STATES[this.states[slot]!];
      if (state !== undefined) fn(this.nameOf(slot), state, this.incarnations[slot]!, this.sinces[slot]!);
    }
  }

  /**
   * Round-robin over a random permutation, reshuffled after each pass: every live
   * member is probed within one pass (SWIM's time-bounded completeness) while
   * the order stays unpredictable.
   */
  nextProbeTarget(): string | undefined {
    for (let seen = 0; seen <= this.orderLength; seen++) {
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
   * Up to k distinct live members not excluded, chosen uniformly by rejection
   * sampling: O(k) expected while most members are live, and bounded at 3n tries
   * (memberlist's kRandomNodes) when they are not.
   */
  sample(k: number, exclude: (name: string) => boolean): string[] {
    const picked: string[] = [];
    const n = this.orderLength;
    for (let tries = 0; tries < 3 * n && picked.length < k; tries++) {
      const slot = this.order[Math.floor(this.random() * n)]!;
      if (!isLiveCode(this.states[slot]!)) continue;
      const name = this.nameOf(slot);
      if (!exclude(name) && !picked.includes(name)) picked.push(name);
    }
    return picked;
  }

  /** A random member we hold as dead (not left): a partition heals by talking to one. */
  randomDead(): string | undefined {
    const count = this.graves.length - this.gravesHead;
    for (let tries = 0; tries < 8 && count > 0; tries++) {
      const grave = this.graves[this.gravesHead + Math.floor(this.random() * count)]!;
      const record = this.get(grave.name);
      if (record?.state === "dead" && record.since === grave.since) return grave.name;
    }
    return undefined;
  }

  /** Forgets tombstones older than `ageMs`. Each is removed once, so the O(n) removal is rare. */
  reap(now: number, ageMs: number): void {
    while (this.gravesHead < this.graves.length) {
      const grave = this.graves[this.gravesHead]!;
      if (grave.since + ageMs > now) break;
      this.gravesHead++;
      const slot = this.slotOf(grave.name);
      if (slot !== undefined && !isLiveCode(this.states[slot]!) && this.sinces[slot] === grave.since) {
        this.remove(grave.name, slot);
      }
    }
    if (this.gravesHead > 64 && this.gravesHead * 2 > this.graves.length) {
      this.graves.splice(0, this.gravesHead);
      this.gravesHead = 0;
    }
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
    const slot = this.freeSlots.pop() ?? seeded + this.extraNames.length;
    this.extraNames[slot - seeded] = name;
    this.extraSlots.set(name, slot);
    this.grow(slot + 1);
    return slot;
  }

  private remove(name: string, slot: number): void {
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
    if (this.orderLength === this.order.length) this.order = resized(this.order, Math.max(8, 2 * this.order.length));
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

  /** Makes room for `slots` slots. */
  private grow(slots: number): void {
    if (slots <= this.states.length) return;
    const capacity = Math.max(slots, 2 * this.states.length, 8);
    this.states = resized(this.states, capacity);
    this.incarnations = resized(this.incarnations, capacity);
    this.sinces = resized(this.sinces, capacity);
  }
}

function resized<T extends Uint8Array | Int32Array | Float64Array>(array: T, length: number): T {
  const next = new (array.constructor as new (length: number) => T)(length);
  next.set(array.subarray(0, Math.min(array.length, length)));
  return next;
}
