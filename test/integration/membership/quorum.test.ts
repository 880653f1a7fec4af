import { describe, expect, it } from "vitest";
import { ADMIN, api, expectError, freshKey, get, put, replicasOf } from "../helpers";
import { ClusterDriver, fault } from "./harness";

/**
 * R + W > N: a read that starts after a write was acknowledged sees it, while
 * replicas crash and come back. Each scenario starts from a healthy cluster and
 * leaves one behind.
 */
const driver = new ClusterDriver();

interface NodeRow {
  name: string;
  state: string;
  catchUp?: { state: string; peersDone: number; peers: number } | null;
  hints?: { entries: number };
}

async function nodes(): Promise<NodeRow[]> {
  return (await (await api("/cluster", { headers: ADMIN })).json<{ nodes: NodeRow[] }>()).nodes;
}

/** Every node up, alive in every view, and caught up. */
async function healthy(): Promise<void> {
  await driver.start();
  for (const node of driver.nodes) await fault(node, { mode: "up" });
  await driver.until(async () => {
    for (const node of driver.nodes) if (!(await driver.allSee(driver.nodes, node, "alive"))) return false;
    return (await nodes()).every((n) => n.catchUp === null || n.catchUp === undefined);
  }, 40);
}

async function crash(...crashed: string[]): Promise<void> {
  for (const node of crashed) await fault(node, { mode: "crash" });
  const live = [...driver.nodes].filter((n) => !crashed.includes(n));
  for (const node of crashed) await driver.until(() => driver.allSee(live, node, "dead"), 40);
}

/** A read's answer: the value it returned, or "unavailable" for a 503 (a quorum of caught-up replicas not yet there). */
async function readOnce(key: string, query: string): Promise<unknown> {
  const response = await get(key, query);
  if (response.status === 503) {
    await expectError(response, 503, "quorum_not_reached");
    return "unavailable";
  }
  const text = await response.text();
  expect(response.status, `a read of ${key}${query} answered ${response.status}: ${text}`).toBe(200);
  return (JSON.parse(text) as { value: unknown }).value;
}

/**
 * Reads `key` after every alarm until `recovered` and `caught up`, then 30
 * times more: every read is the acknowledged value, or (only while `mayRefuse`)
 * a 503; never a 404 or an older value.
 */
async function readsThroughRecovery(key: string, query: string, acked: unknown, mayRefuse: boolean, recovered: string[]): Promise<void> {
  const seen: unknown[] = [];
  const done = async () => {
    for (const node of recovered) if (!(await driver.allSee(driver.nodes, node, "alive"))) return false;
    return (await nodes()).filter((n) => recovered.includes(n.name)).every((n) => n.catchUp === null);
  };
  for (let steps = 0; !(await done()); steps++) {
    expect(steps, "the recovered nodes did not catch up").toBeLessThan(400);
    seen.push(await readOnce(key, query));
    await driver.step();
  }
  for (let i = 0; i < 30; i++) expect(await readOnce(key, query)).toEqual(acked);
  const wrong = seen.filter((v) => v !== acked && !(mayRefuse && v === "unavailable"));
  expect(wrong, `reads during the recovery: ${JSON.stringify(seen)}`).toEqual([]);
}

describe("quorum reads while replicas come back", () => {
  it("two replicas crash: a quorum write is refused, not acknowledged by one; a write at w=one is seen by every r=all read after they recover", async () => {
    await healthy();
    const key = freshKey("two-crash");
    const [x, y] = replicasOf(key) as [string, string, string];
    await crash(x, y);
    const refused = await expectError(await put(key, "at quorum"), 503, "quorum_not_reached");
    expect(refused.error).toMatchObject({ acked: 1, required: 2, replicas: 3 });
    expect((await put(key, "acked", "?w=one")).status).toBe(200);
    await fault(x, { mode: "recover" });
    await fault(y, { mode: "recover" });
    await readsThroughRecovery(key, "&r=all", "acked", true, [x, y]);
    await readsThroughRecovery(key, "", "acked", false, []);
  });

  it("one replica down: w=all is refused (2 of 3 acknowledged); a quorum write is read back at r=all after it recovers", async () => {
    await healthy();
    const key = freshKey("one-crash");
    const [x] = replicasOf(key) as [string, string, string];
    await crash(x);
    const refused = await expectError(await put(key, "w=all", "?w=all"), 503, "quorum_not_reached");
    expect(refused.error).toMatchObject({ acked: 2, required: 3 });
    expect((await put(key, "quorum")).status).toBe(200);
    await fault(x, { mode: "recover" });
    await readsThroughRecovery(key, "&r=all", "quorum", true, [x]);
  });

  it("the first replica recovers: a write at w=all made then is read at r=one from the first read on, though it asks the returning replica first", async () => {
    await healthy();
    const key = freshKey("w-all-r-one");
    const [x] = replicasOf(key) as [string, string, string];
    await crash(x);
    expect((await put(key, "while down")).status).toBe(200);
    await fault(x, { mode: "recover" });
    expect((await put(key, "all", "?w=all")).status).toBe(200);
    await readsThroughRecovery(key, "&r=one", "all", false, [x]);
  });

  it("hints survive a restart of their holder, reach the replica when it is back, and are dropped once it confirmed them", async () => {
    await healthy();
    const key = freshKey("hinted");
    const [x] = replicasOf(key) as [string, string, string];
    await crash(x);
    expect((await put(key, "hinted")).status).toBe(200);
    const holder = (await nodes()).find((n) => (n.hints?.entries ?? 0) > 0);
    expect(holder, "some node holds a hint for the crashed replica").toBeDefined();
    // The holder restarts (its memory is gone): its hints are in its storage.
    await fault(holder!.name, { mode: "crash" });
    await fault(holder!.name, { mode: "recover" });
    const restarted = (await nodes()).find((n) => n.name === holder!.name);
    expect(restarted?.hints?.entries).toBe(holder!.hints!.entries);
    await fault(x, { mode: "recover" });
    await driver.until(async () => (await nodes()).every((n) => (n.hints?.entries ?? 0) === 0), 20);
    const copy = await (await api(`/admin/nodes/${x}/d/read?key=${encodeURIComponent(key)}`, { headers: ADMIN })).json();
    expect(copy).toMatchObject({ present: true, value: "hinted" });
  });
});
