import { describe, expect, it } from "vitest";
import { DEFAULT_SWIM_CONFIG, SwimMember, type Envelope, type SwimConfig, type SwimMessage } from "../../shared/swim";
import { Rng } from "../../sim/random";

/**
 * A hand-driven network: the test decides what time it is and which envelopes
 * arrive. Replies are delivered at once, recursively, unless `drop` says no.
 */
function cluster(names: readonly string[], config: SwimConfig = DEFAULT_SWIM_CONFIG) {
  const rng = new Rng(42);
  const members = new Map(names.map((name) => [name, new SwimMember(name, config, { random: rng.fork().source })]));
  const seeds = Object.freeze([...names]);
  for (const m of members.values()) m.seed(seeds, 0);
  let drop: (env: Envelope) => boolean = () => false;
  const get = (name: string) => members.get(name)!;
  /** Delivers envelopes (and everything they cause) at `now`; returns every envelope sent, dropped ones too. */
  const deliver = (now: number, envelopes: readonly Envelope[]): Envelope[] => {
    const sent: Envelope[] = [];
    const queue = [...envelopes];
    for (let env = queue.shift(); env !== undefined; env = queue.shift()) {
      sent.push(env);
      if (drop(env)) continue;
      const to = members.get(env.to);
      if (to !== undefined) queue.push(...to.receive(now, env));
    }
    return sent;
  };
  return {
    get,
    members,
    deliver,
    dropWhen(rule: (env: Envelope) => boolean) {
      drop = rule;
    },
    /** Crash: nothing reaches `name`, nothing leaves it. */
    isolate(name: string) {
      drop = (env) => env.to === name || env.from === name;
    },
    tick: (name: string, now: number) => deliver(now, get(name).tick(now)),
    advance: (name: string, now: number) => deliver(now, get(name).advance(now)),
  };
}

const ofType = <T extends SwimMessage["type"]>(envs: readonly Envelope[], type: T) =>
  envs.filter((e): e is Envelope & { msg: SwimMessage & { type: T } } => e.msg.type === type);

describe("probing", () => {
  it("an acked ping ends the probe: no timers left, no suspicion", () => {
    const c = cluster(["a", "b"]);
    const sent = c.tick("a", 0);
    expect(sent.map((e) => `${e.from}>${e.to} ${e.msg.type}`)).toEqual(["a>b ping", "b>a ack"]);
    expect(c.get("a").nextDeadline()).toBeUndefined();
    expect(c.get("a").drainEvents()).toEqual([]);
  });

  it("ping, then ping-req through k others at the ping timeout, then suspect at the end of the period, then dead", () => {
    const c = cluster(["a", "b", "c", "d", "e", "f"]);
    const [ping] = c.get("a").tick(0);
    const target = ping!.to;
    c.isolate(target);
    c.deliver(0, [ping!]);
    expect(c.get("a").nextDeadline()).toBe(500);

    const asked = ofType(c.advance("a", 500), "ping-req");
    expect(asked).toHaveLength(DEFAULT_SWIM_CONFIG.indirectChecks);
    expect(new Set(asked.map((e) => e.to)).size).toBe(3);
    expect(asked.every((e) => e.to !== target && e.msg.target === target)).toBe(true);
    // Lifeguard: relays are asked to nack before our deadline.
    expect(asked.every((e) => e.msg.nackAfterMs === 400)).toBe(true);

    // The relays' pings go unanswered; they nack at 900.
    for (const relay of asked) expect(c.get(relay.to).nextDeadline()).toBe(900);
    const nacks = asked.flatMap((relay) => ofType(c.advance(relay.to, 900), "nack"));
    expect(nacks).toHaveLength(3);

    expect(c.get("a").advance(1_000)).toEqual([]);
    expect(c.get("a").drainEvents()).toEqual([{ type: "suspect", member: target, incarnation: 0, at: 1_000 }]);
    // Every relay nacked: the network and we are fine, so our health does not suffer.
    expect(c.get("a").health).toBe(0);

    // 6 members: timeout min 4 s, Lifeguard max 6 x 4 s, with 2 confirmations expected.
    expect(c.get("a").nextDeadline()).toBe(1_000 + 24_000);
    c.advance("a", 25_000);
    expect(c.get("a").drainEvents()).toEqual([{ type: "dead", member: target, incarnation: 0, at: 25_000 }]);
    expect(c.get("a").member(target)?.state).toBe("dead");
  });

  it("an indirect ack is as good as a direct one (a cut link is not a failure)", () => {
    const c = cluster(["a", "b", "c", "d", "e"]);
    const [ping] = c.get("a").tick(0);
    const target = ping!.to;
    c.dropWhen((env) => (env.from === "a" && env.to === target) || (env.from === target && env.to === "a"));
    c.deliver(0, [ping!]);
    const sent = c.advance("a", 500);
    expect(ofType(sent, "ack").filter((e) => e.to === "a")).toHaveLength(3);
    c.advance("a", 1_000);
    expect(c.get("a").drainEvents()).toEqual([]);
    expect(c.get("a").member(target)?.state).toBe("alive");
  });

  it("ignores acks that match no open probe: stale seq, or from a member it did not ask", () => {
    const c = cluster(["a", "b", "c"]);
    const [ping] = c.get("a").tick(0);
    const seq = (ping!.msg as { seq: number }).seq;
    const other = ping!.to === "b" ? "c" : "b";
    c.get("a").receive(10, { from: ping!.to, to: "a", msg: { type: "ack", seq: seq + 1, incarnation: 0, updates: [] } });
    c.get("a").receive(10, { from: other, to: "a", msg: { type: "ack", seq, incarnation: 0, updates: [] } });
    c.get("a").advance(500);
    c.get("a").advance(1_000);
    expect(
      c
        .get("a")
        .drainEvents()
        .map((e) => e.type),
    ).toEqual(["suspect"]);
  });

  it("without nacks, a failed probe counts against our own health and stretches the next period", () => {
    const c = cluster(["a", "b", "c", "d", "e"]);
    c.isolate("a"); // a hears nobody: it is the problem
    c.tick("a", 0);
    c.advance("a", 500);
    c.advance("a", 1_000);
    expect(c.get("a").health).toBe(3); // three relays, no nack
    // The next probe runs at 4x: ping timeout 2 s, period 4 s.
    expect(ofType(c.tick("a", 1_000), "ping")).toHaveLength(1);
    expect(c.get("a").nextDeadline()).toBe(1_000 + 4 * 500);
    for (const now of [2_000, 3_000, 4_000]) expect(ofType(c.tick("a", now), "ping")).toEqual([]);
    expect(ofType(c.tick("a", 5_000), "ping")).toHaveLength(1);
  });

  it("every live member is probed once per pass (time-bounded completeness)", () => {
    const names = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const c = cluster(names);
    const targets: string[] = [];
    for (let period = 0; period < 19 * 3; period++) targets.push(ofType(c.tick("m0", period * 1_000), "ping")[0]!.to);
    for (let pass = 0; pass < 3; pass++) {
      expect(new Set(targets.slice(pass * 19, pass * 19 + 19)).size).toBe(19);
    }
    expect(targets.slice(0, 19)).not.toEqual(targets.slice(19, 38)); // reshuffled
  });
});

describe("suspicion and refutation", () => {
  it("a suspected member refutes with a higher incarnation, and the suspicion is withdrawn", () => {
    const c = cluster(["a", "b", "c"]);
    c.get("a").receive(0, {
      from: "c",
      to: "a",
      msg: { type: "ping", seq: 1, incarnation: 0, updates: [{ state: "suspect", member: "b", incarnation: 0, from: "c" }] },
    });
    expect(c.get("a").member("b")?.state).toBe("suspect");
    // Within a pass a probes b; the ping carries the suspicion first (Lifeguard's buddy system).
    const sent = [...c.tick("a", 1), ...c.tick("a", 1_001)];
    const ping = ofType(sent, "ping").find((e) => e.to === "b")!;
    expect(ping.msg.updates[0]).toEqual({ state: "suspect", member: "b", incarnation: 0, from: "c" });
    expect(c.get("b").incarnation).toBe(1);
    expect(c.get("a").member("b")).toEqual({ name: "b", state: "alive", incarnation: 1 });
    expect(
      c
        .get("a")
        .drainEvents()
        .map((e) => `${e.type} ${e.member}@${e.incarnation}`),
    ).toEqual(["suspect b@0", "refuted b@1"]);
  });

  it("without Lifeguard there are no nacks", () => {
    const c = cluster(["a", "b", "c", "d"], { ...DEFAULT_SWIM_CONFIG, lifeguard: false });
    const [ping] = c.get("a").tick(0);
    c.isolate(ping!.to);
    const asked = ofType(c.advance("a", 500), "ping-req");
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((e) => e.msg.nackAfterMs === undefined)).toBe(true);
    for (const relay of asked) expect(c.advance(relay.to, 1_000).filter((e) => e.msg.type === "nack")).toEqual([]);
  });

  it("independent accusers shorten the timeout; the same accuser twice does not", () => {
    const names = Array.from({ length: 10 }, (_, i) => `m${i}`);
    const c = cluster(names);
    const suspect = (from: string, at: number) =>
      c.get("m0").receive(at, {
        from,
        to: "m0",
        msg: { type: "ping", seq: 1, incarnation: 0, updates: [{ state: "suspect", member: "m9", incarnation: 0, from }] },
      });
    suspect("m1", 0);
    expect(c.get("m0").nextDeadline()).toBe(24_000); // 10 members: min 4 s, max 24 s
    suspect("m1", 100);
    expect(c.get("m0").nextDeadline()).toBe(24_000);
    suspect("m2", 200);
    suspect("m3", 300);
    expect(c.get("m0").nextDeadline()).toBe(4_000);
  });

  it("a member declared dead while running hears it from whoever it talks to, refutes, and is accepted again", () => {
    const c = cluster(["a", "b"]);
    c.get("a").receive(0, {
      from: "b",
      to: "a",
      msg: { type: "ack", seq: 0, incarnation: 0, updates: [{ state: "dead", member: "b", incarnation: 3, from: "x" }] },
    });
    expect(c.get("a").member("b")?.state).toBe("dead");
    c.get("a").drainEvents();
    // b pings a; a answers and tells b what it holds against it; b refutes at once.
    const sent = c.tick("b", 10);
    const ack = ofType(sent, "ack")[0]!;
    expect(ack.msg.updates[0]).toEqual({ state: "dead", member: "b", incarnation: 3, from: "a" });
    expect(c.get("b").incarnation).toBe(4);
    // b's next message carries its new incarnation.
    c.tick("b", 1_010);
    expect(c.get("a").member("b")).toEqual({ name: "b", state: "alive", incarnation: 4 });
    expect(
      c
        .get("a")
        .drainEvents()
        .map((e) => e.type),
    ).toEqual(["joined"]);
  });
});

describe("healing a partition (refutableVerdicts)", () => {
  const staleSync = (config: SwimConfig) => {
    const c = cluster(["a", "b", "c"], config);
    // c comes back from isolation and syncs with a: it still holds b suspect, and its verdict on b dead.
    const members = [
      { state: "alive", member: "c", incarnation: 0 },
      { state: "dead", member: "b", incarnation: 0, from: "c" },
    ] as const;
    const sent = c.deliver(0, [{ from: "c", to: "a", msg: { type: "sync", reply: false, members } }]);
    return { c, sent };
  };

  it("a member accused in a sync is told at once, refutes, and the suspicion is withdrawn", () => {
    const { c, sent } = staleSync(DEFAULT_SWIM_CONFIG);
    // a's answer still shows b suspect, so c, which held b alive, tells b too.
    expect(sent.map((e) => `${e.from}>${e.to} ${e.msg.type}`)).toEqual([
      "c>a sync",
      "a>b ping",
      "a>c sync",
      "b>a ack",
      "c>b ping",
      "b>c ack",
    ]);
    expect(ofType(sent, "ping")[0]!.msg.updates[0]).toMatchObject({ state: "suspect", member: "b", incarnation: 0 });
    expect(c.get("b").incarnation).toBe(1);
    expect(c.get("a").member("b")).toEqual({ name: "b", state: "alive", incarnation: 1 });
  });

  it("without the rule, the accused is not told and the suspicion runs on", () => {
    const { c, sent } = staleSync({ ...DEFAULT_SWIM_CONFIG, refutableVerdicts: false });
    expect(sent.map((e) => `${e.from}>${e.to} ${e.msg.type}`)).toEqual(["c>a sync", "a>c sync"]);
    expect(c.get("a").member("b")?.state).toBe("suspect");
  });

  it("a member cut off from everyone concludes deaths late, and gossips them as suspicions when it is back", () => {
    const c = cluster(["a", "b", "c", "d", "e"]);
    c.isolate("a");
    let now = 0;
    while (c.get("a").member("b")?.state !== "dead" && now < 1_000_000) {
      now += 100;
      c.tick("a", now);
      c.advance("a", now);
    }
    expect(c.get("a").health).toBeGreaterThan(0);
    // Plain expiry would be 24 s (24 periods at n = 5): poor health stretches it.
    expect(now).toBeGreaterThan(48_000);
    c.dropWhen(() => false);
    const told = c.tick("a", now + 100_000).filter((e) => e.from === "a");
    const aboutB = told.flatMap((e) => ("updates" in e.msg ? e.msg.updates : [])).filter((u) => u.member === "b");
    expect(aboutB.map((u) => u.state)).not.toContain("dead");
    for (const name of ["c", "d", "e"]) expect(c.get(name).member("b")?.state).not.toBe("dead");
  });
});

describe("join, leave, restart", () => {
  it("a joiner pushes its state to an introducer, gets the full view back, and is gossiped on", () => {
    const c = cluster(["a", "b", "c"]);
    const joiner = new SwimMember("j", DEFAULT_SWIM_CONFIG, { random: new Rng(1).source });
    c.members.set("j", joiner);
    const sent = c.deliver(0, joiner.join(0, ["a"]));
    expect(sent.map((e) => `${e.from}>${e.to} ${e.msg.type}`)).toEqual(["j>a sync", "a>j sync"]);
    expect(
      joiner
        .members()
        .map((m) => m.name)
        .sort(),
    ).toEqual(["a", "b", "c", "j"]);
    expect(joiner.nextDeadline()).toBeUndefined(); // no more join retries
    expect(c.get("a").drainEvents()).toEqual([{ type: "joined", member: "j", incarnation: 0, at: 0 }]);
    // a gossips the join on its next probe.
    c.tick("a", 1_000);
    expect(c.get("b").member("j")?.state ?? c.get("c").member("j")?.state).toBe("alive");
  });

  it("retries the join until an introducer answers; with no introducers it is a cluster of one", () => {
    const lonely = new SwimMember("s", DEFAULT_SWIM_CONFIG, { random: new Rng(1).source });
    expect(lonely.join(0, [])).toEqual([]);
    expect(lonely.members()).toEqual([{ name: "s", state: "alive", incarnation: 0 }]);

    const joiner = new SwimMember("j", DEFAULT_SWIM_CONFIG, { random: new Rng(2).source });
    expect(joiner.join(0, ["x", "y"]).map((e) => e.to)).toEqual(["x", "y"]);
    expect(joiner.nextDeadline()).toBe(DEFAULT_SWIM_CONFIG.joinRetryMs);
    expect(joiner.advance(DEFAULT_SWIM_CONFIG.joinRetryMs).map((e) => e.to)).toEqual(["x", "y"]);
  });

  it("a graceful leave is gossiped as left, is not undone by a stale alive, and a rejoin overrides it", () => {
    const c = cluster(["a", "b", "c", "d"]);
    const told = c.deliver(0, c.get("a").leave(0));
    expect(told.map((e) => e.msg.type)).toEqual(["leave", "leave", "leave"]);
    expect(c.get("b").member("a")?.state).toBe("left");
    expect(c.get("a").members()[0]).toEqual({ name: "a", state: "left", incarnation: 0 });
    expect(c.get("a").tick(1_000)).toEqual([]); // gone quiet

    c.get("b").receive(5, {
      from: "c",
      to: "b",
      msg: { type: "sync", reply: true, members: [{ state: "alive", member: "a", incarnation: 0 }] },
    });
    expect(c.get("b").member("a")?.state).toBe("left");

    c.deliver(2_000, c.get("a").join(2_000, ["b"]));
    expect(c.get("a").incarnation).toBe(1);
    expect(c.get("b").member("a")).toEqual({ name: "a", state: "alive", incarnation: 1 });
  });

  it("a relay asked to probe a member that left says so at once: the asker that missed the leave learns it", () => {
    const c = cluster(["a", "b", "c", "d"]);
    // d's leave reaches b only; a has not heard of it.
    c.get("b").receive(0, { from: "d", to: "b", msg: { type: "leave", incarnation: 0 } });
    expect(c.get("a").member("d")?.state).toBe("alive");
    const answer = c
      .get("b")
      .receive(10, { from: "a", to: "b", msg: { type: "ping-req", seq: 7, incarnation: 0, target: "d", updates: [] } });
    // It still pings d: its own news might be the stale one.
    expect(answer.map((e) => `${e.from}>${e.to} ${e.msg.type}`)).toEqual(["b>a nack", "b>d ping"]);
    const nack = answer[0]!.msg as SwimMessage & { type: "nack" };
    expect(nack.seq).toBe(7);
    expect(nack.updates[0]).toEqual({ state: "left", member: "d", incarnation: 0 });
    c.get("a").receive(10, answer[0]!);
    expect(c.get("a").member("d")?.state).toBe("left");
  });

  it("a relay whose left is stale (the member rejoined) still relays the member's ack, and the asker keeps it alive", () => {
    const c = cluster(["a", "b", "c", "d"]);
    c.get("b").receive(0, { from: "d", to: "b", msg: { type: "leave", incarnation: 0 } });
    // d came back one incarnation up; a knows, b does not.
    c.get("a").receive(1, { from: "d", to: "a", msg: { type: "ping", seq: 1, incarnation: 1, updates: [] } });
    expect(c.get("a").member("d")).toEqual({ name: "d", state: "alive", incarnation: 1 });
    const sent = c.deliver(10, [{ from: "a", to: "b", msg: { type: "ping-req", seq: 7, incarnation: 0, target: "d", updates: [] } }]);
    expect(sent.map((e) => `${e.from}>${e.to} ${e.msg.type}`)).toContain("b>a ack");
    expect(c.get("a").member("d")).toEqual({ name: "d", state: "alive", incarnation: 1 });
  });

  it("a restart that lost its state refutes its death through the introducer's view", () => {
    const c = cluster(["a", "b", "c"]);
    c.get("a").receive(0, { from: "x", to: "a", msg: { type: "leave", incarnation: 0 } });
    c.get("a").receive(0, {
      from: "c",
      to: "a",
      msg: { type: "ping", seq: 1, incarnation: 0, updates: [{ state: "dead", member: "b", incarnation: 5, from: "c" }] },
    });
    const reborn = new SwimMember("b", DEFAULT_SWIM_CONFIG, { random: new Rng(3).source });
    c.members.set("b", reborn);
    c.deliver(100, reborn.join(100, ["a"]));
    expect(reborn.incarnation).toBe(6);
    c.tick("b", 1_100);
    c.tick("b", 2_100);
    expect(c.get("a").member("b")).toEqual({ name: "b", state: "alive", incarnation: 6 });
  });

  it("snapshot is JSON, and a restore resumes one incarnation up with graves kept", () => {
    const c = cluster(["a", "b", "c"]);
    c.get("a").receive(0, {
      from: "c",
      to: "a",
      msg: { type: "ping", seq: 1, incarnation: 0, updates: [{ state: "suspect", member: "a", incarnation: 0, from: "c" }] },
    });
    c.get("a").receive(50, { from: "c", to: "a", msg: { type: "leave", incarnation: 0 } });
    expect(c.get("a").incarnation).toBe(1);
    const saved = JSON.parse(JSON.stringify(c.get("a").snapshot()));
    const restored = new SwimMember("a", DEFAULT_SWIM_CONFIG, { random: new Rng(4).source }, saved);
    expect(restored.incarnation).toBe(2);
    expect(restored.member("c")).toEqual({ name: "c", state: "left", incarnation: 0 });
    expect(restored.member("b")).toEqual({ name: "b", state: "alive", incarnation: 0 });
    expect(restored.snapshot().members.find((m) => m.name === "c")?.since).toBe(50);
    expect(() => new SwimMember("z", DEFAULT_SWIM_CONFIG, { random: Math.random }, saved)).toThrow(/snapshot of a/);
  });

  it("counts a verdict of its own death: refuted, or about the life before a restart, once", () => {
    const c = cluster(["a", "b", "c"]);
    const dead = (incarnation: number) => ({
      from: "c",
      to: "a",
      msg: { type: "ping" as const, seq: 1, incarnation: 0, updates: [{ state: "dead" as const, member: "a", incarnation, from: "c" }] },
    });
    c.get("a").receive(0, dead(0));
    expect(c.get("a").deathsRefuted).toBe(1);
    const saved = JSON.parse(JSON.stringify(c.get("a").snapshot()));
    const restored = new SwimMember("a", DEFAULT_SWIM_CONFIG, { random: new Rng(4).source }, saved);
    // Restoring announced incarnation 2 already: the verdict on incarnation 1 needs no refutation, but was a death.
    restored.receive(10, dead(1));
    restored.receive(20, dead(1));
    expect(restored.incarnation).toBe(2);
    expect(restored.deathsRefuted).toBe(1);
    // A suspicion is no death.
    const fresh = cluster(["a", "b"]).get("a");
    fresh.receive(0, { ...dead(0), msg: { ...dead(0).msg, updates: [{ state: "suspect", member: "a", incarnation: 0, from: "c" }] } });
    expect(fresh.deathsRefuted).toBe(0);
  });

  it("reaps graves after deadRetentionMs", () => {
    const c = cluster(["a", "b", "c"], { ...DEFAULT_SWIM_CONFIG, deadRetentionMs: 10_000 });
    c.get("a").receive(0, { from: "c", to: "a", msg: { type: "leave", incarnation: 0 } });
    c.get("a").tick(9_000);
    expect(c.get("a").member("c")?.state).toBe("left");
    c.get("a").tick(10_000);
    expect(c.get("a").member("c")).toBeUndefined();
  });
});

describe("configuration", () => {
  it("rejects a ping timeout that leaves no time for indirect probes", () => {
    expect(() => new SwimMember("a", { ...DEFAULT_SWIM_CONFIG, pingTimeoutMs: 1_000 }, { random: Math.random })).toThrow(/pingTimeoutMs/);
  });
});
