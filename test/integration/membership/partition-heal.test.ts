import { describe, expect, it } from "vitest";
import { accepted, freshKey, get, put, replicasOf } from "../helpers";
import { ClusterDriver, fault, PERIOD, stub } from "./harness";

const driver = new ClusterDriver();
const ISOLATED = "node-5";
const OTHERS = ["node-1", "node-2", "node-3", "node-4"];

/** Who each node holds dead, by observer. */
async function deadViews(): Promise<Map<string, Set<string>>> {
  const views = new Map<string, Set<string>>();
  for (const node of driver.nodes) {
    const { members } = accepted(await stub(node).membership());
    views.set(node, new Set(members.filter((m) => m.state === "dead").map((m) => m.name)));
  }
  return views;
}

/**
 * Verdicts on never-partitioned nodes that should not be there: any held by a
 * never-partitioned node, and any the isolated node did not already hold when
 * the network healed (its verdicts from before are its own, and must fade).
 */
function falseDeaths(views: Map<string, Set<string>>, heldAtHeal: ReadonlySet<string>, when: string): string[] {
  const found: string[] = [];
  for (const [observer, dead] of views) {
    for (const member of dead) {
      if (member === ISOLATED || (observer === ISOLATED && heldAtHeal.has(member))) continue;
      found.push(`${observer} held ${member} dead ${when}`);
    }
  }
  return found;
}

describe("a node cut off from every peer, then healed", () => {
  it("gets no healthy node declared dead by anyone, and the data path keeps answering", async () => {
    await driver.start();
    // A key the isolated node replicates, written at w=all before the partition: read at r=one throughout.
    let anchor = freshKey("anchor");
    while (!replicasOf(anchor).includes(ISOLATED)) anchor = freshKey("anchor");
    expect((await put(anchor, "all", "?w=all")).status).toBe(200);
    await fault(ISOLATED, { mode: "partition", peers: OTHERS });
    const found = new Set<string>();
    const report = (more: string[]) => more.forEach((f) => found.add(f));
    // Until the others hold it dead and it holds at least one of them dead, checked once a period.
    let views = await deadViews();
    for (let period = 0; !(views.get(ISOLATED)!.size > 0 && OTHERS.every((node) => views.get(node)!.has(ISOLATED))); period++) {
      expect(period, "isolation did not produce verdicts on both sides").toBeLessThan(400);
      await driver.run(1);
      views = await deadViews();
      report(falseDeaths(views, views.get(ISOLATED)!, "while isolated"));
    }
    const heldAtHeal = views.get(ISOLATED)!;

    await fault(ISOLATED, { mode: "up" });
    // Checked after every alarm: in the reported failure, false deaths lasted under a period or two.
    const healedAt = driver.now;
    for (let period = 0; period < 40; period++) {
      const end = healedAt + (period + 1) * PERIOD;
      while (driver.now < end && (await driver.step()))
        report(falseDeaths(await deadViews(), heldAtHeal, `in period ${period} after the heal`));
      for (const level of ["one", "quorum"]) {
        const anchored = await get(anchor, `&r=${level}`);
        expect(anchored.status, `period ${period} r=${level}`).toBe(200);
        expect(await anchored.json()).toMatchObject({ value: "all" });
      }
      const key = freshKey("heal");
      expect((await put(key, period)).status).toBe(200);
      const read = await get(key);
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ value: period });
    }
    expect([...found]).toEqual([]);
    // And the cluster is whole again: everyone holds everyone alive.
    for (const node of driver.nodes) expect(await driver.allSee(driver.nodes, node, "alive")).toBe(true);
  }, 600_000);
});
