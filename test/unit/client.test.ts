import { describe, expect, it } from "vitest";
import { ringkvBinding } from "../../client/binding";
import { RingKVClient, RingKVError } from "../../client/index";

/** [1, <hole>, 3]: an array with a missing index (written out, a lint error). */
function holed(): unknown[] {
  const array: unknown[] = [];
  array[0] = 1;
  array[2] = 3;
  return array;
}

/** RingKVClient against a fake fetch: what it sends, what it returns, what it throws, when it retries. */
interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

function fake(answers: (Response | Error)[]) {
  const sent: Sent[] = [];
  const delays: number[] = [];
  const fetch = (async (input: string, init: RequestInit) => {
    sent.push({ url: input, method: init.method!, headers: init.headers as Record<string, string>, body: init.body as string | undefined });
    const answer = answers.shift();
    if (answer === undefined) throw new Error("no more answers");
    if (answer instanceof Error) throw answer;
    return answer;
  }) as unknown as typeof globalThis.fetch;
  const client = new RingKVClient({
    url: "https://kv.example/",
    token: "tok-0123456789abcdef",
    fetch,
    random: () => 0.5,
    sleep: async (ms) => void delays.push(ms),
  });
  return { client, sent, delays };
}

const ok = (body: unknown) => Response.json(body);
const err = (status: number, code: string, extra: Record<string, unknown> = {}) =>
  Response.json({ error: { code, message: `${code}!`, ...extra } }, { status });
const quorum = () => err(503, "quorum_not_reached", { acked: 1, required: 2, replicas: 3 });

describe("RingKVClient", () => {
  it("sends the README's requests with the bearer token and returns typed results", async () => {
    const { client, sent } = fake([
      ok({ key: "a b", version: "1.0.w", acked: 2, required: 2 }),
      ok({ key: "a b", value: { n: 1 }, version: "1.0.w" }),
      ok({ key: "a b", deleted: true, version: "2.0.w", acked: 3, required: 3 }),
    ]);
    expect(await client.put("a b", { n: 1 })).toEqual({ key: "a b", version: "1.0.w", acked: 2, required: 2 });
    expect(await client.get<{ n: number }>("a b", { r: "one" })).toEqual({ key: "a b", value: { n: 1 }, version: "1.0.w" });
    expect(await client.delete("a b", { w: 3 })).toMatchObject({ deleted: true, required: 3 });
    expect(sent.map((s) => [s.method, s.url, s.body])).toEqual([
      ["POST", "https://kv.example/s/key", '{"key":"a b","value":{"n":1}}'],
      ["GET", "https://kv.example/s/key?key=a%20b&r=one", undefined],
      ["DELETE", "https://kv.example/s/key?key=a%20b&w=3", undefined],
    ]);
    expect(sent.every((s) => s.headers.authorization === "Bearer tok-0123456789abcdef")).toBe(true);
  });

  it("refuses a key or prefix with a lone surrogate as the server would, sending nothing", async () => {
    const { client, sent } = fake([]);
    await expect(client.get("a\ud800")).rejects.toMatchObject({ status: 400, code: "invalid_key" });
    await expect(client.delete("a\ud800")).rejects.toMatchObject({ status: 400, code: "invalid_key" });
    await expect(client.list({ prefix: "a\ud800" })).rejects.toMatchObject({ status: 400, code: "invalid_prefix" });
    expect(sent).toEqual([]);
  });

  it("returns null for an absent key", async () => {
    const { client } = fake([err(404, "not_found")]);
    expect(await client.get("nope")).toBeNull();
  });

  it("throws one error class with status, code, message and the quorum counts", async () => {
    const { client } = fake([quorum()]);
    const error = await client.put("k", 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RingKVError);
    expect(error).toMatchObject({ status: 503, code: "quorum_not_reached", message: "quorum_not_reached!", acked: 1, required: 2 });
    expect((error as RingKVError).details).toEqual({ acked: 1, required: 2, replicas: 3 });
  });

  it("does not retry a client error: 401, 403 and 400 throw at once", async () => {
    for (const [status, code] of [
      [401, "unauthorized"],
      [403, "forbidden"],
      [400, "invalid_key"],
    ] as const) {
      const { client, sent } = fake([err(status, code, status === 403 ? { reason: "prefix" } : {})]);
      await expect(client.get("k")).rejects.toMatchObject({ status, code });
      expect(sent).toHaveLength(1);
    }
  });

  it("does not retry 503 too_few_nodes: the server says no retry can succeed", async () => {
    const { client, sent } = fake([err(503, "too_few_nodes", { required: 2, replicas: 1 })]);
    await expect(client.get("k")).rejects.toMatchObject({ status: 503, code: "too_few_nodes" });
    expect(sent).toHaveLength(1);
  });

  it("refuses a batch operation with a field it does not take, as ringkv would, sending nothing", async () => {
    const { client, sent } = fake([]);
    const op = { op: "put" as const, key: "k", value: 1, tll: 5 };
    await expect(client.batch([{ op: "get", key: "a" }, op])).rejects.toMatchObject({
      status: 400,
      code: "unknown_field",
      details: { index: 1 },
    });
    await expect(client.batch([{ op: "delete", key: "a", value: 1 } as never])).rejects.toMatchObject({ code: "unknown_field" });
    // A field set to undefined is no field.
    expect(RingKVError.invalidOp([{ op: "put", key: "k", value: 1, ttl: undefined } as never])).toBeUndefined();
    expect(sent).toEqual([]);
  });

  it("retries reads and deletes on 503 and network errors with capped, jittered backoff", async () => {
    const { client, sent, delays } = fake([quorum(), new TypeError("fetch failed"), ok({ key: "k", value: 1, version: "v" })]);
    expect(await client.get("k")).toMatchObject({ value: 1 });
    expect(sent).toHaveLength(3);
    // random() = 0.5 of min(2000, 100 * 2^n)
    expect(delays).toEqual([50, 100]);
    const deletes = fake([quorum(), ok({ key: "k", deleted: true, version: "v", acked: 2, required: 2 })]);
    expect(await deletes.client.delete("k")).toMatchObject({ deleted: true });
    expect(deletes.sent).toHaveLength(2);
  });

  it("gives up after the configured retries with the last error, and caps the delay", async () => {
    const answers = Array.from({ length: 6 }, quorum);
    const sent: string[] = [];
    const delays: number[] = [];
    const client = new RingKVClient({
      url: "http://x",
      retries: 5,
      maxDelayMs: 300,
      random: () => 0.99,
      sleep: async (ms) => void delays.push(ms),
      fetch: (async (url: string) => (sent.push(url), answers.shift()!)) as unknown as typeof fetch,
    });
    await expect(client.get("k")).rejects.toMatchObject({ status: 503, code: "quorum_not_reached" });
    expect(sent).toHaveLength(6);
    expect(delays).toEqual([99, 198, 297, 297, 297]);
  });

  it("retries a write only when asked", async () => {
    const once = fake([quorum()]);
    await expect(once.client.put("k", 1)).rejects.toMatchObject({ code: "quorum_not_reached" });
    expect(once.sent).toHaveLength(1);
    const asked = fake([quorum(), ok({ key: "k", version: "v2", acked: 2, required: 2 })]);
    expect(await asked.client.put("k", 1, { retry: true })).toMatchObject({ version: "v2" });
    expect(asked.sent).toHaveLength(2);
  });

  it("says so when no answer came: network_error, or timeout after timeoutMs", async () => {
    const net = fake([new TypeError("fetch failed")]);
    await expect(net.client.put("k", 1)).rejects.toMatchObject({ status: 0, code: "network_error" });
    const slow = new RingKVClient({
      url: "http://x",
      timeoutMs: 20,
      retries: 0,
      fetch: ((_url: string, init: RequestInit) =>
        new Promise((_resolve, reject) =>
          init.signal!.addEventListener("abort", () => reject(init.signal!.reason)),
        )) as unknown as typeof fetch,
    });
    await expect(slow.get("k")).rejects.toMatchObject({ status: 0, code: "timeout", message: "no answer from ringkv within 20 ms" });
  });

  it("reads an answer that is not JSON (a proxy's error page) as http_error with its status", async () => {
    const { client } = fake([new Response("<html>bad gateway</html>", { status: 502 })]);
    await expect(client.put("k", 1)).rejects.toMatchObject({ status: 502, code: "http_error" });
  });

  it("refuses a value JSON would store changed with 400 invalid_value, sending nothing", async () => {
    const { client, sent } = fake([]);
    for (const value of [-0, NaN, Infinity, undefined, () => 1, 1n, { when: new Date(0) }, holed()]) {
      const error = await client.put("k", value).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RingKVError);
      expect(error).toMatchObject({
        status: 400,
        code: "invalid_value",
        message: expect.stringMatching(/^value is not JSON as given: value/),
      });
    }
    expect(sent).toEqual([]);
  });
});

describe("RingKVClient: expiry, batches and listing", () => {
  it("sends ttl and expiresAt as HTTP's ttl and expires_at, and returns expiresAt", async () => {
    const { client, sent } = fake([
      ok({ key: "k", version: "1.0.w", acked: 2, required: 2, expires_at: 1900000000 }),
      ok({ key: "k", version: "2.0.w", acked: 2, required: 2, expires_at: 1900000001 }),
      ok({ key: "k", value: 1, version: "2.0.w", expires_at: 1900000001 }),
      ok({ key: "k", value: 1, version: "3.0.w" }),
    ]);
    expect(await client.put("k", 1, { ttl: 60 })).toEqual({ key: "k", version: "1.0.w", acked: 2, required: 2, expiresAt: 1900000000 });
    expect(await client.put("k", 1, { expiresAt: 1900000001, w: "all" })).toMatchObject({ expiresAt: 1900000001 });
    expect(await client.get("k")).toEqual({ key: "k", value: 1, version: "2.0.w", expiresAt: 1900000001 });
    expect(await client.get("k")).toEqual({ key: "k", value: 1, version: "3.0.w" });
    expect(sent.slice(0, 2).map((s) => [s.url, s.body])).toEqual([
      ["https://kv.example/s/key", '{"key":"k","value":1,"ttl":60}'],
      ["https://kv.example/s/key?w=all", '{"key":"k","value":1,"expires_at":1900000001}'],
    ]);
  });

  it("sends a batch as POST /s/batch with r and w, and returns each result or its RingKVError in order", async () => {
    const { client, sent } = fake([
      ok({
        results: [
          { status: 200, body: { key: "a", version: "1.0.w", acked: 3, required: 3, expires_at: 1900000000 } },
          { status: 200, body: { key: "a", value: [1], version: "1.0.w", expires_at: 1900000000 } },
          { status: 404, body: { error: { code: "not_found", message: "no value", key: "b" } } },
          { status: 503, body: { error: { code: "quorum_not_reached", message: "delete failed", acked: 1, required: 3 } } },
        ],
      }),
    ]);
    const { results } = await client.batch(
      [
        { op: "put", key: "a", value: [1], ttl: 60 },
        { op: "get", key: "a" },
        { op: "get", key: "b" },
        { op: "delete", key: "c" },
      ],
      { r: "one", w: 3 },
    );
    expect(sent.map((s) => [s.method, s.url, s.body])).toEqual([
      [
        "POST",
        "https://kv.example/s/batch?r=one&w=3",
        '{"ops":[{"op":"put","key":"a","value":[1],"ttl":60},{"op":"get","key":"a"},{"op":"get","key":"b"},{"op":"delete","key":"c"}]}',
      ],
    ]);
    expect(results.slice(0, 2)).toEqual([
      { ok: true, status: 200, result: { key: "a", version: "1.0.w", acked: 3, required: 3, expiresAt: 1900000000 } },
      { ok: true, status: 200, result: { key: "a", value: [1], version: "1.0.w", expiresAt: 1900000000 } },
    ]);
    const [, , absent, failed] = results;
    expect(absent!.ok ? undefined : absent!.error).toBeInstanceOf(RingKVError);
    expect(absent).toMatchObject({ ok: false, status: 404, error: { code: "not_found", details: { key: "b" } } });
    expect(failed).toMatchObject({ ok: false, status: 503, error: { code: "quorum_not_reached", acked: 1, required: 3 } });
  });

  it("refuses a batch holding a value JSON would store changed, naming its index, sending nothing", async () => {
    const { client, sent } = fake([]);
    const error = await client
      .batch([
        { op: "get", key: "a" },
        { op: "put", key: "a", value: { n: -0 } },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RingKVError);
    expect(error).toMatchObject({ status: 400, code: "invalid_value", details: { index: 1 } });
    expect((error as RingKVError).message).toMatch(/^ops\[1\]: value is not JSON as given: value\.n is -0/);
    expect(sent).toEqual([]);
  });

  it("throws a whole batch's refusal, and retries a batch only when it only reads or is asked to", async () => {
    const refused = fake([err(400, "invalid_batch", { index: 100 })]);
    await expect(refused.client.batch([{ op: "get", key: "a" }])).rejects.toMatchObject({
      status: 400,
      code: "invalid_batch",
      details: { index: 100 },
    });
    const reads = fake([quorum(), ok({ results: [] })]);
    await reads.client.batch([{ op: "get", key: "a" }]);
    expect(reads.sent).toHaveLength(2);
    const writes = fake([quorum()]);
    await expect(writes.client.batch([{ op: "delete", key: "a" }])).rejects.toMatchObject({ code: "quorum_not_reached" });
    expect(writes.sent).toHaveLength(1);
    const asked = fake([quorum(), ok({ results: [] })]);
    await asked.client.batch([{ op: "delete", key: "a" }], { retry: true });
    expect(asked.sent).toHaveLength(2);
  });

  it("lists a page with GET /s/keys, returning expiresAt and the cursor, retried like a read", async () => {
    const page = {
      keys: [
        { key: "p/a", version: "1.0.w", expires_at: 1900000000, value: "x" },
        { key: "p/b", version: "2.0.w" },
      ],
      cursor: "c1.abc.def",
      complete: false,
      unreachable: ["node-3"],
    };
    const { client, sent } = fake([quorum(), ok(page), ok({ ...page, keys: [], cursor: null, complete: true, unreachable: [] })]);
    expect(await client.list({ prefix: "p/ é", limit: 2, values: true })).toEqual({
      keys: [
        { key: "p/a", version: "1.0.w", expiresAt: 1900000000, value: "x" },
        { key: "p/b", version: "2.0.w" },
      ],
      cursor: "c1.abc.def",
      complete: false,
      unreachable: ["node-3"],
    });
    expect(await client.list({ prefix: "p/ é", cursor: "c1.abc.def" })).toMatchObject({ keys: [], cursor: null });
    expect(sent.map((s) => [s.method, s.url])).toEqual([
      ["GET", "https://kv.example/s/keys?prefix=p%2F+%C3%A9&limit=2&values=true"],
      ["GET", "https://kv.example/s/keys?prefix=p%2F+%C3%A9&limit=2&values=true"],
      ["GET", "https://kv.example/s/keys?prefix=p%2F+%C3%A9&cursor=c1.abc.def"],
    ]);
    const bad = fake([err(400, "invalid_cursor")]);
    await expect(bad.client.list({ cursor: "forged" })).rejects.toMatchObject({ status: 400, code: "invalid_cursor" });
    expect(bad.sent).toHaveLength(1);
  });
});

describe("ringkvBinding", () => {
  it("refuses a value JSON would store changed before calling the binding", async () => {
    const calls: unknown[] = [];
    const binding = {
      get: async () => null,
      put: async (key: string, value: unknown) => (calls.push(value), { key, version: "1.0.w", acked: 2, required: 2 }),
      delete: async (key: string) => ({ key, deleted: true as const, version: "1.0.w", acked: 2, required: 2 }),
      batch: async () => ({ results: [] }),
      list: async () => ({ keys: [], cursor: null, complete: true, unreachable: [] }),
    };
    const kv = ringkvBinding(binding);
    await expect(kv.put("k", { n: NaN })).rejects.toMatchObject({
      status: 400,
      code: "invalid_value",
      message: expect.stringContaining("value.n is NaN"),
    });
    await expect(kv.put("k", Symbol("s"))).rejects.toBeInstanceOf(RingKVError);
    expect(calls).toEqual([]);
    expect(await kv.put("k", { n: 1 })).toMatchObject({ version: "1.0.w" });
    expect(calls).toEqual([{ n: 1 }]);
  });

  it("passes batch and list through, turning a failed operation's error fields into a RingKVError", async () => {
    const asked: unknown[] = [];
    const binding = {
      get: async () => null,
      put: async () => ({ key: "k", version: "1.0.w", acked: 2, required: 2 }),
      delete: async () => ({ key: "k", deleted: true as const, version: "1.0.w", acked: 2, required: 2 }),
      batch: async (ops: unknown, options: unknown) => (
        asked.push([ops, options]),
        {
          results: [
            { ok: true as const, status: 200 as const, result: { key: "a", value: 1, version: "1.0.w" } },
            { ok: false as const, status: 404, error: { code: "not_found", message: "no value", key: "b" } },
          ],
        }
      ),
      list: async (options: unknown) => (
        asked.push(options),
        { keys: [{ key: "a", version: "1.0.w", expiresAt: 5 }], cursor: null, complete: true, unreachable: [] }
      ),
    };
    const kv = ringkvBinding(binding);
    const ops = [
      { op: "get", key: "a" },
      { op: "get", key: "b" },
    ] as const;
    const { results } = await kv.batch(ops, { r: "all" });
    expect(results[0]).toEqual({ ok: true, status: 200, result: { key: "a", value: 1, version: "1.0.w" } });
    const failed = results[1]!;
    expect(failed.ok ? undefined : failed.error).toBeInstanceOf(RingKVError);
    expect(failed).toMatchObject({ ok: false, status: 404, error: { status: 404, code: "not_found", details: { key: "b" } } });
    expect(await kv.list({ prefix: "a" })).toMatchObject({ keys: [{ key: "a", expiresAt: 5 }] });
    expect(asked).toEqual([[ops, { r: "all" }], { prefix: "a" }]);
    await expect(kv.batch([{ op: "put", key: "a", value: NaN }])).rejects.toMatchObject({ code: "invalid_value", details: { index: 0 } });
    expect(asked).toHaveLength(2);
  });

  it("turns a thrown batch or list refusal into a RingKVError", async () => {
    const refusal = new Error('invalid_limit: limit\nringkv-error {"status":400,"code":"invalid_limit","message":"limit"}');
    const binding = {
      get: async () => null,
      put: async () => ({ key: "k", version: "1.0.w", acked: 2, required: 2 }),
      delete: async () => ({ key: "k", deleted: true as const, version: "1.0.w", acked: 2, required: 2 }),
      batch: async () => Promise.reject(refusal),
      list: async () => Promise.reject(refusal),
    };
    const kv = ringkvBinding(binding);
    await expect(kv.list({ limit: 0 })).rejects.toMatchObject({ status: 400, code: "invalid_limit" });
    await expect(kv.batch([])).rejects.toBeInstanceOf(RingKVError);
  });
});

describe("RingKVError.fromBinding", () => {
  it("reads the error body ringkv's binding writes on the message's second line", () => {
    const thrown = new Error(
      'quorum_not_reached: write failed\nringkv-error {"status":503,"code":"quorum_not_reached","message":"write failed","acked":1,"required":2}',
    );
    expect(RingKVError.fromBinding(thrown)).toMatchObject({
      status: 503,
      code: "quorum_not_reached",
      message: "write failed",
      acked: 1,
      required: 2,
    });
  });

  it("makes anything else a binding_error", () => {
    expect(RingKVError.fromBinding(new Error("Service binding not found"))).toMatchObject({ status: 0, code: "binding_error" });
  });
});
