import { describe, expect, it } from "vitest";
import { Awareness } from "../../shared/swim/awareness";
import { DEFAULT_SWIM_CONFIG, type SwimConfig } from "../../shared/swim/config";
import { Membership } from "../../shared/swim/membership";
import { suspicionTimeouts } from "../../shared/swim/suspicion";
import { Rng } from "../../sim/random";

const withRule = DEFAULT_SWIM_CONFIG;
const withoutRule: SwimConfig = { ...DEFAULT_SWIM_CONFIG, refutableVerdicts: false };
const MEMBERS = ["a", "b", "c", "d", "e"];
/** Five members, no confirmations: a suspicion lasts the Lifeguard maximum. */
const { max } = suspicionTimeouts(DEFAULT_SWIM_CONFIG, MEMBERS.length);

/** Member "a", which suspected "b" at time 0 with the given local health score. */
function suspecting(config: SwimConfig, score: number) {
  const awareness = new Awareness(config.awarenessMax);
  awareness.apply(score);
  const membership = new Membership("a", config, awareness, new Rng(1).source);
  membership.seed(MEMBERS, 0);
  membership.suspect("b", 0);
  membership.broadcasts.take(100, 100); // the suspicion itself has been gossiped
  return { membership, awareness };
}

const gossiped = (membership: Membership) => membership.broadcasts.take(100, 100).map((u) => `${u.state} ${u.member}`);

describe("a death verdict in good local health", () => {
  it("is held and gossiped as a death once the suspicion runs out", () => {
    const { membership } = suspecting(withRule, 0);
    expect(membership.nextSuspicionDeadline()).toBe(max);
    membership.expireSuspicions(max);
    expect(membership.table.get("b")?.state).toBe("dead");
    expect(gossiped(membership)).toEqual(["dead b"]);
  });
});

describe("a death verdict in poor local health (refutableVerdicts)", () => {
  it("waits (score + 1) times as long before concluding", () => {
    const { membership } = suspecting(withRule, 3);
    expect(membership.nextSuspicionDeadline()).toBe(4 * max);
    membership.expireSuspicions(max);
    expect(membership.table.get("b")?.state).toBe("suspect");
  });

  it("is held in our own view but told to the others only as the suspicion it was", () => {
    const { membership, awareness } = suspecting(withRule, 1);
    awareness.apply(5); // still cut off when the suspicion runs out
    membership.expireSuspicions(2 * max);
    expect(membership.table.get("b")?.state).toBe("dead");
    expect(membership.drainEvents().map((e) => e.type)).toEqual(["suspect", "dead"]);
    const [update] = membership.broadcasts.take(100, 100);
    expect(update).toEqual({ state: "suspect", member: "b", incarnation: 0, from: "a" });
  });

  it("is gossiped as a death if our health recovered before the suspicion ran out", () => {
    const { membership, awareness } = suspecting(withRule, 1);
    awareness.apply(-1);
    membership.expireSuspicions(2 * max);
    expect(gossiped(membership)).toEqual(["dead b"]);
  });

  it("without the rule, is concluded on time and imposed on everyone as a death", () => {
    const { membership } = suspecting(withoutRule, 7);
    expect(membership.nextSuspicionDeadline()).toBe(max);
    membership.expireSuspicions(max);
    expect(gossiped(membership)).toEqual(["dead b"]);
  });
});
