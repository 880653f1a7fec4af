import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { allUp, api, expectError, freshKey, replicasOf, routerWith, setFault } from "../helpers";

/**
 * examples/consumer, running as its own Worker next to ringkv, reaches ringkv
 * through its `RingKV` service binding; its answers show what the binding gave it.
 * This project runs ringkv with DATA_AUTH="token" and no tokens: HTTP is closed,
 * the binding needs none.
 */
const consumer = (env as Env & { CONSUMER: Fetcher }).CONSUMER;
const call = (method: string, query: string, body?: unknown) =>
  consumer.fetch(`http://consumer/?${query}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
const http = routerWith({ DATA_AUTH: "open" });

afterEach(allUp);

describe("the RingKV service binding, from another Worker", () => {
  it("puts, gets and deletes a key, with no token while HTTP answers 401", async () => {
    const key = freshKey("bound");
    await expectError(await api(`/s/key?key=${key}`), 401, "unauthorized");
    const put = await call("PUT", `key=${key}`, { n: 1 });
    expect(put.status).toBe(200);
    const stored = await put.json<{ version: string }>();
    expect(stored).toEqual({ key, version: expect.stringMatching(/^\d+\.\d+\.\w+$/), acked: 2, required: 2 });
    expect(await (await call("GET", `key=${key}&r=all`)).json()).toEqual({ key, value: { n: 1 }, version: stored.version });
    const deleted = await call("DELETE", `key=${key}&w=one`);
    expect(await deleted.json()).toMatchObject({ key, deleted: true, required: 1 });
    const absent = await call("GET", `key=${key}`);
    expect(absent.status).toBe(404);
    // What HTTP sees is what the binding did.
    await expectError(await http(`/s/key?key=${key}`), 404, "not_found");
  });

  it("throws validation errors with the code, status and message HTTP gives", async () => {
    const cases: [string, string, string][] = [
      ["PUT", "key=", `/s/key`],
      ["PUT", `key=${"k".repeat(600)}`, `/s/key`],
      ["GET", "key=k&r=7", `/s/key?key=k&r=7`],
      ["DELETE", "key=k&w=lots", `/s/key?key=k&w=lots`],
    ];
    for (const [method, query, path] of cases) {
      const viaBinding = await call(method, query, method === "PUT" ? 1 : undefined);
      const body = await viaBinding.json<{ error: { code: string; message: string } }>();
      const key = new URLSearchParams(query).get("key");
      const viaHttp =
        method === "PUT" ? await http(path, { method: "POST", body: JSON.stringify({ key, value: 1 }) }) : await http(path, { method });
      const expected = await viaHttp.json<{ error: { code: string; message: string } }>();
      expect([viaBinding.status, body.error.code, body.error.message]).toEqual([
        viaHttp.status,
        expected.error.code,
        expected.error.message,
      ]);
      expect(viaBinding.status).toBeGreaterThanOrEqual(400);
    }
  });

  it("throws a quorum failure with its code, acked and required, and the value is not readable at quorum", async () => {
    const key = freshKey("quorum");
    const [, second, third] = replicasOf(key);
    await setFault(second!, { mode: "down" });
    await setFault(third!, { mode: "down" });
    const failed = await call("PUT", `key=${key}`, "lost?");
    expect(failed.status).toBe(503);
    const body = await failed.json<{ error: Record<string, unknown> }>();
    expect(body.error).toMatchObject({ code: "quorum_not_reached", acked: 1, required: 2 });
    expect(body.error.message).toMatch(/^write failed: 1 of 3 replicas acknowledged; 2 required/);
    const read = await call("GET", `key=${key}`);
    expect(read.status).toBe(503);
    expect(await read.json()).toMatchObject({ error: { code: "quorum_not_reached", required: 2 } });
  });

  it("expires, batches and lists through the consumer's binding, with no token", async () => {
    const prefix = `${freshKey("consumer")}/`;
    const put = await call("PUT", `key=${prefix}a&ttl=600`, { n: 1 });
    const written = await put.json<{ version: string; expiresAt: number }>();
    expect(written.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(await (await call("GET", `key=${prefix}a`)).json()).toEqual({
      key: `${prefix}a`,
      value: { n: 1 },
      version: written.version,
      expiresAt: written.expiresAt,
    });
    const badTtl = await call("PUT", `key=${prefix}x&ttl=0`, 1);
    expect(badTtl.status).toBe(400);
    expect(await badTtl.json()).toMatchObject({ error: { code: "invalid_ttl" } });
    const batch = await consumer.fetch("http://consumer/batch?w=all", {
      method: "POST",
      body: JSON.stringify([
        { op: "put", key: `${prefix}b`, value: 2 },
        { op: "get", key: `${prefix}b` },
        { op: "get", key: `${prefix}none` },
      ]),
    });
    expect(batch.status).toBe(200);
    expect(await batch.json()).toMatchObject({
      results: [
        { ok: true, status: 200, result: { key: `${prefix}b`, required: 3 } },
        { ok: true, status: 200, result: { value: 2 } },
        { ok: false, status: 404, error: { code: "not_found", key: `${prefix}none` } },
      ],
    });
    const refused = await consumer.fetch("http://consumer/batch", { method: "POST", body: JSON.stringify([{ op: "get", key: "" }]) });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: "invalid_key", index: 0 } });
    const page = await consumer.fetch(`http://consumer/list?prefix=${encodeURIComponent(prefix)}&values=true`);
    expect(await page.json()).toEqual({
      keys: [
        { key: `${prefix}a`, version: written.version, expiresAt: written.expiresAt, value: { n: 1 } },
        { key: `${prefix}b`, version: expect.any(String), value: 2 },
      ],
      cursor: null,
      complete: true,
      unreachable: [],
    });
    const badLimit = await consumer.fetch("http://consumer/list?limit=0");
    expect(badLimit.status).toBe(400);
    expect(await badLimit.json()).toMatchObject({ error: { code: "invalid_limit" } });
    // HTTP stays closed: 401 for the batch and the listing alike.
    await expectError(await api(`/s/keys?prefix=${encodeURIComponent(prefix)}`), 401, "unauthorized");
  });
});
