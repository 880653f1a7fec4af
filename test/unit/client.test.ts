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

describe("ringkvBinding", () => {
  it("refuses a value JSON would store changed before calling the binding", async () => {
    const calls: unknown[] = [];
    const binding = {
      get: async () => null,
      put: async (key: string, value: unknown) => (calls.push(value), { key, version: "1.0.w", acked: 2, required: 2 }),
      delete: async (key: string) => ({ key, deleted: true as const, version: "1.0.w", acked: 2, required: 2 }),
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
