import { describe, expect, it } from "vitest";
import { RingKVError } from "../../client/errors";
import { RingKVClient } from "../../client/index";
import { batchFromValues } from "../../worker/batch-input";
import { HttpError } from "../../worker/http";

/**
 * client/errors.ts: RingKVError, the one error a ringkv call fails with, and how
 * an HTTP answer or a binding's thrown error becomes one. What the client does
 * with it (retries, null for an absent key) is test/unit/client.test.ts; here,
 * only the answers that file does not cover: which fields an error takes from
 * a body, what it makes of a body that is not ringkv's, and that neither a 429
 * nor a Retry-After header changes whether and when the client retries.
 */

const body = (code: string, message: string, extra: Record<string, unknown> = {}) => ({ error: { code, message, ...extra } });

describe("RingKVError", () => {
  it("is an Error named RingKVError with the status, code, message and the body's other fields", () => {
    const error = new RingKVError(409, "conflict", "it conflicts", { reason: "x" });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("RingKVError");
    expect(error).toMatchObject({ status: 409, code: "conflict", message: "it conflicts", details: { reason: "x" } });
    expect(String(error)).toBe("RingKVError: it conflicts");
    expect(new RingKVError(500, "internal_error", "m").details).toEqual({});
  });

  it("takes acked and required from the details only when they are numbers, 0 included", () => {
    expect(new RingKVError(503, "quorum_not_reached", "m", { acked: 0, required: 2 })).toMatchObject({ acked: 0, required: 2 });
    const odd = new RingKVError(503, "quorum_not_reached", "m", { acked: "1", required: null });
    expect(odd.acked).toBeUndefined();
    expect(odd.required).toBeUndefined();
    expect(odd.details).toEqual({ acked: "1", required: null });
  });
});

describe("RingKVError.fromBody: an HTTP answer", () => {
  it("403 forbidden keeps its reason in details", () => {
    const error = RingKVError.fromBody(403, body("forbidden", 'token "web" covers keys starting with "web/"', { reason: "prefix" }));
    expect(error).toMatchObject({ status: 403, code: "forbidden", message: 'token "web" covers keys starting with "web/"' });
    expect(error.details).toEqual({ reason: "prefix" });
    expect(error.acked).toBeUndefined();
    expect(error.required).toBeUndefined();
  });

  it("507 node_full keeps the full nodes, and the counts of the write", () => {
    const error = RingKVError.fromBody(507, body("node_full", "full", { acked: 1, required: 2, nodes: ["node-2", "node-4"] }));
    expect(error).toMatchObject({ status: 507, code: "node_full", acked: 1, required: 2 });
    expect(error.details).toEqual({ acked: 1, required: 2, nodes: ["node-2", "node-4"] });
  });

  it("400 keeps the index of a batch's bad operation", () => {
    const error = RingKVError.fromBody(400, body("invalid_key", "ops[3]: missing key", { index: 3 }));
    expect(error).toMatchObject({ status: 400, code: "invalid_key", message: "ops[3]: missing key", details: { index: 3 } });
  });

  it.each([
    ["an empty object", {}],
    ["null", null],
    ["a string", "Bad Gateway"],
    ["a number", 502],
    ["an array", [{ code: "x" }]],
    ["an error that is a string", { error: "bad gateway" }],
    ["an error that is null", { error: null }],
  ])("a JSON body that is not an error body (%s) is http_error, with the status", (_, answer) => {
    const error = RingKVError.fromBody(502, answer);
    expect(error).toMatchObject({ status: 502, code: "http_error", message: "HTTP 502 without an error body", details: {} });
  });

  it("an error object without code or message gets http_error and 'HTTP <status>'; a code that is not text is made text", () => {
    expect(RingKVError.fromBody(500, { error: {} })).toMatchObject({ status: 500, code: "http_error", message: "HTTP 500" });
    expect(RingKVError.fromBody(500, { error: { code: null, message: null } })).toMatchObject({ code: "http_error", message: "HTTP 500" });
    expect(RingKVError.fromBody(418, { error: { code: 42, message: "teapot" } })).toMatchObject({ code: "42", message: "teapot" });
  });
});

describe("RingKVError.fromBinding: an error the RingKV binding threw", () => {
  it("without a status on its body line, reads it as a 500", () => {
    const thrown = new Error('internal_error: failed\nringkv-error {"code":"internal_error","message":"failed"}');
    expect(RingKVError.fromBinding(thrown)).toMatchObject({ status: 500, code: "internal_error", message: "failed", details: {} });
  });

  it("keeps the body's other fields in details, without the status", () => {
    const thrown = new Error('forbidden: no\nringkv-error {"status":403,"code":"forbidden","message":"no","reason":"access"}');
    expect(RingKVError.fromBinding(thrown).details).toEqual({ reason: "access" });
  });

  it("a mark that is not at the start of a line, or a line that is not JSON, is a binding_error with the whole message", () => {
    const inline = 'oops ringkv-error {"status":400,"code":"invalid_key","message":"m"}';
    expect(RingKVError.fromBinding(new Error(inline))).toMatchObject({ status: 0, code: "binding_error", message: inline });
    const broken = "quorum_not_reached: x\nringkv-error {not json";
    expect(RingKVError.fromBinding(new Error(broken))).toMatchObject({ status: 0, code: "binding_error", message: broken });
  });

  it("a thrown value that is not an Error is a binding_error with its text", () => {
    expect(RingKVError.fromBinding("connection reset")).toMatchObject({ status: 0, code: "binding_error", message: "connection reset" });
  });
});

describe("RingKVError.invalidValue", () => {
  it.each([[null], [true], ["text"], [1.5], [[]], [{ a: [1, { b: null }] }], [Object.create(null) as object]])(
    "is undefined for a value JSON stores unchanged: %j",
    (value) => {
      expect(RingKVError.invalidValue(value)).toBeUndefined();
    },
  );

  it("is 400 invalid_value naming where the value goes wrong", () => {
    expect(RingKVError.invalidValue(NaN)).toMatchObject({
      status: 400,
      code: "invalid_value",
      message: "value is not JSON as given: value is NaN, which JSON cannot hold (it would be stored as null)",
      details: {},
    });
    expect(RingKVError.invalidValue({ a: { b: [1, undefined] } })?.message).toBe(
      "value is not JSON as given: value.a.b[1] is undefined, which JSON cannot hold",
    );
  });
});

describe("RingKVError.invalidOp", () => {
  it("is undefined for a batch ringkv takes, an empty one, and anything not an array (the server's to judge)", () => {
    const ops = [
      { op: "get", key: "a" },
      { op: "delete", key: "b" },
      { op: "put", key: "c", value: { n: 1 }, ttl: 60 },
      { op: "put", key: "d", value: "v", expiresAt: 2_000_000_000 },
    ];
    expect(RingKVError.invalidOp(ops)).toBeUndefined();
    expect(RingKVError.invalidOp([])).toBeUndefined();
    expect(RingKVError.invalidOp({ op: "get", key: "a" } as never)).toBeUndefined();
  });

  it("names the first bad operation, by index, with ringkv's message", () => {
    const ops = [
      { op: "get", key: "a" },
      { op: "put", key: "b", value: NaN },
      { op: "get", key: "c", value: 1 },
    ];
    expect(RingKVError.invalidOp(ops)).toMatchObject({
      status: 400,
      code: "invalid_value",
      message: "ops[1]: value is not JSON as given: value is NaN, which JSON cannot hold (it would be stored as null)",
      details: { index: 1 },
    });
  });

  it("refuses a field the operation does not take, listing those it does", () => {
    const getWithTtl = [{ op: "get", key: "a", ttl: 5 }];
    expect(RingKVError.invalidOp(getWithTtl)).toMatchObject({
      status: 400,
      code: "unknown_field",
      message: 'ops[0]: unknown field "ttl"; a get takes op, key',
      details: { index: 0 },
    });
    const misspelt = [
      { op: "get", key: "a" },
      { op: "put", key: "b", value: 1, tll: 5 },
    ];
    expect(RingKVError.invalidOp(misspelt)).toMatchObject({
      code: "unknown_field",
      message: 'ops[1]: unknown field "tll"; a put takes op, key, value, ttl, expiresAt',
      details: { index: 1 },
    });
  });
});

describe("RingKVError.invalidOp against ringkv's own check (worker/batch-input.ts)", () => {
  const limits = { maxKeyBytes: 512, maxValueBytes: 131_072, maxBodyBytes: 262_144 };
  /** ringkv's refusal of `ops` as the binding's batch: its code and index. */
  function ringkv(ops: unknown[]): { code: string; index: unknown } {
    try {
      batchFromValues(ops, limits, 1_800_000_000_000);
    } catch (error) {
      if (error instanceof HttpError) return { code: error.code, index: error.details.index };
      throw error;
    }
    throw new Error("ringkv took the batch");
  }

  const cases: [string, unknown[]][] = [
    ["an unknown op", [{ op: "upsert", key: "k", value: 1 }]],
    [
      "an unknown op before a NaN",
      [
        { op: "upsert", key: "k" },
        { op: "put", key: "k", value: NaN },
      ],
    ],
    ["a non-object before a NaN", [null, { op: "put", key: "k", value: NaN }]],
    [
      "an empty key before a NaN",
      [
        { op: "get", key: "" },
        { op: "put", key: "k", value: NaN },
      ],
    ],
    ["a put without a value", [{ op: "put", key: "k" }]],
    ["a misspelt field and a NaN in one put", [{ op: "put", key: "k", value: NaN, tll: 1 }]],
    ["HTTP's expires_at", [{ op: "put", key: "k", value: 1, expires_at: 5 }]],
    [
      "a NaN after good operations",
      [
        { op: "get", key: "a" },
        { op: "put", key: "k", value: NaN },
      ],
    ],
  ];

  for (const [what, ops] of cases) {
    it(`${what}: names what ringkv names, or leaves the batch for ringkv to name`, () => {
      const client = RingKVError.invalidOp(ops as never);
      const server = ringkv(ops);
      if (client !== undefined) expect({ code: client.code, index: client.details.index }).toEqual(server);
    });
  }

  it("refuses an op or key given as an object, which JSON would send as a string, so a later NaN cannot reach ringkv as null", () => {
    const nan = { op: "put", key: "x", value: NaN };
    expect(RingKVError.invalidOp([{ op: "get", key: new String("a") }, nan] as never)).toMatchObject({
      code: "invalid_key",
      details: { index: 0 },
    });
    expect(RingKVError.invalidOp([{ op: new String("get"), key: "a" }, nan] as never)).toMatchObject({
      code: "invalid_batch",
      details: { index: 0 },
    });
    expect(
      RingKVError.invalidOp([
        { op: "get", key: new Date(0) },
        { op: "put", key: "x", value: [undefined] },
      ] as never),
    ).toMatchObject({
      code: "invalid_key",
    });
  });

  it("names the operations the wire would change before ringkv sees them", () => {
    expect(
      RingKVError.invalidOp([
        { op: "get", key: "a" },
        { op: "put", key: "k", value: NaN },
      ] as never),
    ).toMatchObject({
      code: "invalid_value",
      details: { index: 1 },
    });
    expect(RingKVError.invalidOp([{ op: "put", key: "k", value: NaN, tll: 1 }] as never)).toMatchObject({ code: "unknown_field" });
    expect(RingKVError.invalidOp([{ op: "put", key: "k", value: 1, expires_at: 5 }] as never)).toMatchObject({ code: "invalid_ttl" });
  });
});

describe("what a refusal's status means for the client's retries", () => {
  /** A client whose fetch answers `answers` in turn, counting requests and the delays it slept. */
  function client(answers: Response[]) {
    const sent: string[] = [];
    const delays: number[] = [];
    const kv = new RingKVClient({
      url: "https://kv.example",
      random: () => 0.5,
      sleep: async (ms) => void delays.push(ms),
      fetch: (async (url: string) => {
        sent.push(url);
        const next = answers.shift();
        if (next === undefined) throw new Error("no more answers");
        return next;
      }) as unknown as typeof fetch,
    });
    return { kv, sent, delays };
  }

  it("429 overloaded is thrown at once, not retried, and its Retry-After is on no field of the error", async () => {
    const { kv, sent } = client([Response.json(body("overloaded", "busy"), { status: 429, headers: { "retry-after": "1" } })]);
    const error = (await kv.get("k").catch((e: unknown) => e)) as RingKVError;
    expect(error).toBeInstanceOf(RingKVError);
    expect(error).toMatchObject({ status: 429, code: "overloaded", message: "busy", details: {} });
    expect(sent).toHaveLength(1);
  });

  it("507 node_full is thrown at once, not retried", async () => {
    const { kv, sent } = client([Response.json(body("node_full", "full", { nodes: ["node-1"] }), { status: 507 })]);
    await expect(kv.get("k")).rejects.toMatchObject({ status: 507, code: "node_full", details: { nodes: ["node-1"] } });
    expect(sent).toHaveLength(1);
  });

  it("a 503's Retry-After does not set the delay: the backoff does", async () => {
    const { kv, sent, delays } = client([
      Response.json(body("quorum_not_reached", "read failed", { acked: 1, required: 2 }), {
        status: 503,
        headers: { "retry-after": "30" },
      }),
      Response.json({ key: "k", value: 1, version: "1.0.w" }),
    ]);
    await expect(kv.get("k")).resolves.toMatchObject({ value: 1 });
    expect(sent).toHaveLength(2);
    // random() 0.5 of baseDelayMs 100, not 30 s.
    expect(delays).toEqual([50]);
  });

  it("a 503 without ringkv's body (a proxy's page) is http_error, and retried as any 503", async () => {
    const { kv, sent } = client([
      new Response("<html>Service Unavailable</html>", { status: 503 }),
      Response.json({ key: "k", value: 2, version: "1.0.w" }),
    ]);
    await expect(kv.get("k")).resolves.toMatchObject({ value: 2 });
    expect(sent).toHaveLength(2);
    const once = client([new Response("<html>Service Unavailable</html>", { status: 503 })]);
    await expect(once.kv.put("k", 1)).rejects.toMatchObject({ status: 503, code: "http_error" });
  });
});
