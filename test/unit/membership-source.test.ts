import { describe, expect, it } from "vitest";
import type { MemberStatus } from "../../shared/swim";
import { ringDigest, viewDigest } from "../../shared/view";
import type { MembershipReply } from "../../shared/wire";
import { GossipMembership } from "../../worker/membership";

const alive = (...names: string[]): MemberStatus[] => names.map((name) => ({ name, state: "alive", incarnation: 0 }));

/** A source whose nodes answer when the test says so. */
function source(ttlMs = 1_000) {
  let now = 0;
  const asked: string[] = [];
  const pending: ((reply: MembershipReply) => void)[] = [];
  const membership = new GossipMembership({
    seeds: ["a", "b", "c"],
    ring: { virtualNodes: 8, replicas: 3 },
    ttlMs,
    now: () => now,
    random: () => 0.5,
    ask: (node) => {
      asked.push(node);
      return new Promise((resolve) => pending.push(resolve));
    },
  });
  const answer = (members: MemberStatus[], ring?: string[]) => {
    const reply =
      ring === undefined ? { node: "a", members, digest: viewDigest(members) } : { node: "a", members, ring, digest: ringDigest(ring) };
    for (const resolve of pending.splice(0)) resolve(reply);
  };
  return { membership, asked, answer, advance: (ms: number) => (now += ms) };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("GossipMembership", () => {
  it("takes its view from a node catching up only when no other node answers", async () => {
    const views: Record<string, MembershipReply> = {
      a: { node: "a", members: alive("a", "b", "c"), digest: viewDigest(alive("a", "b", "c")), catchingUp: true },
      b: { node: "b", members: alive("a", "b"), digest: viewDigest(alive("a", "b")) },
    };
    const asked: string[] = [];
    const membership = new GossipMembership({
      seeds: ["a", "b"],
      ring: { virtualNodes: 8, replicas: 2 },
      ttlMs: 1_000,
      now: () => 0,
      random: () => 0.99,
      ask: async (node) => (asked.push(node), views[node]!),
    });
    expect((await membership.view()).source).toBe("b");
    expect(asked[0]).toBe("a");
    delete views.b;
    expect((await membership.view({ fresh: true })).source).toBe("a");
  });

  it("learns a death that leaves the ring as it was (the grace): new states, the same ring", async () => {
    const s = source();
    const first = s.membership.view();
    await flush();
    s.answer(alive("a", "b", "c", "d"), ["a", "b", "c", "d"]);
    const before = await first;
    s.advance(1_000);
    const next = s.membership.view();
    await flush();
    s.answer([...alive("a", "b", "c"), { name: "d", state: "dead", incarnation: 0, since: 5 }], ["a", "b", "c", "d"]);
    await next;
    const after = await s.membership.view();
    expect(after.dead).toEqual(new Set(["d"]));
    expect(after.ring).toBe(before.ring);
    expect(after.digest).toBe(before.digest);
  });

  it("builds its ring from a node's view and serves it from cache until the TTL", async () => {
    const s = source();
    const first = s.membership.view();
    await flush();
    s.answer(alive("a", "b", "c", "d"));
    const view = await first;
    expect(view.ring.members).toEqual(["a", "b", "c", "d"]);
    expect(await s.membership.view()).toBe(view);
    expect(s.asked).toHaveLength(1);
  });

  it("never makes a request wait on another request's refresh: the others keep the expired view", async () => {
    const s = source();
    const first = s.membership.view();
    await flush();
    s.answer(alive("a", "b", "c"));
    const old = await first;

    s.advance(1_001);
    const refreshing = s.membership.view(); // this request refreshes, and waits for it
    await flush();
    // Requests meanwhile get the expired view at once, without starting or awaiting a refresh.
    expect(await s.membership.view()).toBe(old);
    expect(await s.membership.view()).toBe(old);
    expect(s.asked).toHaveLength(2);

    s.answer(alive("a", "b", "c", "d"));
    expect((await refreshing).ring.members).toContain("d");
    expect((await s.membership.view()).ring.members).toContain("d");
  });

  it("refreshes early when a replica reports a different view digest", async () => {
    const s = source(60_000);
    const first = s.membership.view();
    await flush();
    s.answer(alive("a", "b", "c"));
    const old = await first;
    s.membership.observe(old.digest);
    expect(await s.membership.view()).toBe(old);

    s.membership.observe(viewDigest(alive("a", "b")));
    const next = s.membership.view();
    await flush();
    s.answer(alive("a", "b"));
    expect((await next).ring.members).toEqual(["a", "b"]);
  });

  it("falls back to the configured nodes when no node answers", async () => {
    const membership = new GossipMembership({
      seeds: ["a", "b", "c"],
      ring: { virtualNodes: 8, replicas: 3 },
      ttlMs: 1_000,
      now: () => 0,
      random: Math.random,
      ask: async () => {
        throw new Error("down");
      },
    });
    expect((await membership.view()).ring.members).toEqual(["a", "b", "c"]);
  });
});
