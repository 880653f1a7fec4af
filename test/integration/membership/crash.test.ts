import { describe, expect, it } from "vitest";
import { ADMIN, api, expectError, freshKey, get, put, replicaCopy, replicasOf, routerWith } from "../helpers";
import { ClusterDriver, clusterView, fault } from "./harness";

/**
 * Each test crashes node-3 itself, from a healthy cluster (every node alive in every view,
 * no fault), and recovers it before it ends, passing or failing.
 */
const driver = new ClusterDriver();
const CRASHED = "node-3";
const live = [...driver.nodes].filter((n) => n !== CRASHED);

/** Crashes node-3 and steps until every live member holds it dead; returns how many periods that took. */
async function crashUntilDead(): Promise<number> {
  await fault(CRASHED, { mode: "crash" });
  return driver.until(() => driver.allSee(live, CRASHED, "dead"), 40);
}

/** Recovers node-3 and steps until every node holds it alive again. */
async function recover(): Promise<void> {
  await fault(CRASHED, { mode: "recover" });
  await driver.until(() => driver.allSee(driver.nodes, CRASHED, "alive"), 10);
}

describe("a crashed node", () => {
  it("the cluster forms by itself: the first request works and every view agrees", async () => {
    // Run first in the file, this put is the nodes' first contact; start() wakes them only if it is not.
    expect((await put("first", "works")).status).toBe(200);
    await driver.start();
    // Asked through a router of its own: the shared one may hold a view cached while another test had
    // node-3 dead (MEMBERSHIP_TTL_MS is long in tests, and a dead node keeps its place on the ring, so
    // no replica's digest tells the router to refresh when it comes back).
    const cluster = await clusterView(routerWith({}));
    expect(cluster.viewsAgree).toBe(true);
    expect(cluster.nodes.map((n) => n.state)).toEqual(["alive", "alive", "alive", "alive", "alive"]);
  });

  it("is marked dead by every live member within the expected number of periods", async () => {
    await driver.healthy();
    await driver.run(3);
    try {
      const periods = await crashUntilDead();
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
        const seen = node.events.filter((e) => e.member === CRASHED).map((e) => e.type);
        expect(seen, node.name).toContain("dead");
        expect(node.events.every((e) => e.at > 1.7e12)).toBe(true);
      }
    } finally {
      await recover();
    }
  });

  it("operator actions on it say it has crashed, as a 409 rather than a server error", async () => {
    await driver.healthy();
    await fault(CRASHED, { mode: "crash" });
    try {
      const body = await expectError(await api("/admin/nodes/node-3", { method: "DELETE", headers: ADMIN }), 409, "node_unavailable");
      expect(body.error.message).toContain("node-3 has crashed");
    } finally {
      await recover();
    }
  });
});

describe("while it is down, and after it recovers", () => {
  it("writes and reads keep succeeding at quorum while it is down; once recovered, it refutes with a higher incarnation and is alive in every view, is handed the keys it replicates that were written meanwhile, and the nodes that stood in for it drop the keys they no longer replicate", async () => {
    await driver.healthy();
    await driver.run(3);
    const writtenDuringCrash: string[] = [];
    try {
      await crashUntilDead();
      for (let i = 0; i < 30; i++) {
        const key = freshKey("during-crash");
        expect((await put(key, i)).status).toBe(200);
        expect(await (await get(key)).json()).toMatchObject({ value: i });
        writtenDuringCrash.push(key);
      }

      // Recovered: it refutes the verdict with a higher incarnation.
      const before = await driver.stateOf("node-1", CRASHED);
      await recover();
      const after = await driver.stateOf("node-1", CRASHED);
      expect(after!.incarnation).toBeGreaterThan(before!.incarnation);
      await driver.run(3);
      expect((await clusterView()).viewsAgree).toBe(true);
    } finally {
      await recover();
    }

    // It is handed the keys it replicates that were written while it was dead.
    await driver.run(3);
    const owned = writtenDuringCrash.filter((key) => replicasOf(key).includes(CRASHED));
    expect(owned.length).toBeGreaterThan(0);
    for (const key of owned) expect(await replicaCopy(CRASHED, key), key).toMatchObject({ present: true });

    // And the nodes that stood in for it drop the keys they no longer replicate.
    for (const key of writtenDuringCrash) {
      for (const node of live) {
        const copy = await replicaCopy(node, key);
        expect(copy.present, `${node} ${key}`).toBe(replicasOf(key).includes(node));
      }
    }
  });
});
