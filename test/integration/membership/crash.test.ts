import { describe, expect, it } from "vitest";
import { ADMIN, api, expectError, freshKey, get, put, replicaCopy, replicasOf } from "../helpers";
import { ClusterDriver, clusterView, fault } from "./harness";

const driver = new ClusterDriver();
const writtenDuringCrash: string[] = [];

describe("a crashed node", () => {
  it("the cluster forms by itself: the first request works and every view agrees", async () => {
    expect((await put("first", "works")).status).toBe(200);
    await driver.start();
    const cluster = await clusterView();
    expect(cluster.viewsAgree).toBe(true);
    expect(cluster.nodes.map((n) => n.state)).toEqual(["alive", "alive", "alive", "alive", "alive"]);
  });

  it("is marked dead by every live member within the expected number of periods", async () => {
    await driver.run(3);
    await fault("node-3", { mode: "crash" });
    const live = [...driver.nodes].filter((n) => n !== "node-3");
    const periods = await driver.until(() => driver.allSee(live, "node-3", "dead"), 40);
    // Expected: probed within about one round-robin pass of 4 members, then a
    // suspicion timeout between 4 periods (min, many confirmations) and 24 (max,
    // none), then gossip. Lifeguard shortens it as the 3 other members confirm.
    expect(periods).toBeGreaterThan(4);
    expect(periods).toBeLessThanOrEqual(32);
    console.log(`node-3 dead everywhere after ${periods.toFixed(1)} protocol periods`);
    // Each live node lists the suspicion and the death among its recent events, with wall times.
    const body = await (
      await api("/cluster")
    ).json<{ nodes: { name: string; events: { member: string; type: string; at: number }[] }[] }>();
    for (const node of body.nodes.filter((n) => live.includes(n.name))) {
      const seen = node.events.filter((e) => e.member === "node-3").map((e) => e.type);
      expect(seen, node.name).toContain("dead");
      expect(node.events.every((e) => e.at > 1.7e12)).toBe(true);
    }
  });

  it("writes and reads keep succeeding at quorum while it is down", async () => {
    for (let i = 0; i < 30; i++) {
      const key = freshKey("during-crash");
      expect((await put(key, i)).status).toBe(200);
      expect(await (await get(key)).json()).toMatchObject({ value: i });
      writtenDuringCrash.push(key);
    }
  });

  it("operator actions on it say it has crashed, as a 409 rather than a server error", async () => {
    const body = await expectError(await api("/admin/nodes/node-3", { method: "DELETE", headers: ADMIN }), 409, "node_unavailable");
    expect(body.error.message).toContain("node-3 has crashed");
  });

  it("once recovered, refutes with a higher incarnation and is alive in every view", async () => {
    const before = await driver.stateOf("node-1", "node-3");
    await fault("node-3", { mode: "recover" });
    await driver.until(() => driver.allSee(driver.nodes, "node-3", "alive"), 10);
    const after = await driver.stateOf("node-1", "node-3");
    expect(after!.incarnation).toBeGreaterThan(before!.incarnation);
    await driver.run(3);
    expect((await clusterView()).viewsAgree).toBe(true);
  });
});

describe("after recovery", () => {
  it("the node is handed the keys it replicates that were written while it was dead", async () => {
    await driver.run(3);
    const owned = writtenDuringCrash.filter((key) => replicasOf(key).includes("node-3"));
    expect(owned.length).toBeGreaterThan(0);
    for (const key of owned) expect(await replicaCopy("node-3", key), key).toMatchObject({ present: true });
  });

  it("and the nodes that stood in for it drop the keys they no longer replicate", async () => {
    for (const key of writtenDuringCrash) {
      for (const node of ["node-1", "node-2", "node-4", "node-5"]) {
        const copy = await replicaCopy(node, key);
        expect(copy.present, `${node} ${key}`).toBe(replicasOf(key).includes(node));
      }
    }
  });
});
