import { describe, expect, it } from "vitest";
import { eventually, freshKey, get, put, replicaCopy, replicasOf } from "../helpers";

describe("concurrent writes to one key", () => {
  it("converge: every replica ends with the same, highest version", async () => {
    const key = freshKey("contended");
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => put(key, { writer: i })));
    const versions = await Promise.all(responses.map(async (r) => (await r.json<{ version: string }>()).version));
    const failed = await Promise.all(responses.filter((r) => r.status !== 200).map((r) => r.clone().text()));
    expect(failed).toEqual([]);
    expect(new Set(versions).size).toBe(versions.length);

    const highest = versions.reduce((a, b) => (newer(a, b) ? a : b));
    await eventually(async () => {
      const copies = await Promise.all(replicasOf(key).map((node) => replicaCopy(node, key)));
      for (const copy of copies) expect(copy.version).toBe(highest);
    });
    expect(await (await get(key, "&r=all")).json()).toMatchObject({ version: highest });
  });
});

function newer(a: string, b: string): boolean {
  const [aw, al, ax] = a.split(".");
  const [bw, bl, bx] = b.split(".");
  return Number(aw) - Number(bw) > 0 || (aw === bw && (Number(al) - Number(bl) > 0 || (al === bl && ax! > bx!)));
}
