import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// The node's internal HTTP API (the seed's d/... names), as the fetch transport and
// other nodes' tools see it: reachable only through the object's stub.
const node = () => env.RING_NODE.getByName("node-1");
const version = (wall: number) => ({ wall, logical: 0, writer: "t" });

async function call(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const init = body === undefined ? {} : { method: "POST", body: JSON.stringify(body) };
  const response = await node().fetch(`https://ring-node${path}`, init);
  return { status: response.status, json: await response.json<Record<string, unknown>>() };
}

describe("a node's internal API", () => {
  it("d/write, d/read and d/delete apply versions by the merge rule", async () => {
    expect(await call("/d/write", { key: "i", value: '"v2"', version: version(2) })).toMatchObject({
      status: 200,
      json: { applied: true },
    });
    expect(await call("/d/write", { key: "i", value: '"v1"', version: version(1) })).toMatchObject({ json: { applied: false } });
    expect((await call("/d/read?key=i")).json).toMatchObject({ entry: { kind: "value", value: '"v2"' } });
    expect(await call("/d/delete", { key: "i", version: version(3) })).toMatchObject({ json: { applied: true } });
    expect((await call("/d/read?key=i")).json).toMatchObject({ entry: { kind: "tombstone", version: version(3) } });
  });

  it("d/stabilization applies a batch and counts what was newer", async () => {
    const entries = [
      { key: "s1", entry: { kind: "value", value: "1", version: version(5) } },
      { key: "s2", entry: { kind: "tombstone", version: version(5) } },
    ];
    expect(await call("/d/stabilization", { entries })).toEqual({ status: 200, json: { received: 2, applied: 2 } });
    expect(await call("/d/stabilization", { entries })).toEqual({ status: 200, json: { received: 2, applied: 0 } });
  });

  it("answers 400 to malformed input and 404 to unknown paths", async () => {
    expect((await call("/d/write", { key: "i", value: 1, version: version(1) })).status).toBe(400);
    expect((await call("/d/delete", { key: "i", version: { wall: -1 } })).status).toBe(400);
    expect((await call("/d/stabilization", { entries: [{ key: "x", entry: { kind: "value" } }] })).status).toBe(400);
    expect((await call("/d/nope")).status).toBe(404);
  });

  it("answers 400 bad_request to a body that is not JSON, or not an object", async () => {
    for (const body of ["{not json", "null", "[1]", '"text"']) {
      const response = await node().fetch("https://ring-node/d/write", { method: "POST", body });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: "bad_request" } });
    }
  });
});
