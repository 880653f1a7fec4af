import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ClusterDriver, stub } from "./harness";

const driver = new ClusterDriver();

/** The node's private alarm scheduler and SWIM host, for injecting a failure the public API cannot cause. */
interface Internals {
  gossip: { wake(period: boolean): Promise<void> };
  scheduler: { jobs: { set(job: string, at: number): void; has(job: string): boolean } };
}

describe("a node's alarm", () => {
  it("keeps every periodic job scheduled when one job of a wake throws", async () => {
    await driver.start();
    await runInDurableObject(stub("node-1"), (instance) => {
      const node = instance as unknown as Internals;
      const wake = node.gossip.wake.bind(node.gossip);
      let failed = false;
      node.gossip.wake = async (period) => {
        if (!failed) {
          failed = true;
          throw new Error("transient storage error");
        }
        return wake(period);
      };
      for (const job of ["period", "repair", "rebalance"]) node.scheduler.jobs.set(job, 0);
    });
    expect(await runDurableObjectAlarm(stub("node-1"))).toBe(true);
    const jobs = await runInDurableObject(stub("node-1"), (instance) => {
      const { jobs } = (instance as unknown as Internals).scheduler;
      return { period: jobs.has("period"), repair: jobs.has("repair") };
    });
    expect(jobs).toEqual({ period: true, repair: true });
    // And the protocol carries on.
    await driver.run(3);
    expect(await driver.allSee(driver.nodes, "node-1", "alive")).toBe(true);
  });
});
