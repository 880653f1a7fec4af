import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Ring } from "../../../shared/ring";
import { accepted, ADMIN, api, config, expectError, freshKey, put, routerWith } from "../helpers";
import { ClusterDriver, fault, stub } from "./harness";

/**
 * A graceful leave is permanent, and every test here ends one: each leaves a node of its own
 * (node-5, node-4), so they run alone or in any order, and the cluster keeps at least N = 3
 * members whatever ran first.
 */
const driver = new ClusterDriver();
const leave = (node: string, router = api) => router(`/admin/nodes/${node}`, { method: "DELETE", headers: ADMIN });

/** The configured nodes still members (not left), other than `node`. */
async function othersThan(node: string): Promise<string[]> {
  const others: string[] = [];
  for (const n of config.nodes) if (n !== node && (await stub(n).stats()).swim?.state !== "left") others.push(n);
  return others;
}

describe("leaving, at the edges", () => {
  it("is refused while some replica cannot take the node's keys, and the node stays a member", async () => {
    await driver.start();
    const others = await othersThan("node-5");
    for (let i = 0; i < 60; i++) expect((await put(freshKey("held"), i, "?w=all")).status).toBe(200);
    const held = (await stub("node-5").stats()).keys;
    expect(held).toBeGreaterThan(0);

    await fault("node-5", { mode: "partition", peers: ["node-1"] });
    try {
      const body = await expectError(await leave("node-5"), 503, "leave_incomplete");
      expect(body.error).toMatchObject({ remaining: expect.any(Number), handedOff: expect.any(Number) });
      expect(body.error.remaining).toBeGreaterThan(0);
      // The replica that did not take its keys is named, so the operator knows whom to look at.
      expect(body.error.nodes).toEqual(["node-1"]);
      expect(body.error.message).toContain("node-1 did not confirm");
      expect((await stub("node-5").stats()).swim?.state).toBe("alive");
      expect(await driver.alarmOf("node-5")).not.toBeNull();
    } finally {
      await fault("node-5", { mode: "up" });
    }

    const response = await leave("node-5");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ swim: { state: "left" } });
    expect((await stub("node-5").stats()).keys).toBe(0);
    // By gossip, or at the latest when a member that missed it next probes node-5: a relay
    // answers that it left. Two probe passes at most.
    await driver.until(() => driver.allSee(others, "node-5", "left"), 20);
  });

  it("a node that left stays left when its object restarts (an eviction, a deploy), and refuses data from a router whose view is older; the router refreshes its view and succeeds", async () => {
    await driver.start();
    const others = await othersThan("node-4");
    // A router of its own, whose view is cached before the leave (MEMBERSHIP_TTL_MS is long in tests).
    const router = routerWith({});
    const { ring } = accepted(await stub(others[0]!).membership());
    const before = Ring.build(ring!, { virtualNodes: config.virtualNodes, replicas: config.replicas });
    const key = [...Array(500).keys()].map((i) => `after-leave-${i}`).find((k) => before.preferenceList(k).includes("node-4"))!;
    expect((await router(`/s/key?key=${key}`)).status).toBe(404);
    const response = await leave("node-4", router);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ swim: { state: "left" } });
    // By gossip, or at the latest when a member that missed it next probes node-4: a relay
    // answers that it left. Two probe passes at most.
    await driver.until(() => driver.allSee(others, "node-4", "left"), 20);

    // Restarted, it stays left: no alarm, and the others keep holding it left.
    await runInDurableObject(stub("node-4"), (_instance, state) => state.abort("evicted")).catch(() => undefined);
    expect((await stub("node-4").stats()).swim?.state).toBe("left");
    expect(await driver.alarmOf("node-4")).toBeNull();
    await driver.run(5);
    expect(await driver.allSee(others, "node-4", "left")).toBe(true);

    // Stale preference list: node-4 refuses as a non-member, so w=all misses; the
    // router fetches the current view and writes to the key's replicas now.
    const write = await router("/s/key?w=all", { method: "POST", body: JSON.stringify({ key, value: "x" }) });
    expect(await write.json()).toMatchObject({ acked: 3, required: 3 });
    expect((await stub("node-4").inspect(key)).entry).toBeNull();
    expect(await (await router(`/s/key?key=${key}&r=all`)).json()).toMatchObject({ value: "x" });
  });
});
