import { afterEach, describe, expect, it } from "vitest";
import { allUp, del, eventually, expectError, freshKey, get, put, replicaCopy, replicasOf, setFault } from "../helpers";

afterEach(allUp);

describe("read repair", () => {
  it("a replica that missed a write holds the newest version after one quorum read", async () => {
    const key = freshKey("repair");
    const [first] = replicasOf(key);
    await put(key, "v1", "?w=all");

    await setFault(first!, { mode: "down" });
    const { version } = await (await put(key, "v2")).json<{ version: string }>();
    await setFault(first!, { mode: "up" });
    expect(await replicaCopy(first!, key)).toMatchObject({ value: "v1" });

    // The first replica is among the R asked: it answers v1, another answers v2.
    const read = await get(key);
    expect(await read.json()).toMatchObject({ value: "v2", version });
    await eventually(async () => expect(await replicaCopy(first!, key)).toMatchObject({ value: "v2", version }));
  });

  it("a replica that never saw the key gets it", async () => {
    const key = freshKey("repair-absent");
    const [first] = replicasOf(key);
    await setFault(first!, { mode: "down" });
    await put(key, "only-two");
    await setFault(first!, { mode: "up" });
    expect((await replicaCopy(first!, key)).present).toBe(false);

    expect(await (await get(key)).json()).toMatchObject({ value: "only-two" });
    await eventually(async () => expect(await replicaCopy(first!, key)).toMatchObject({ present: true, value: "only-two" }));
  });

  it("a deleted key stays deleted: repair spreads the tombstone, never the old value", async () => {
    const key = freshKey("repair-delete");
    const [first, second, third] = replicasOf(key);
    await put(key, "old", "?w=all");

    await setFault(first!, { mode: "down" });
    expect((await del(key)).status).toBe(200);
    await setFault(first!, { mode: "up" });
    expect(await replicaCopy(first!, key)).toMatchObject({ tombstone: false, value: "old" });

    await expectError(await get(key), 404, "not_found");
    await eventually(async () => expect(await replicaCopy(first!, key)).toMatchObject({ present: true, tombstone: true }));
    for (const node of [second!, third!]) expect(await replicaCopy(node, key)).toMatchObject({ tombstone: true });
    for (let i = 0; i < 5; i++) await expectError(await get(key, "&r=all"), 404, "not_found");
  });
});
