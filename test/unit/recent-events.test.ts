import { describe, expect, it } from "vitest";
import { RecentEvents } from "../../shared/recent-events";

describe("RecentEvents", () => {
  const event = (i: number) => ({ member: `n${i}`, type: "joined", incarnation: i, at: i });

  it("keeps events oldest first until full", () => {
    const events = new RecentEvents(3);
    events.add(event(1));
    events.add(event(2));
    expect(events.list().map((e) => e.at)).toEqual([1, 2]);
  });

  it("keeps only the newest `capacity` events", () => {
    const events = new RecentEvents(3);
    for (let i = 1; i <= 7; i++) events.add(event(i));
    expect(events.list().map((e) => e.at)).toEqual([5, 6, 7]);
  });
});
