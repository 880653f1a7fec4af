import { afterEach, describe, expect, it } from "vitest";
import { allUp, config, eventually, freshKey, get, put, replicaCopy, replicasOf, setFault } from "./helpers";

// This project runs with READ_REPAIR_CHANCE=1: every read asks all N replicas.
afterEach(allUp);

describe("read repair chance", () => {
  it("is configured to 1 in this project", () => {
    expect(config.readRepairChance).toBe(1);
  });

  it("repairs the replica outside the first R, which a plain quorum read never asks", async () => {
    const key = freshKey("repair-all");
    const last = replicasOf(key)[2]!;
    await setFault(last, { mode: "down" });
    const { version } = await (await put(key, "v")).json<{ version: string }>();
    await setFault(last, { mode: "up" });
    expect((await replicaCopy(last, key)).present).toBe(false);

    expect(await (await get(key)).json()).toMatchObject({ value: "v", version });
    await eventually(async () => expect(await replicaCopy(last, key)).toMatchObject({ value: "v", version }));
  });

  it("still answers after R replies: a slow replica does not delay the read", async () => {
    const key = freshKey("repair-all-slow");
    await put(key, "v", "?w=all");
    await setFault(replicasOf(key)[2]!, { mode: "slow", delayMs: 3_000 });
    const started = Date.now();
    expect((await get(key)).status).toBe(200);
    // Wall time under the test runtime only advances across I/O; this checks the
    // read did not wait out the slow replica's 3 s, not how fast it was.
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
