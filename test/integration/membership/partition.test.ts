import { describe, expect, it } from "vitest";
import { freshKey, get, put } from "../helpers";
import { ClusterDriver, clusterView, fault, stub } from "./harness";

/**
 * Each test starts from a healthy cluster (no fault, every node alive in every view),
 * makes its own partition, and heals it before it ends, passing or failing.
 */
const driver = new ClusterDriver();

/** Runs `body` with node-1 and node-2 cut off from each other, healing the partition after. */
async function withPairPartitioned(body: () => Promise<void>): Promise<void> {
  await driver.healthy();
  await fault("node-1", { mode: "partition", peers: ["node-2"] });
  try {
    await body();
  } finally {
    await fault("node-1", { mode: "up" });
  }
}

describe("a partitioned pair", () => {
  it("is not declared dead while indirect probes through the others succeed", () =>
    withPairPartitioned(async () => {
      const suspicions: string[] = [];
      for (let period = 0; period < 30; period++) {
        await driver.run(1);
        for (const [observer, member] of [
          ["node-1", "node-2"],
          ["node-2", "node-1"],
        ] as const) {
          const state = (await driver.stateOf(observer, member))?.state;
          if (state !== "alive") suspicions.push(`${observer} saw ${member} ${state} in period ${period}`);
        }
      }
      expect(suspicions).toEqual([]);
      const cluster = await clusterView();
      expect(cluster.nodes.every((n) => n.state === "alive")).toBe(true);
      expect(cluster.viewsAgree).toBe(true);
    }));

  it("really cannot talk directly: the partitioned node refuses its peer's messages", () =>
    withPairPartitioned(async () => {
      // A refusal is the call's result (shared/node-api.ts), not an exception.
      const call = async (node: string, from: string): Promise<unknown> => await stub(node).antiEntropy([], from);
      await expect(call("node-1", "node-2")).resolves.toMatchObject({
        refused: "partitioned",
        message: expect.stringMatching(/partitioned/),
      });
      await expect(call("node-1", "node-3")).resolves.toEqual({ newer: [], behind: [] });
    }));

  it("and clients are unaffected: the router reaches every node", () =>
    withPairPartitioned(async () => {
      const key = freshKey("partitioned");
      expect((await put(key, "ok", "?w=all")).status).toBe(200);
      expect((await get(key, "&r=all")).status).toBe(200);
    }));

  it("a node cut off from everyone is declared dead, and comes back when the partition heals", async () => {
    await driver.healthy();
    const others = ["node-1", "node-2", "node-3", "node-4"];
    await fault("node-5", { mode: "partition", peers: others });
    try {
      await driver.until(() => driver.allSee(others, "node-5", "dead"), 40);
    } finally {
      await fault("node-5", { mode: "up" });
    }
    // node-5 never heard it was declared dead; periodic push-pull tells it, and it refutes.
    const periods = await driver.until(() => driver.allSee([...driver.nodes], "node-5", "alive"), 40);
    console.log(`node-5 alive everywhere ${periods.toFixed(1)} periods after the partition healed`);
  });
});
