import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ClusterDriver, stub } from "./harness";

const driver = new ClusterDriver();

/** The node's private SWIM host, for injecting a failure the public API cannot cause. */
interface Internals {
  gossip: { wake(period: boolean): Promise<void> };
}

describe("a node's alarm", () => {
  it("keeps every periodic job scheduled when one job of a wake throws", async () => {
    await driver.start();
    await runInDurableObject(stub("node-1"), (node) => {
      const { gossip } = node as unknown as Internals;
      const wake = gossip.wake.bind(gossip);
      let failed = false;
      gossip.wake = async (period) => {
        if (!failed) {
          failed = true;
          throw new Error("transient storage error");
        }
        return wake(period);
      };
      // The job rules are the node's seam for scheduling (shared/jobs.ts).
      for (const job of ["period", "repair", "rebalance"] as const) node.work.rules.schedule(job, 0);
    });
    expect(await runDurableObjectAlarm(stub("node-1"))).toBe(true);
    const jobs = await runInDurableObject(stub("node-1"), ({ work }) => ({
      period: work.rules.scheduled("period"),
      repair: work.rules.scheduled("repair"),
    }));
    expect(jobs).toEqual({ period: true, repair: true });
    // And the protocol carries on.
    await driver.run(3);
    expect(await driver.allSee(driver.nodes, "node-1", "alive")).toBe(true);
  });
});
