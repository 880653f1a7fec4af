import { describe, expect, it } from "vitest";
import { Ring } from "../../../shared/ring";
import { ADMIN, api, config, freshKey, get, put, replicasOf } from "../helpers";
import { ClusterDriver, stub } from "./harness";

/**
 * A node joins and is first in some keys' preference lists before it holds
 * them: it takes writes at once, but a read at r=one never takes its "nothing"
 * for an answer.
 */
const driver = new ClusterDriver();
const sixNodes = Ring.build([...config.nodes, "node-6"], { virtualNodes: config.virtualNodes, replicas: config.replicas });

/** node-6's own account of its catch-up (the router's cached view may not list node-6 yet). */
async function catchUpOf(node: string) {
  return (await stub(node).stats()).catchUp;
}

describe("a node that joins under w=all / r=one", () => {
  it("is never read before it has caught up: every r=one read of a key it now leads returns the acknowledged value", async () => {
    await driver.start();
    // Keys node-6 will lead, all held today by the same three nodes: cut node-6 off from those
    // three, and it cannot catch up on them until the partition heals.
    const byHolders = new Map<string, string[]>();
    for (let i = 0; i < 4000; i++) {
      const key = freshKey("join");
      if (sixNodes.preferenceList(key)[0] !== "node-6") continue;
      const holders = [...replicasOf(key)].sort().join(",");
      byHolders.set(holders, [...(byHolders.get(holders) ?? []), key]);
    }
    const [holders, found] = [...byHolders].sort((a, b) => b[1].length - a[1].length)[0]!;
    const keys = found.slice(0, 8);
    expect(keys.length).toBeGreaterThanOrEqual(5);
    const cutOff = holders.split(",");
    const introducer = config.nodes.find((n) => !cutOff.includes(n))!;
    for (const key of keys) expect((await put(key, key, "?w=all")).status).toBe(200);

    // Cut off before it joins (through its stub: the router does not know node-6 yet), or its
    // catch-up, which starts at once, could finish first.
    await stub("node-6").setFault({ mode: "partition", peers: cutOff });
    const joined = await api("/admin/nodes", { method: "POST", headers: ADMIN, body: JSON.stringify({ name: "node-6", introducer }) });
    expect(joined.status).toBe(201);
    driver.nodes.add("node-6");

    const wrong: string[] = [];
    const readAll = async (when: string) => {
      for (const key of keys) {
        const response = await get(key, "&r=one");
        const body = await response.text();
        if (response.status !== 200 || (JSON.parse(body) as { value: unknown }).value !== key)
          wrong.push(`${when}: ${response.status} ${body}`);
      }
    };
    await readAll("right after the join");
    await driver.run(3);
    await readAll("three periods later, still cut off from the keys' holders");
    expect(await catchUpOf("node-6")).toMatchObject({ state: "joining" });
    // The router reads node-6 first for these keys, and learns from its answer to read it last.
    await stub("node-6").setFault({ mode: "up" });
    let steps = 0;
    for (; (await catchUpOf("node-6")) !== null; steps++) {
      expect(steps, "node-6 did not catch up").toBeLessThan(400);
      await driver.step();
      await readAll(`after ${steps + 1} alarms`);
    }
    await driver.run(2);
    await readAll("once caught up");
    expect(wrong).toEqual([]);
    for (const key of keys) {
      const own = await (await api(`/admin/nodes/node-6/d/read?key=${encodeURIComponent(key)}`, { headers: ADMIN })).json();
      expect(own, key).toMatchObject({ present: true, value: key });
    }
  }, 60_000);
});
