import { describe, expect, it } from "vitest";
import { Timetable } from "../../shared/timetable";

describe("Timetable: many periodic jobs on one alarm", () => {
  it("wakes for the earliest job", () => {
    const t = new Timetable<"period" | "repair">();
    expect(t.next()).toBeUndefined();
    t.set("repair", 5_000);
    t.set("period", 1_000);
    expect(t.next()).toBe(1_000);
  });

  it("hands out only the jobs that are due, earliest first, and forgets them", () => {
    const t = new Timetable<"a" | "b" | "c">();
    t.set("b", 20);
    t.set("a", 10);
    t.set("c", 30);
    expect(t.takeDue(25)).toEqual(["a", "b"]);
    expect(t.takeDue(25)).toEqual([]);
    expect(t.next()).toBe(30);
  });

  it("setEarliest never postpones a job; set replaces it; cancel removes it", () => {
    const t = new Timetable<"x">();
    t.setEarliest("x", 100);
    t.setEarliest("x", 200);
    expect(t.next()).toBe(100);
    t.set("x", 200);
    expect(t.next()).toBe(200);
    t.cancel("x");
    expect(t.has("x")).toBe(false);
    expect(t.next()).toBeUndefined();
  });
});
