import { describe, expect, it } from "vitest";
import { Ring } from "../../../shared/ring";
import { accepted, ADMIN, api, config, freshKey, put, replicaCopy, replicasOf } from "../helpers";
import { ClusterDriver, fault, PERIOD, stub } from "./harness";

/**
 * DEAD_NODE_GRACE_MS (12 periods in this project): a dead node keeps its place
 * on the ring for the grace, its writes going to hints; past it, the node is
 * dropped and its keys are re-replicated on the others.
 */
const driver = new ClusterDriver();
const DEAD = "node-3";
const withoutDead = Ring.build(
  config.nodes.filter((n) => n !== DEAD),
  { virtualNodes: config.virtualNodes, replicas: config.replicas },
);

async function ringOf(node: string): Promise<readonly string[]> {
  return accepted(await stub(node).membership()).ring ?? [];
}

interface Row {
  name: string;
  onRing: boolean;
  hints?: { entries: number };
}

async function rows(): Promise<Row[]> {
  return (await (await api("/cluster", { headers: ADMIN })).json<{ nodes: Row[] }>()).nodes;
}

describe("a node dead past the grace", () => {
  it("keeps its place while dead, then is dropped, and every key is back on N replicas", async () => {
    await driver.start();
    const keys: string[] = [];
    for (let i = 0; i < 20; i++) {
      const key = freshKey("before");
      expect((await put(key, i, "?w=all")).status).toBe(200);
      keys.push(key);
    }
    await fault(DEAD, { mode: "crash" });
    const live = [...driver.nodes].filter((n) => n !== DEAD);
    const diedAt = driver.now;
    await driver.until(() => driver.allSee(live, DEAD, "dead"), 40);

    // Within the grace: still on every ring, and its writes wait in hints.
    for (const node of live) expect(await ringOf(node), node).toContain(DEAD);
    const during: string[] = [];
    for (let i = 0; during.length < 10; i++) {
      const key = freshKey("during");
      if (!replicasOf(key).includes(DEAD)) continue;
      expect((await put(key, `during-${i}`)).status).toBe(200);
      during.push(key);
    }
    expect((await rows()).find((r) => r.name === DEAD)?.onRing).toBe(true);
    expect((await rows()).reduce((sum, r) => sum + (r.hints?.entries ?? 0), 0)).toBeGreaterThanOrEqual(during.length);

    // Past it: off every live node's ring.
    const periods = await driver.until(async () => {
      for (const node of live) if ((await ringOf(node)).includes(DEAD)) return false;
      return true;
    }, 40);
    expect(driver.now - diedAt).toBeGreaterThanOrEqual(12 * PERIOD);
    console.log(`${DEAD} off every ring ${periods.toFixed(1)} periods after it was dead everywhere`);

    // The sweep re-replicates: every key on its N replicas of the ring without it, and no hint is left.
    await driver.run(4);
    for (const key of [...keys, ...during]) {
      for (const node of withoutDead.preferenceList(key))
        expect(await replicaCopy(node, key), `${key} on ${node}`).toMatchObject({ present: true });
    }
    const left = (await rows()).filter((r) => r.name !== DEAD).reduce((sum, r) => sum + (r.hints?.entries ?? 0), 0);
    expect(left).toBe(0);
  }, 120_000);
});
