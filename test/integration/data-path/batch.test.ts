import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_BATCH_OPS } from "../../../shared/wire";
import { clusterFor } from "../../../worker/cluster";
import { allUp, api, config, del, expectError, freshKey, get, put, replicasOf, setFault } from "../helpers";

interface Result {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

async function batch(ops: unknown[], query = ""): Promise<Result[]> {
  const response = await api(`/s/batch${query}`, { method: "POST", body: JSON.stringify({ ops }) });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  const body = JSON.parse(text) as { results: Result[] };
  expect(body.results).toHaveLength(ops.length);
  return body.results;
}

const sendRaw = (body: string) => api("/s/batch", { method: "POST", body });

afterEach(async () => {
  vi.restoreAllMocks();
  await allUp();
});

describe("POST /s/batch", () => {
  it("answers each operation, in order, with the status and body its single request would have had", async () => {
    const [a, b, gone, absent] = [freshKey("a"), freshKey("b"), freshKey("gone"), freshKey("absent")];
    await put(gone, "old");
    const results = await batch([
      { op: "put", key: a, value: { n: 1 } },
      { op: "put", key: b, value: "bee", ttl: 600 },
      { op: "delete", key: gone },
      { op: "get", key: a },
      { op: "get", key: absent },
      { op: "get", key: gone },
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 404, 404]);
    const [putA, putB, deleted, readA, missing, readGone] = results as [Result, Result, Result, Result, Result, Result];
    expect(putA.body).toEqual({ key: a, version: expect.any(String), acked: 2, required: 2 });
    expect(putB.body).toMatchObject({ key: b, acked: 2, required: 2, expires_at: expect.any(Number) });
    expect(deleted.body).toMatchObject({ key: gone, deleted: true, acked: 2, required: 2 });
    expect(readA.body).toEqual({ key: a, value: { n: 1 }, version: putA.body.version });
    expect(missing.body).toEqual(await (await get(absent)).json());
    expect(readGone.body.error?.code).toBe("not_found");
    // The writes are real: single requests see them.
    expect(await (await get(b)).json()).toMatchObject({ value: "bee", expires_at: putB.body.expires_at });
    await expectError(await get(gone), 404, "not_found");
  });

  it("applies several operations on one key in the order given", async () => {
    const key = freshKey("ordered");
    const results = await batch([
      { op: "put", key, value: 1 },
      { op: "put", key, value: 2 },
      { op: "get", key },
      { op: "delete", key },
      { op: "get", key },
      { op: "put", key, value: 3 },
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 404, 200]);
    expect(results[2]!.body).toMatchObject({ value: 2, version: results[1]!.body.version });
    expect(await (await get(key, "&r=all")).json()).toMatchObject({ value: 3, version: results[5]!.body.version });
  });

  it("makes one call per node for the whole batch, not one per key", async () => {
    const replicas = clusterFor(env).nodes;
    const calls = vi.spyOn(replicas, "batch");
    const single = { read: vi.spyOn(replicas, "read"), write: vi.spyOn(replicas, "write") };
    const keys = Array.from({ length: 50 }, (_, i) => freshKey(`fan-${i}`));
    const ops = keys.flatMap((key) => [
      { op: "put", key, value: key },
      { op: "get", key },
    ]);
    expect((await batch(ops)).every((r) => r.status === 200)).toBe(true);
    const nodes = new Set(keys.flatMap((key) => replicasOf(key)));
    expect(calls).toHaveBeenCalledTimes(nodes.size);
    expect(new Set(calls.mock.calls.map(([node]) => node)).size).toBe(nodes.size);
    expect(single.read).not.toHaveBeenCalled();
    expect(single.write).not.toHaveBeenCalled();
  });

  it("takes r and w for the whole batch", async () => {
    const key = freshKey("levels");
    const results = await batch(
      [
        { op: "put", key, value: "v" },
        { op: "get", key },
      ],
      "?w=all&r=one",
    );
    expect(results[0]!.body).toMatchObject({ acked: 3, required: 3 });
    expect(results[1]!.body).toMatchObject({ value: "v" });
    await expectError(await api("/s/batch?w=4", { method: "POST", body: '{"ops":[]}' }), 400, "invalid_consistency");
  });

  it("is not atomic: an operation that misses its quorum fails alone", async () => {
    const down = config.nodes[0]!;
    const keys = Array.from({ length: 12 }, (_, i) => freshKey(`partial-${i}`));
    const hit = keys.find((key) => replicasOf(key).includes(down))!;
    const spared = keys.find((key) => !replicasOf(key).includes(down))!;
    await setFault(down, { mode: "down" });
    const results = await batch(
      [
        { op: "put", key: hit, value: "x" },
        { op: "put", key: spared, value: "y" },
      ],
      "?w=all",
    );
    expect(results[0]).toMatchObject({ status: 503, body: { error: { code: "quorum_not_reached", acked: 2, required: 3 } } });
    expect(results[1]).toMatchObject({ status: 200, body: { key: spared, acked: 3, required: 3 } });
    await allUp();
    expect(await (await get(spared)).json()).toMatchObject({ value: "y" });
  });

  it("refuses a bad batch whole, naming the first bad operation, and applies nothing", async () => {
    const key = freshKey("untouched");
    await put(key, "kept");
    const fresh = freshKey("never");
    const good = { op: "put", key: fresh, value: 1 };
    const cases: [string, string, number | undefined][] = [
      ['{"ops": {"op": "get"}}', "invalid_batch", undefined],
      ["[]", "invalid_batch", undefined],
      [JSON.stringify({ ops: Array.from({ length: MAX_BATCH_OPS + 1 }, () => good) }), "invalid_batch", undefined],
      [JSON.stringify({ ops: [good, { op: "delete", key }, { op: "merge", key }] }), "invalid_batch", 2],
      [JSON.stringify({ ops: [good, { op: "delete", key: "" }] }), "invalid_key", 1],
      [JSON.stringify({ ops: [good, { op: "delete", key }, { op: "put", key: "a\u0000b", value: 1 }] }), "invalid_key", 2],
      [JSON.stringify({ ops: [good, { op: "put", key }] }), "missing_value", 1],
      [JSON.stringify({ ops: [good, { op: "put", key, value: 1, ttl: 0 }] }), "invalid_ttl", 1],
      [
        `{"ops": [${JSON.stringify(good)}, {"op": "delete", "key": "${key}"}, {"op": "put", "key": "x", "value": [1e400]}]}`,
        "inexact_number",
        2,
      ],
      [JSON.stringify({ ops: [good, "get"] }), "invalid_batch", 1],
    ];
    for (const [body, code, index] of cases) {
      const error = await expectError(await sendRaw(body), 400, code);
      expect(error.error.index, body.slice(0, 80)).toBe(index);
      if (index !== undefined) expect(error.error.message).toMatch(new RegExp(`^ops\\[${index}\\]: `));
    }
    expect(await (await get(key)).json()).toMatchObject({ value: "kept" });
    await expectError(await get(fresh), 404, "not_found");
    await del(key);
  });

  it("allows only POST", async () => {
    const response = await api("/s/batch");
    await expectError(response, 405, "method_not_allowed");
  });
});
