import { describe, expect, it } from "vitest";
import { isEnvelope, MAX_WIRE_MEMBERS, SwimMember, DEFAULT_SWIM_CONFIG, type Envelope } from "../../shared/swim";

const alive = (member: string) => ({ state: "alive", member, incarnation: 0 });
const env = (msg: unknown): unknown => ({ from: "a", to: "b", msg });

describe("isEnvelope (shared/swim/envelope.ts)", () => {
  it("takes every message the protocol sends", () => {
    for (const msg of [
      { type: "ping", seq: 1, incarnation: 0, updates: [alive("c")] },
      { type: "ping-req", seq: 2, incarnation: 3, target: "c", nackAfterMs: 250, updates: [] },
      { type: "ack", seq: 1, incarnation: 0, updates: [{ state: "suspect", member: "c", incarnation: 1, from: "a" }] },
      { type: "nack", seq: 1, incarnation: 0, updates: [] },
      { type: "sync", reply: false, members: [alive("a"), { state: "left", member: "d", incarnation: 2 }] },
      { type: "leave", incarnation: 4 },
    ]) {
      expect(isEnvelope(env(msg))).toBe(true);
    }
  });

  it("takes what a real member sends when it joins", () => {
    const member = new SwimMember("a", DEFAULT_SWIM_CONFIG, { random: () => 0.5 });
    const sent: Envelope[] = member.join(0, ["b"]);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every(isEnvelope)).toBe(true);
  });

  it("refuses an unknown type, missing fields, bad names and counts, and too many members", () => {
    expect(isEnvelope(null)).toBe(false);
    expect(isEnvelope({ from: "a", to: "b" })).toBe(false);
    expect(isEnvelope(env({ type: "gossip", updates: [] }))).toBe(false);
    expect(isEnvelope(env({ type: "ping", seq: -1, incarnation: 0, updates: [] }))).toBe(false);
    expect(isEnvelope(env({ type: "ping", seq: 1, incarnation: 0.5, updates: [] }))).toBe(false);
    expect(isEnvelope(env({ type: "ping", seq: 1, incarnation: 0, updates: [{ state: "dead", member: "c", incarnation: 0 }] }))).toBe(
      false,
    );
    expect(isEnvelope({ from: "", to: "b", msg: { type: "leave", incarnation: 0 } })).toBe(false);
    expect(isEnvelope(env({ type: "sync", reply: true, members: [alive("x".repeat(64))] }))).toBe(false);
    const crowd = Array.from({ length: MAX_WIRE_MEMBERS + 1 }, (_, i) => alive(`n${i}`));
    expect(isEnvelope(env({ type: "sync", reply: true, members: crowd }))).toBe(false);
  });
});
