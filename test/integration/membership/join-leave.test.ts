import { describe, expect, it } from "vitest";
import { Ring } from "../../../shared/ring";
import { accepted, ADMIN, api, config, expectError, freshKey, get, put, replicaCopy } from "../helpers";
import { ClusterDriver, clusterView, stub } from "./harness";

const driver = new ClusterDriver();
const written = new Map<string, number>();
const sixNodes = Ring.build([...config.nodes, "node-6"], { virtualNodes: config.virtualNodes, replicas: config.replicas });

function addNode(body: unknown): Promise<Response> {
  return api("/admin/nodes", { method: "POST", headers: ADMIN, body: JSON.stringify(body) });
}

describe("a node that joins", () => {
  it("starts through an introducer and gets the full membership at once", async () => {
    await driver.start();
    for (let i = 0; i < 60; i++) {
      const key = freshKey("before-join");
      expect((await put(key, i)).status).toBe(200);
      written.set(key, i);
    }
    const response = await addNode({ name: "node-6", introducer: "node-2" });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ node: "node-6", introducers: ["node-2"], swim: { state: "alive" } });
    driver.nodes.add("node-6");
    expect(accepted(await stub("node-6").membership()).members.filter((m) => m.state === "alive")).toHaveLength(6);
  });

  it("appears in every member's view by gossip", async () => {
    const periods = await driver.until(() => driver.allSee(driver.nodes, "node-6", "alive"), 20);
    console.log(`node-6 in every view after ${periods.toFixed(1)} periods`);
    expect((await clusterView()).viewsAgree).toBe(true);
  });

  it("runs protocol periods of its own, and follows failures and recoveries", async () => {
    // Its alarm drives its own probes (a joined node that only answered others' would have none).
    expect(await driver.alarmOf("node-6")).not.toBeNull();
    await api("/admin/nodes/node-4/fault", {
      method: "POST",
      headers: ADMIN,
      body: JSON.stringify({ mode: "partition", peers: ["node-6"] }),
    });
    // node-4 drops node-6's direct probes; indirect probes through the others reach it.
    await driver.run(12);
    expect((await driver.stateOf("node-6", "node-4"))?.state).toBe("alive");
    await api("/admin/nodes/node-4/fault", { method: "POST", headers: ADMIN, body: JSON.stringify({ mode: "crash" }) });
    await driver.until(() => driver.allSee(["node-6"], "node-4", "dead"), 40);
    await api("/admin/nodes/node-4/fault", { method: "POST", headers: ADMIN, body: JSON.stringify({ mode: "recover" }) });
    await driver.until(() => driver.allSee(driver.nodes, "node-4", "alive"), 20);
  });

  it("is given the keys it now replicates, by the nodes that held them", async () => {
    await driver.run(2);
    const moved = [...written.keys()].filter((key) => sixNodes.preferenceList(key).includes("node-6"));
    expect(moved.length).toBeGreaterThan(0);
    for (const key of moved) expect(await replicaCopy("node-6", key), key).toMatchObject({ present: true, value: written.get(key) });
  });

  it("is in the router's ring once a replica's reply shows the router its view is stale", async () => {
    // The router cached its view before the join. The first reply carrying the new
    // view's digest makes it refresh, so the request after that uses the new ring.
    expect((await get([...written.keys()][0]!)).status).toBe(200);
    const key = [...Array(200).keys()].map((i) => `joined-${i}`).find((k) => sixNodes.preferenceList(k)[0] === "node-6")!;
    const { version } = await (await put(key, "on node-6", "?w=all")).json<{ version: string }>();
    expect(await replicaCopy("node-6", key)).toMatchObject({ value: "on node-6", version });
    const cluster = await clusterView();
    expect(cluster.nodes.find((n) => n.name === "node-6")).toMatchObject({ state: "alive", reachable: true });
    for (const [k, value] of written) expect(await (await get(k)).json(), k).toMatchObject({ value });
  });

  it("refuses a second join of a live member, and bad requests", async () => {
    await expectError(await addNode({ name: "node-6" }), 409, "already_member");
    await expectError(await addNode({ name: "bad/name" }), 400, "invalid_node");
    // The router's log lines carry node "router": no node may take that name.
    await expectError(await addNode({ name: "router" }), 400, "invalid_node");
    await expectError(await addNode({}), 400, "invalid_node");
    await expectError(await addNode({ name: "node-7", introducer: "node-99" }), 400, "invalid_introducer");
    await expectError(await api("/admin/nodes", { method: "POST", body: "{}" }), 401, "unauthorized");
  });
});

describe("a node that leaves gracefully", () => {
  it("hands its keys to their new replicas and is marked left everywhere", async () => {
    const held = (await stub("node-6").stats()).keys;
    expect(held).toBeGreaterThan(0);
    const response = await api("/admin/nodes/node-6", { method: "DELETE", headers: ADMIN });
    expect(response.status).toBe(200);
    const body = await response.json<{ handedOff: number }>();
    expect(body).toMatchObject({ node: "node-6", swim: { state: "left" } });
    // Every key it held went, plus any a background read repair wrote to it meanwhile.
    expect(body.handedOff).toBeGreaterThanOrEqual(held);
    expect((await stub("node-6").stats()).keys).toBe(0);

    const others = [...driver.nodes].filter((n) => n !== "node-6");
    await driver.until(() => driver.allSee(others, "node-6", "left"), 10);
    for (const [key, value] of written) expect(await (await get(key, "&r=all")).json(), key).toMatchObject({ value });
  });

  it("is out of the router's ring: writes land on the five others", async () => {
    await driver.run(2);
    const key = [...Array(200).keys()].map((i) => `after-leave-${i}`).find((k) => sixNodes.preferenceList(k).includes("node-6"))!;
    expect(await (await put(key, "x", "?w=all")).json()).toMatchObject({ acked: 3 });
    // A node that left refuses data operations (the admin read among them); its own copy, directly:
    expect((await stub("node-6").inspect(key)).entry).toBeNull();
    await expectError(await api(`/admin/nodes/node-6/d/read?key=${key}`, { headers: ADMIN }), 502, "replica_unavailable");
  });
});
