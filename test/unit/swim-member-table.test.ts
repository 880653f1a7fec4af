import { describe, expect, it } from "vitest";
import { MemberTable } from "../../shared/swim/member-table";
import type { Status } from "../../shared/swim/rules";
import type { MemberState } from "../../shared/swim/types";
import { Rng } from "../../sim/random";

// The table is the store under Membership: it holds what it is told (the precedence rules are
// applied before, in rules.ts / membership.ts, and specified in swim-rules.test.ts), counts,
// lists graves, reaps them, and owns the probe order and random samples. swim-member.test.ts
// covers a pass of probes over an all-alive cluster and reaping at deadRetentionMs through
// SwimMember; the cases below are the table's own.

const at = (state: MemberState, incarnation: number): Status => ({ state, incarnation });

/**
 * A random source close to 1: Fisher-Yates then leaves the order as it is, and a newcomer goes in
 * last, so a test can know the probe order. Values given are used first, in order.
 */
function scripted(...values: number[]): () => number {
  return () => values.shift() ?? 0.999999;
}

/** Every record, sorted by name, as "name state@incarnation". */
function listing(table: MemberTable): string[] {
  const all: string[] = [];
  table.forEach((name, state, incarnation) => all.push(`${name} ${state}@${incarnation}`));
  return all.sort();
}

const probes = (table: MemberTable, count: number) => Array.from({ length: count }, () => table.nextProbeTarget());

describe("MemberTable: records", () => {
  it("holds no record of itself: seeding skips it, and setting it is refused", () => {
    const table = new MemberTable("x", scripted());
    table.seed(["a", "x", "b"], 0);
    expect(table.get("x")).toBeUndefined();
    expect(table.liveCount).toBe(2);
    expect(listing(table)).toEqual(["a alive@0", "b alive@0"]);
    expect(() => table.set("x", at("alive", 1), 0)).toThrow(/does not hold a record of itself/);
  });

  it("seeds each distinct name once, alive at incarnation 0", () => {
    const table = new MemberTable("x", scripted());
    table.seed(["a", "b", "a", "x", "c", "b"], 0);
    expect(listing(table)).toEqual(["a alive@0", "b alive@0", "c alive@0"]);
    expect(table.liveCount).toBe(3);
    expect(table.deadCount).toBe(0);
    expect(table.get("d")).toBeUndefined();
  });

  it("a later seed adds only the names it does not know: a grave or a later incarnation stays", () => {
    const table = new MemberTable("x", scripted());
    table.seed(["x", "a", "b"], 0);
    table.set("a", at("dead", 2), 10);
    table.set("b", at("alive", 5), 10);
    table.seed(["a", "b", "c", "x"], 20);
    expect(listing(table)).toEqual(["a dead@2", "b alive@5", "c alive@0"]);
    expect(table.liveCount).toBe(2);
    expect(table.deadCount).toBe(1);
  });

  it("stores what it is told, last write wins: it is not a second judge of precedence", () => {
    const table = new MemberTable("x", scripted());
    table.set("a", at("dead", 5), 0);
    table.set("a", at("alive", 1), 10);
    expect(table.get("a")).toEqual(at("alive", 1));
    expect(table.liveCount).toBe(1);
    expect(table.deadCount).toBe(0);
  });

  it("shares a frozen seed list's index with other tables, but none of their records", () => {
    const seeds = Object.freeze(["a", "b", "c"]);
    const atA = new MemberTable("a", scripted());
    const atB = new MemberTable("b", scripted());
    atA.seed(seeds, 0);
    atB.seed(seeds, 0);
    atA.set("c", at("dead", 0), 10);
    expect(atA.get("c")).toEqual(at("dead", 0));
    expect(atB.get("c")).toEqual(at("alive", 0));
    expect(atA.get("a")).toBeUndefined();
    expect(atB.get("a")).toEqual(at("alive", 0));
    expect([atA.liveCount, atB.liveCount]).toEqual([1, 2]);
  });

  it("is not changed by a mutable seed list changing afterwards", () => {
    const seeds = ["x", "a", "b"];
    const table = new MemberTable("x", scripted());
    table.seed(seeds, 0);
    seeds.push("c");
    seeds[1] = "z";
    expect(listing(table)).toEqual(["a alive@0", "b alive@0"]);
    expect(table.get("z")).toBeUndefined();
  });

  it("keeps every record through growth far past its first allocation", () => {
    const table = new MemberTable("x", new Rng(5).source);
    table.seed(["x", "s0", "s1", "s2"], 0);
    const states: MemberState[] = ["alive", "suspect", "dead", "left"];
    for (let i = 0; i < 200; i++) table.set(`m${i}`, at(states[i % 4]!, i), i);
    for (let i = 0; i < 200; i++) expect(table.get(`m${i}`)).toEqual(at(states[i % 4]!, i));
    expect(table.get("s1")).toEqual(at("alive", 0));
    // 3 seeded + 50 alive + 50 suspect live; 50 dead; 50 left counted in neither.
    expect(table.liveCount).toBe(103);
    expect(table.deadCount).toBe(50);
  });
});

describe("MemberTable: counts", () => {
  it("liveCount is alive + suspect, deadCount is dead only (not left), through every kind of transition", () => {
    const table = new MemberTable("x", scripted());
    table.seed(["x", "a", "b", "c"], 0);
    const counts = () => [table.liveCount, table.deadCount];
    expect(counts()).toEqual([3, 0]);
    table.set("a", at("suspect", 0), 1);
    expect(counts()).toEqual([3, 0]);
    table.set("a", at("dead", 0), 2);
    expect(counts()).toEqual([2, 1]);
    table.set("b", at("left", 0), 3);
    expect(counts()).toEqual([1, 1]);
    table.set("a", at("left", 0), 4); // dead -> left
    expect(counts()).toEqual([1, 0]);
    table.set("b", at("alive", 1), 5); // back after leaving
    expect(counts()).toEqual([2, 0]);
    table.set("d", at("dead", 3), 6); // first heard of as dead
    expect(counts()).toEqual([2, 1]);
  });
});

describe("MemberTable: graves", () => {
  it("lists dead and left members, oldest first, each with the time it became one", () => {
    const table = new MemberTable("x", scripted());
    table.seed(["x", "a", "b", "c", "d"], 0);
    table.set("a", at("dead", 0), 100);
    table.set("b", at("left", 1), 200);
    table.set("c", at("dead", 3), 300);
    expect(table.currentGraves()).toEqual([
      { name: "a", state: "dead", incarnation: 0, since: 100 },
      { name: "b", state: "left", incarnation: 1, since: 200 },
      { name: "c", state: "dead", incarnation: 3, since: 300 },
    ]);
  });

  it("drops a grave its member has left since: revived, or dead again at a later incarnation", () => {
    const table = new MemberTable("x", scripted());
    table.set("a", at("dead", 0), 100);
    table.set("a", at("alive", 1), 150);
    table.set("b", at("dead", 0), 200);
    table.set("a", at("dead", 1), 250);
    expect(table.currentGraves()).toEqual([
      { name: "b", state: "dead", incarnation: 0, since: 200 },
      { name: "a", state: "dead", incarnation: 1, since: 250 },
    ]);
    expect(table.deadCount).toBe(2);
  });

  it("reaps each grave once it is ageMs old, and not a millisecond before", () => {
    const table = new MemberTable("x", scripted());
    table.seed(["x", "a", "b", "c"], 0);
    table.set("a", at("dead", 0), 1_000);
    table.set("b", at("left", 0), 2_000);
    table.reap(5_999, 5_000);
    expect(listing(table)).toEqual(["a dead@0", "b left@0", "c alive@0"]);
    table.reap(6_000, 5_000);
    expect(listing(table)).toEqual(["b left@0", "c alive@0"]);
    expect(table.deadCount).toBe(0);
    table.reap(7_000, 5_000);
    expect(listing(table)).toEqual(["c alive@0"]);
    expect(table.currentGraves()).toEqual([]);
    expect(table.liveCount).toBe(1);
  });

  it("does not reap a member that came back; its next death is reaped on its own time", () => {
    const table = new MemberTable("x", scripted());
    table.set("a", at("dead", 0), 0);
    table.set("a", at("alive", 1), 100);
    table.reap(10_000, 1_000);
    expect(table.get("a")).toEqual(at("alive", 1));
    table.set("a", at("dead", 1), 10_000);
    table.reap(10_999, 1_000);
    expect(table.get("a")).toEqual(at("dead", 1));
    table.reap(11_000, 1_000);
    expect(table.get("a")).toBeUndefined();
  });

  it("forgets a reaped member entirely, and takes it back as new when it is heard of again", () => {
    const table = new MemberTable("x", scripted());
    table.seed(["x", "a", "b"], 0);
    table.set("a", at("dead", 0), 0);
    table.reap(1_000, 1_000);
    expect(table.get("a")).toBeUndefined();
    expect(new Set(probes(table, 4))).toEqual(new Set(["b"]));
    expect(table.sample(5, () => false)).toEqual(["b"]);
    table.set("a", at("alive", 2), 2_000);
    expect(table.get("a")).toEqual(at("alive", 2));
    expect(table.liveCount).toBe(2);
    expect(new Set(probes(table, 4))).toEqual(new Set(["a", "b"]));
  });

  it("a seed after every member it held was reaped adds the names, each a record of its own", () => {
    const table = new MemberTable("x", () => 0.5);
    table.set("a", at("alive", 0), 0);
    table.set("a", at("dead", 0), 0);
    table.reap(10, 5);
    table.seed(["b", "c"], 20);
    table.set("d", at("alive", 3), 30);
    expect(listing(table)).toEqual(["b alive@0", "c alive@0", "d alive@3"]);
    expect(table.liveCount).toBe(3);
    expect(new Set(probes(table, 3))).toEqual(new Set(["b", "c", "d"]));
  });

  it("never confuses a member heard of after a reaping with the reaped one (places are reused)", () => {
    const table = new MemberTable("x", scripted());
    table.set("c", at("alive", 0), 0);
    table.set("d", at("alive", 0), 0);
    table.set("c", at("left", 0), 0);
    table.reap(1_000, 1_000);
    table.set("e", at("alive", 4), 2_000);
    expect(table.get("c")).toBeUndefined();
    expect(listing(table)).toEqual(["d alive@0", "e alive@4"]);
    expect(new Set(probes(table, 2))).toEqual(new Set(["d", "e"]));
  });

  it("randomDead names a member held dead: never a left one, a revived one, or a reaped one", () => {
    const table = new MemberTable("x", new Rng(11).source);
    table.set("a", at("left", 0), 0);
    table.set("b", at("dead", 0), 0);
    table.set("b", at("alive", 1), 1);
    table.set("c", at("dead", 0), 2);
    // Whatever the random source draws, the one member held dead, every time.
    expect(new Set(Array.from({ length: 200 }, () => table.randomDead()))).toEqual(new Set(["c"]));
    table.reap(1_002, 1_000); // every grave is 1 s old
    expect(table.randomDead()).toBeUndefined();
  });

  it("randomDead finds the one dead member among many left ones, even when every random pick lands on a left one", () => {
    const table = new MemberTable("x", () => 0);
    for (let i = 0; i < 20; i++) table.set(`left-${i}`, at("left", 0), i);
    table.set("d", at("dead", 0), 20);
    expect(table.randomDead()).toBe("d");
  });

  it("randomDead finds no one when the only graves are members that left", () => {
    const table = new MemberTable("x", new Rng(12).source);
    table.set("a", at("left", 0), 0);
    table.set("b", at("left", 2), 0);
    expect(Array.from({ length: 50 }, () => table.randomDead()).every((name) => name === undefined)).toBe(true);
  });
});

describe("MemberTable: probe order", () => {
  it("each pass probes every live member once, suspects included, never a grave", () => {
    const table = new MemberTable("x", new Rng(3).source);
    table.seed(["x", "a", "b", "c", "d", "e", "f", "g"], 0);
    table.set("b", at("dead", 0), 0);
    table.set("d", at("left", 0), 0);
    table.set("f", at("dead", 0), 0);
    table.set("g", at("suspect", 0), 0);
    const targets = probes(table, 12);
    for (let pass = 0; pass < 3; pass++) {
      expect(targets.slice(pass * 4, pass * 4 + 4).sort()).toEqual(["a", "c", "e", "g"]);
    }
  });

  it("puts a newcomer at a random place: ahead of the cursor it is probed this pass, and the member it displaced still is", () => {
    // The first probe reshuffles (two draws near 1 keep [a, b, c]); then the newcomer draws 0.5:
    // position floor(0.5 x 4) = 2, and c, which was there, moves to the end.
    const table = new MemberTable("x", scripted(0.999999, 0.999999, 0.5));
    table.seed(["x", "a", "b", "c"], 0);
    expect(table.nextProbeTarget()).toBe("a");
    table.set("d", at("alive", 0), 0);
    expect(probes(table, 3)).toEqual(["b", "d", "c"]);
  });

  it("skips nobody when members are removed mid-pass, behind or ahead of the cursor", () => {
    const table = new MemberTable("x", scripted());
    table.seed(["x", "a", "b", "c", "d", "e"], 0);
    expect(probes(table, 2)).toEqual(["a", "b"]);
    table.set("b", at("dead", 0), 0); // already probed this pass
    table.set("d", at("dead", 0), 0); // not yet
    table.reap(1_000, 1_000);
    expect(probes(table, 2)).toEqual(["c", "e"]);
    expect(probes(table, 3)).toEqual(["a", "c", "e"]);
  });

  it("finds the live member when the rest of a pass and the start of the next are graves", () => {
    // The first probe reshuffles keeping [a, b, c] (draws near 1) and takes a; b and c die. The
    // next probe reaches the end of the pass, reshuffles to [b, c, a] (draws 0, 0) and looks on
    // past both graves to a: one live member is in every pass.
    const table = new MemberTable("x", scripted(0.999999, 0.999999, 0, 0));
    table.seed(["x", "a", "b", "c"], 0);
    expect(table.nextProbeTarget()).toBe("a");
    table.set("b", at("dead", 0), 0);
    table.set("c", at("dead", 0), 0);
    expect(table.nextProbeTarget()).toBe("a");
  });

  it("has no target when no member is live", () => {
    const empty = new MemberTable("x", scripted());
    expect(empty.nextProbeTarget()).toBeUndefined();
    const allGone = new MemberTable("x", scripted());
    allGone.seed(["x", "a", "b"], 0);
    allGone.set("a", at("dead", 0), 0);
    allGone.set("b", at("left", 0), 0);
    expect(probes(allGone, 3)).toEqual([undefined, undefined, undefined]);
    const alone = new MemberTable("x", scripted());
    alone.seed(["x"], 0);
    expect(alone.nextProbeTarget()).toBeUndefined();
  });
});

describe("MemberTable: random samples (relays, leave fan-out, push-pull partner)", () => {
  it("gives k distinct live members, none excluded, no graves", () => {
    const table = new MemberTable("x", new Rng(9).source);
    table.seed(["x", "a", "b", "c", "d", "e", "f", "g", "h"], 0);
    table.set("c", at("dead", 0), 0);
    table.set("d", at("left", 0), 0);
    table.set("e", at("suspect", 0), 0);
    for (let i = 0; i < 50; i++) {
      const picked = table.sample(3, (name) => name === "a");
      expect(picked).toHaveLength(3);
      expect(new Set(picked).size).toBe(3);
      for (const name of picked) expect(["b", "e", "f", "g", "h"]).toContain(name);
    }
  });

  it("gives every eligible member when there are fewer than k, even if the random source keeps landing on one", () => {
    // Near 1 every draw hits the last place in the order: rejection sampling alone would find one member.
    const table = new MemberTable("x", scripted());
    table.seed(["x", "a", "b", "c", "d", "e", "f"], 0);
    table.set("c", at("dead", 0), 0);
    table.set("d", at("left", 0), 0);
    table.set("e", at("suspect", 0), 0);
    expect(table.sample(10, (name) => name === "a").sort()).toEqual(["b", "e", "f"]);
    const three = table.sample(3, () => false);
    expect(new Set(three).size).toBe(3);
    for (const name of three) expect(["a", "b", "e", "f"]).toContain(name);
  });

  it("gives nothing for k = 0, or when everyone is excluded", () => {
    const table = new MemberTable("x", new Rng(2).source);
    table.seed(["x", "a", "b"], 0);
    expect(table.sample(0, () => false)).toEqual([]);
    expect(table.sample(3, () => true)).toEqual([]);
  });
});
