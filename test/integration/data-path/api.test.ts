import { describe, expect, it } from "vitest";
import { api, config, del, eventually, expectError, freshKey, get, put, replicaCopy, replicasOf } from "../helpers";

describe("POST /s/key", () => {
  it("stores a JSON value sent as curl -d sends it (form content type, JSON text)", async () => {
    const response = await api("/s/key", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: '{"key":"foo","value":"bar"}',
    });
    expect(response.status).toBe(200);
    const body = await response.json<{ key: string; version: string; acked: number; required: number }>();
    expect(body).toEqual({ key: "foo", version: expect.stringMatching(/^\d+\.\d+\.\w+$/), acked: 2, required: 2 });

    const read = await get("foo");
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ key: "foo", value: "bar", version: body.version });
  });

  it("accepts a real form body key=..&value=.., storing the value as a string", async () => {
    const response = await api("/s/key", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "key=form-key&value=hello+world",
    });
    expect(response.status).toBe(200);
    expect(await (await get("form-key")).json()).toMatchObject({ value: "hello world" });
  });

  it("stores any JSON value and returns it unchanged", async () => {
    const values: unknown[] = ["text", 42, 3.5, true, null, [1, "two"], { nested: { ok: ["é", "日本", "🙂"] } }, ""];
    for (const value of values) {
      const key = freshKey("json");
      expect((await put(key, value)).status).toBe(200);
      const read = await get(key);
      expect(read.status).toBe(200);
      expect((await read.json<{ value: unknown }>()).value).toEqual(value);
    }
  });

  it("gives each write of a key a newer version", async () => {
    const key = freshKey("versions");
    const first = await (await put(key, 1)).json<{ version: string }>();
    const second = await (await put(key, 2)).json<{ version: string }>();
    expect(compare(second.version, first.version)).toBeGreaterThan(0);
    expect(await (await get(key)).json()).toMatchObject({ value: 2, version: second.version });
  });

  it("writes every replica of the preference list, not just W of them", async () => {
    const key = freshKey("all-replicas");
    const { version } = await (await put(key, "x")).json<{ version: string }>();
    await eventually(async () => {
      for (const node of replicasOf(key)) {
        expect(await replicaCopy(node, key)).toMatchObject({ present: true, value: "x", version });
      }
    });
    const others = config.nodes.filter((node) => !replicasOf(key).includes(node));
    for (const node of others) expect((await replicaCopy(node, key)).present).toBe(false);
  });

  it("honours w=one, w=all and a numeric w", async () => {
    for (const [w, required] of [
      ["one", 1],
      ["all", 3],
      ["2", 2],
      ["quorum", 2],
    ] as const) {
      const response = await put(freshKey("w"), "v", `?w=${w}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ acked: required, required });
    }
  });
});

describe("GET /s/key", () => {
  it("answers 404 with a JSON error for a key never written", async () => {
    const body = await expectError(await get(freshKey("absent")), 404, "not_found");
    expect(body.error.message).toContain("absent");
  });

  it("honours r=one, r=all and a numeric r", async () => {
    const key = freshKey("r");
    await put(key, "v", "?w=all");
    for (const r of ["one", "all", "1", "3", "quorum"]) {
      const response = await get(key, `&r=${r}`);
      expect(response.status, r).toBe(200);
    }
  });

  it("finds keys with any characters, including ones that need URL encoding", async () => {
    for (const key of ["a b", "x&y=z", "päth/ü?#", "🙂", "%41"]) {
      expect((await put(key, key)).status).toBe(200);
      expect(await (await get(key)).json()).toMatchObject({ key, value: key });
    }
  });
});

describe("DELETE /s/key", () => {
  it("deletes: the key then reads as 404", async () => {
    const key = freshKey("delete");
    await put(key, "doomed");
    const response = await del(key);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ key, deleted: true, acked: 2, required: 2 });
    await expectError(await get(key), 404, "not_found");
  });

  it("is idempotent: deleting an absent or already deleted key succeeds", async () => {
    const key = freshKey("never");
    expect((await del(key)).status).toBe(200);
    expect((await del(key)).status).toBe(200);
    await expectError(await get(key), 404, "not_found");
  });

  it("leaves a tombstone on the replicas, and a later write brings the key back", async () => {
    const key = freshKey("tombstone");
    await put(key, "old");
    await del(key);
    await eventually(async () => {
      for (const node of replicasOf(key)) expect(await replicaCopy(node, key)).toMatchObject({ present: true, tombstone: true });
    });
    await put(key, "new");
    expect(await (await get(key)).json()).toMatchObject({ value: "new" });
  });
});

describe("bad input is a 4xx with a JSON error, and changes nothing", () => {
  const sent = (body: string, headers: Record<string, string> = {}) =>
    api("/s/key", { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

  it("400 for a missing, empty or non-string key", async () => {
    await expectError(await sent('{"value":1}'), 400, "missing_key");
    await expectError(await sent('{"key":"","value":1}'), 400, "invalid_key");
    await expectError(await sent('{"key":7,"value":1}'), 400, "invalid_key");
    await expectError(await api("/s/key"), 400, "missing_key");
    await expectError(await api("/s/key?key="), 400, "invalid_key");
    await expectError(await api("/s/key?key=a&key=b"), 400, "invalid_key");
    await expectError(await api("/s/key?key=", { method: "DELETE" }), 400, "invalid_key");
  });

  it("400 for malformed JSON, a body that is not an object, or no body", async () => {
    await expectError(await sent('{"key":"k","value":'), 400, "malformed_json");
    await expectError(await sent('["k", 1]'), 400, "malformed_json");
    await expectError(await sent("null"), 400, "malformed_json");
    await expectError(await api("/s/key", { method: "POST" }), 400, "malformed_json");
  });

  it("400 for a missing value", async () => {
    await expectError(await sent('{"key":"k"}'), 400, "missing_value");
    await expectError(await sent("key=k", { "content-type": "application/x-www-form-urlencoded" }), 400, "missing_value");
  });

  it("400 for a consistency level the cluster cannot meet or does not know", async () => {
    for (const level of ["0", "4", "-1", "two", "1.5", ""]) {
      await expectError(await get("k", `&r=${level}`), 400, "invalid_consistency");
      await expectError(await put("k", 1, `?w=${level}`), 400, "invalid_consistency");
    }
    await expectError(await get("k", "&w=all"), 400, "invalid_consistency");
    await expectError(await put("k", 1, "?r=all"), 400, "invalid_consistency");
  });

  it("413 for a key over the key limit, in bytes of UTF-8", async () => {
    const limit = config.limits.maxKeyBytes;
    expect((await put("k".repeat(limit), 1)).status).toBe(200);
    const body = await expectError(await put("k".repeat(limit + 1), 1), 413, "key_too_large");
    expect(body.error.message).toContain(String(limit));
    // 2 bytes per "é": half the limit in characters is the whole limit in bytes.
    await expectError(await put("é".repeat(limit / 2 + 1), 1), 413, "key_too_large");
    await expectError(await get("k".repeat(limit + 1)), 413, "key_too_large");
  });

  it("413 for a value over the value limit, serialized", async () => {
    const limit = config.limits.maxValueBytes;
    // A JSON string serializes with its two quotes.
    expect((await put(freshKey("big"), "v".repeat(limit - 2))).status).toBe(200);
    await expectError(await put(freshKey("big"), "v".repeat(limit - 1)), 413, "value_too_large");
  });

  it("413 for a body over the body limit, before parsing it", async () => {
    const body = JSON.stringify({ key: "k", value: "v".repeat(config.limits.maxBodyBytes) });
    await expectError(await sent(body), 413, "body_too_large");
  });

  it("400 for a key that is not valid Unicode", async () => {
    await expectError(await sent('{"key":"bad\\ud800","value":1}'), 400, "invalid_key");
  });

  it("a refused write leaves the stored value as it was", async () => {
    const key = freshKey("unchanged");
    await put(key, "original");
    await sent(`{"key":${JSON.stringify(key)},"value":"${"v".repeat(config.limits.maxValueBytes)}"}`);
    await sent(`{"key":${JSON.stringify(key)}}`);
    await put(key, "x", "?w=5");
    expect(await (await get(key)).json()).toMatchObject({ value: "original" });
  });
});

describe("routing", () => {
  it("405 with an Allow header for a wrong method", async () => {
    const response = await api("/s/key", { method: "PUT", body: "{}" });
    const body = await expectError(response, 405, "method_not_allowed");
    expect(response.headers.get("allow")).toBe("GET, HEAD, POST, DELETE");
    expect(body.error.message).toContain("PUT");
    await expectError(await api("/cluster", { method: "POST" }), 405, "method_not_allowed");
  });

  it("HEAD answers as GET would, without the body", async () => {
    const key = freshKey("head");
    expect((await put(key, "v")).status).toBe(200);
    const present = await api(`/s/key?key=${key}`, { method: "HEAD" });
    expect(present.status).toBe(200);
    expect(present.headers.get("content-type")).toContain("application/json");
    expect(await present.text()).toBe("");
    expect((await api(`/s/key?key=${freshKey("absent")}`, { method: "HEAD" })).status).toBe(404);
    expect((await api("/s/key", { method: "HEAD" })).status).toBe(400);
    expect((await api("/health", { method: "HEAD" })).status).toBe(200);
    const wrong = await api("/s/batch", { method: "HEAD" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
  });

  it("404 for unknown routes, including the nodes' internal paths", async () => {
    await expectError(await api("/nope"), 404, "not_found");
    await expectError(await api("/d/read?key=foo"), 404, "not_found");
    await expectError(await api("/s/key/extra"), 404, "not_found");
  });

  it("GET /health answers without touching a node", async () => {
    const response = await api("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", nodes: config.nodes.length });
  });

  it("GET /cluster shows the nodes, N/R/W, virtual nodes, each node's replica count and its writes and commits", async () => {
    const key = freshKey("counted");
    await put(key, "v", "?w=all");
    const response = await api("/cluster");
    expect(response.status).toBe(200);
    const body = await response.json<{
      nodes: { name: string; state: string; keys: number; groupCommit: { writes: number; commits: number } }[];
    }>();
    expect(body).toMatchObject({ replicas: 3, readQuorum: 2, writeQuorum: 2, virtualNodes: config.virtualNodes });
    expect(body.nodes.map((n) => n.name)).toEqual(config.nodes);
    for (const node of body.nodes) {
      expect(node.state).toBe("alive");
      expect(node.groupCommit.commits).toBeLessThanOrEqual(node.groupCommit.writes);
      if (replicasOf(key).includes(node.name)) {
        expect(node.keys).toBeGreaterThanOrEqual(1);
        expect(node.groupCommit.writes).toBeGreaterThanOrEqual(1);
        expect(node.groupCommit.commits).toBeGreaterThanOrEqual(1);
      }
    }
  });
});

describe("the dashboard's data", () => {
  it("GET /cluster lists every node's tokens, the ring a picture draws", async () => {
    const body = await (await api("/cluster")).json<{ ring: [number, string][] }>();
    expect(body.ring).toHaveLength(config.nodes.length * config.virtualNodes);
    expect(new Set(body.ring.map(([, node]) => node))).toEqual(new Set(config.nodes));
    const tokens = body.ring.map(([token]) => token);
    expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
  });
});

/** Versions are `<wall>.<logical>.<writer>`; compare numerically, then by writer. */
function compare(a: string, b: string): number {
  const [aw, al, ax] = a.split(".");
  const [bw, bl, bx] = b.split(".");
  return Number(aw) - Number(bw) || Number(al) - Number(bl) || (ax! < bx! ? -1 : ax! > bx! ? 1 : 0);
}
