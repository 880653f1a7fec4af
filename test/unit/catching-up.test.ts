import { describe, expect, it } from "vitest";
import { CatchingUpNodes } from "../../worker/catching-up";

describe("CatchingUpNodes", () => {
  it("marks a node that said it is catching up until it answers without the flag", () => {
    const nodes = new CatchingUpNodes(() => 0, 2_000);
    nodes.heard("a", true);
    expect([...nodes.current()]).toEqual(["a"]);
    nodes.heard("a", false);
    expect(nodes.current().size).toBe(0);
  });

  it("forgets a mark after its time to live, so a node is tried in its place again", () => {
    let now = 0;
    const nodes = new CatchingUpNodes(() => now, 2_000);
    nodes.heard("a", true);
    now = 1_999;
    expect(nodes.current().has("a")).toBe(true);
    now = 2_000;
    expect(nodes.current().has("a")).toBe(false);
  });

  it("holds at most maxNodes marks", () => {
    const nodes = new CatchingUpNodes(() => 0, 2_000, 2);
    for (const n of ["a", "b", "c"]) nodes.heard(n, true);
    expect([...nodes.current()].sort()).toEqual(["a", "b"]);
  });
});
