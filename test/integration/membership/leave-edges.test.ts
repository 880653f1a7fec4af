import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, expectError, freshKey, get, put, replicasOf } from "../helpers";
import { ClusterDriver, fault, stub } from "./harness";

const driver = new ClusterDriver();
const others = ["node-1", "node-2", "node-3", "node-4"];
const leave = () => api("/admin/nodes/node-5", { method: "DELETE", headers: ADMIN });

describe("leaving, at the edges", () => {
  it("is refused while some replica cannot take the node's keys, and the node stays a member", async () => {
    await driver.start();
    for (let i = 0; i < 60; i++) expect((await put(freshKey("held"), i, "?w=all")).status).toBe(200);
    const held = (await stub("node-5").stats()).keys;
    expect(held).toBeGreaterThan(0);

    await fault("node-5", { mode: "partition", peers: ["node-1"] });
    const body = await expectError(await leave(), 503, "leave_incomplete");
    expect(body.error).toMatchObject({ remaining: expect.any(Number), handedOff: expect.any(Number) });
    expect(body.error.remaining).toBeGreaterThan(0);
    // The replica that did not take its keys is named, so the operator knows whom to look at.
    expect(body.error.nodes).toEqual(["node-1"]);
    expect(body.error.message).toContain("node-1 did not confirm");
    expect((await stub("node-5").stats()).swim?.state).toBe("alive");
    expect(await driver.alarmOf("node-5")).not.toBeNull();

    await fault("node-5", { mode: "up" });
    const response = await leave();
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ swim: { state: "left" } });
    expect((await stub("node-5").stats()).keys).toBe(0);
    await driver.until(() => driver.allSee(others, "node-5", "left"), 10);
  });

  it("a node that left stays left when its object restarts (an eviction, a deploy)", async () => {
    await runInDurableObject(stub("node-5"), (_instance, state) => state.abort("evicted")).catch(() => undefined);
    expect((await stub("node-5").stats()).swim?.state).toBe("left");
    expect(await driver.alarmOf("node-5")).toBeNull();
    await driver.run(5);
    expect(await driver.allSee(others, "node-5", "left")).toBe(true);
  });

  it("a node that left refuses data from a router whose view is older; the router refreshes its view and succeeds", async () => {
    // This router's view was cached before the leave (MEMBERSHIP_TTL_MS is long in tests).
    const key = [...Array(500).keys()].map((i) => `after-leave-${i}`).find((k) => replicasOf(k).includes("node-5"))!;
    // Stale preference list: node-5 refuses as a non-member, so w=all misses; the
    // router fetches the current view and writes to the key's replicas now.
    expect(await (await put(key, "x", "?w=all")).json()).toMatchObject({ acked: 3, required: 3 });
    expect((await stub("node-5").inspect(key)).entry).toBeNull();
    expect(await (await get(key, "&r=all")).json()).toMatchObject({ value: "x" });
  });
});
