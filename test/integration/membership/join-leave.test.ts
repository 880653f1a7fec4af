import { beforeAll, describe, expect, it } from "vitest";
import type { MemberStatus } from "../../../shared/swim";
import { Ring } from "../../../shared/ring";
import { accepted, ADMIN, api, config, expectError, freshKey, get, put, replicaCopy, routerWith } from "../helpers";
import { ClusterDriver, clusterView, fault, stub } from "./harness";

/**
 * node-6 joins once, in beforeAll, after 60 keys are written and after `beforeJoin`, a router
 * of the file's own, has cached its view. Each test of the join starts from there, stepping
 * the cluster until every node holds every node alive (node-6 included), and ends with no
 * fault in force. A graceful leave is permanent, so the leave test makes a node of its own
 * (node-7) join and then leave: node-6 stays a member whatever ran before.
 */
const driver = new ClusterDriver();
/** Written in beforeAll, before the join: key to value. */
const written = new Map<string, number>();
const sixNodes = Ring.build([...config.nodes, "node-6"], { virtualNodes: config.virtualNodes, replicas: config.replicas });
/** A router whose view is cached before node-6 joins, and that only the test of that staleness uses. */
const beforeJoin = routerWith({});
/** What the join answered, and what node-6 held as soon as it had joined. */
let joined: { status: number; body: unknown; alive: MemberStatus[] };

function addNode(body: unknown): Promise<Response> {
  return api("/admin/nodes", { method: "POST", headers: ADMIN, body: JSON.stringify(body) });
}

beforeAll(async () => {
  await driver.start();
  for (let i = 0; i < 60; i++) {
    const key = freshKey("before-join");
    expect((await put(key, i)).status).toBe(200);
    written.set(key, i);
  }
  expect((await beforeJoin(`/s/key?key=${encodeURIComponent([...written.keys()][0]!)}`)).status).toBe(200);
  const response = await addNode({ name: "node-6", introducer: "node-2" });
  const body: unknown = await response.json();
  const { members } = accepted(await stub("node-6").membership());
  joined = { status: response.status, body, alive: members.filter((m) => m.state === "alive") };
  driver.nodes.add("node-6");
});

describe("a node that joins", () => {
  it("starts through an introducer and gets the full membership at once, then appears in every member's view by gossip", async () => {
    expect(joined.status).toBe(201);
    expect(joined.body).toMatchObject({ node: "node-6", introducers: ["node-2"], swim: { state: "alive" } });
    expect(joined.alive).toHaveLength(6);
    // Run after another test of the file, node-6 is in every view already: 0 periods.
    const periods = await driver.until(() => driver.allSee(driver.nodes, "node-6", "alive"), 20);
    console.log(`node-6 in every view after ${periods.toFixed(1)} periods`);
    expect((await clusterView()).viewsAgree).toBe(true);
  });

  it("runs protocol periods of its own, and follows failures and recoveries", async () => {
    await driver.healthy(20);
    // Its alarm drives its own probes (a joined node that only answered others' would have none).
    expect(await driver.alarmOf("node-6")).not.toBeNull();
    try {
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
    } finally {
      await api("/admin/nodes/node-4/fault", { method: "POST", headers: ADMIN, body: JSON.stringify({ mode: "recover" }) });
    }
  });

  it("is given the keys it now replicates, by the nodes that held them", async () => {
    await driver.healthy(20);
    await driver.run(2);
    const moved = [...written.keys()].filter((key) => sixNodes.preferenceList(key).includes("node-6"));
    expect(moved.length).toBeGreaterThan(0);
    for (const key of moved) expect(await replicaCopy("node-6", key), key).toMatchObject({ present: true, value: written.get(key) });
  });

  it("is in the router's ring once a replica's reply shows the router its view is stale", async () => {
    await driver.healthy(20);
    // beforeJoin cached its view before the join. The first reply carrying the new
    // view's digest makes it refresh, so the request after that uses the new ring.
    expect((await beforeJoin(`/s/key?key=${encodeURIComponent([...written.keys()][0]!)}`)).status).toBe(200);
    const key = [...Array(200).keys()].map((i) => `joined-${i}`).find((k) => sixNodes.preferenceList(k)[0] === "node-6")!;
    const stored = await beforeJoin("/s/key?w=all", { method: "POST", body: JSON.stringify({ key, value: "on node-6" }) });
    const { version } = await stored.json<{ version: string }>();
    expect(await replicaCopy("node-6", key)).toMatchObject({ value: "on node-6", version });
    const cluster = await clusterView(beforeJoin);
    expect(cluster.nodes.find((n) => n.name === "node-6")).toMatchObject({ state: "alive", reachable: true });
    for (const [k, value] of written)
      expect(await (await beforeJoin(`/s/key?key=${encodeURIComponent(k)}`)).json(), k).toMatchObject({ value });
  });

  it("refuses a second join of a live member, and bad requests", async () => {
    await driver.healthy(20);
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
  it("hands its keys to their new replicas and is marked left everywhere, and is then out of the router's ring: writes land on the others", async () => {
    await driver.healthy(20);
    // node-7 joins for this test alone, and catches up on the keys it now replicates.
    const response = await addNode({ name: "node-7", introducer: "node-3" });
    expect(response.status, await response.clone().text()).toBe(201);
    driver.nodes.add("node-7");
    try {
      // An operator can act on it at once: before gossip, only its introducer knows of it, and each
      // call's fresh view comes from a random live member.
      for (let i = 0; i < 5; i++) expect((await fault("node-7", { mode: "up" })).status).toBe(200);
      await driver.until(() => driver.allSee(driver.nodes, "node-7", "alive"), 20);
      await driver.until(async () => (await stub("node-7").stats()).catchUp === null, 40);
      const { ring } = accepted(await stub("node-1").membership());
      const withIt = Ring.build(ring!, { virtualNodes: config.virtualNodes, replicas: config.replicas });

      const held = (await stub("node-7").stats()).keys;
      expect(held).toBeGreaterThan(0);
      const left = await api("/admin/nodes/node-7", { method: "DELETE", headers: ADMIN });
      expect(left.status).toBe(200);
      const body = await left.json<{ handedOff: number }>();
      expect(body).toMatchObject({ node: "node-7", swim: { state: "left" } });
      // Every key it held went, plus any a background read repair wrote to it meanwhile.
      expect(body.handedOff).toBeGreaterThanOrEqual(held);
      expect((await stub("node-7").stats()).keys).toBe(0);

      const others = [...driver.nodes].filter((n) => n !== "node-7");
      // By gossip, or at the latest when a member that missed it next probes node-7: a relay
      // answers that it left. Two probe passes at most.
      await driver.until(() => driver.allSee(others, "node-7", "left"), 20);
      for (const [key, value] of written) expect(await (await get(key, "&r=all")).json(), key).toMatchObject({ value });

      // Out of the router's ring: a key it replicated is written on three of the others.
      await driver.run(2);
      const key = [...Array(200).keys()].map((i) => `after-leave-${i}`).find((k) => withIt.preferenceList(k).includes("node-7"))!;
      expect(await (await put(key, "x", "?w=all")).json()).toMatchObject({ acked: 3 });
      // A node that left refuses data operations (the admin read among them); its own copy, directly:
      expect((await stub("node-7").inspect(key)).entry).toBeNull();
      await expectError(await api(`/admin/nodes/node-7/d/read?key=${key}`, { headers: ADMIN }), 502, "replica_unavailable");
    } finally {
      // Passing or failing, node-7 is gone for the file's other tests.
      if ((await stub("node-7").stats()).swim?.state !== "left") await api("/admin/nodes/node-7", { method: "DELETE", headers: ADMIN });
      driver.nodes.delete("node-7");
    }
  });
});
