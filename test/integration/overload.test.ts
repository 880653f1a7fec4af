import { afterEach, describe, expect, it } from "vitest";
import { ROUTER_CONCURRENCY } from "../../worker/overload";
import { allUp, api, config, freshKey, get, put, replicaCopy, replicasOf, setFault } from "./helpers";

/** Overload is not failure: a replica held slow, and more requests than the router works on at once. */
afterEach(allUp);

describe("a replica held slow past the replica timeout", () => {
  it("still acknowledges a write every replica applied: the late answer counts", async () => {
    const key = freshKey("late");
    const slow = replicasOf(key)[2]!;
    await setFault(slow, { mode: "slow", delayMs: 1500 });
    const response = await put(key, "applied everywhere", "?w=all");
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toMatchObject({ acked: 3, required: 3 });
    expect(await replicaCopy(slow, key)).toMatchObject({ present: true, value: "applied everywhere" });
  });

  it("acknowledges a batch's write every replica applied, as it does a single write", async () => {
    const key = freshKey("late-batch");
    const slow = replicasOf(key)[2]!;
    await setFault(slow, { mode: "slow", delayMs: 1500 });
    const response = await api("/s/batch?w=all", {
      method: "POST",
      body: JSON.stringify({ ops: [{ op: "put", key, value: "applied everywhere" }] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ results: [{ status: 200, body: { acked: 3, required: 3 } }] });
    expect(await replicaCopy(slow, key)).toMatchObject({ present: true, value: "applied everywhere" });
  });
});

describe("more requests than the router works on at once", () => {
  it("lines the extra up and sheds what waited too long with 429 and Retry-After, never 503", async () => {
    const slow = config.nodes[0]!;
    // Past the replica timeout, but well inside the patience a write has for a late answer.
    await setFault(slow, { mode: "slow", delayMs: 1100 });
    const extra = 20;
    // Keys of their own (one key written concurrently would be superseded and written twice), all on the slow node.
    const keys: string[] = [];
    while (keys.length < ROUTER_CONCURRENCY + extra) {
      const key = freshKey("crowd");
      if (replicasOf(key).includes(slow)) keys.push(key);
    }
    const responses = await Promise.all(keys.map((key, i) => put(key, i, "?w=all")));
    const statuses = responses.map((r) => r.status);
    // Every answer is an acknowledgement or a 429: none is a failure.
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(ROUTER_CONCURRENCY);
    const shed = responses.filter((r) => r.status === 429);
    expect(shed.length).toBeGreaterThan(0);
    expect(shed.length).toBeLessThanOrEqual(extra);
    for (const response of shed) {
      expect(response.headers.get("retry-after")).toBe("1");
      expect(await response.json()).toMatchObject({ error: { code: "overloaded" } });
    }
    // Once the crowd is gone, requests are admitted again.
    expect((await get(keys[0]!)).status).toBe(200);
  });

  it("answers every request in line with an acknowledgement or a 429, never a runtime error", async () => {
    const slow = config.nodes[0]!;
    // Slower than the requests ahead take to free a slot, faster than the wait that sheds.
    await setFault(slow, { mode: "slow", delayMs: 10 });
    const keys: string[] = [];
    while (keys.length < ROUTER_CONCURRENCY + 20) {
      const key = freshKey("line");
      if (replicasOf(key).includes(slow)) keys.push(key);
    }
    const responses = await Promise.all(keys.map((key, i) => put(key, i, "?w=all")));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(ROUTER_CONCURRENCY);
  });
});
