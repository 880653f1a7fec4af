import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ringkvBinding, type RingKVBinding } from "../../../client/binding";
import { RingKVError } from "../../../client/errors";
import type { BatchOp, ListPage } from "../../../client/types";
import { MAX_BATCH_OPS } from "../../../shared/wire";
import { NodeClient } from "../../../worker/node-client";
import { allUp, expiredEntry, freshKey, plantOnReplicas, replicasOf, routerWith, setFault } from "../helpers";

/**
 * Expiry, batches and listing through the RingKV entrypoint over real Workers
 * RPC (`raw`, the loopback binding; errors as RPC delivers them) and through
 * ringkvBinding, compared with what HTTP answers the same input. This project
 * runs ringkv with DATA_AUTH="token" and no tokens: the binding needs none.
 */
const raw = exports.RingKV as unknown as RingKVBinding;
const kv = ringkvBinding(raw);
const http = routerWith({ DATA_AUTH: "open" });
const nowSeconds = () => Date.now() / 1000;

/** What the raw binding threw, read back as ringkv's error (undefined if it did not throw). */
async function thrown(call: () => Promise<unknown>): Promise<RingKVError | undefined> {
  return call().then(
    () => undefined,
    (error: unknown) => RingKVError.fromBinding(error),
  );
}

/** HTTP's error for a request: status, code, message and the body's other fields. */
async function httpError(path: string, init?: RequestInit): Promise<{ status: number; code: string; message: string; details: object }> {
  const response = await http(path, init);
  const { code, message, ...details } = (await response.json<{ error: { code: string; message: string } }>()).error;
  return { status: response.status, code, message, details };
}

function sameError(error: RingKVError | undefined, expected: { status: number; code: string; message: string; details: object }): void {
  expect(error).toBeDefined();
  expect({ status: error!.status, code: error!.code, message: error!.message, details: error!.details }).toEqual(expected);
}

afterEach(async () => {
  vi.restoreAllMocks();
  await allUp();
});

describe("expiry through the binding", () => {
  it("a ttl becomes expiresAt on the put and the get; expiresAt is taken as given; a put without either clears it", async () => {
    const key = freshKey("ttl");
    const before = Math.ceil(nowSeconds());
    const written = await kv.put(key, "v", { ttl: 60 });
    expect(written.expiresAt).toBeGreaterThanOrEqual(before + 60);
    expect(written.expiresAt).toBeLessThanOrEqual(Math.ceil(nowSeconds()) + 60);
    expect(await kv.get(key)).toEqual({ key, value: "v", version: written.version, expiresAt: written.expiresAt });
    // HTTP reads the same expiry.
    expect(await (await http(`/s/key?key=${key}`)).json()).toMatchObject({ expires_at: written.expiresAt });
    const at = Math.floor(nowSeconds()) + 3600;
    expect(await kv.put(key, 1, { expiresAt: at, w: "all" })).toMatchObject({ expiresAt: at, required: 3 });
    expect(await kv.get(key)).toMatchObject({ value: 1, expiresAt: at });
    const plain = await kv.put(key, 2);
    expect(plain).not.toHaveProperty("expiresAt");
    expect(await kv.get(key)).toEqual({ key, value: 2, version: plain.version });
  });

  it("an expired key throws 404 not_found saying it expired, even where replicas still hold it", async () => {
    const key = freshKey("expired");
    await plantOnReplicas(key, expiredEntry());
    const error = await thrown(() => raw.get(key, { r: "all" }));
    expect(error).toMatchObject({ status: 404, code: "not_found", details: { key, expired: true } });
    expect(error!.message).toContain("expired");
    // ringkvBinding answers it as RingKVClient does: no value is null.
    expect(await kv.get(key, { r: "all" })).toBeNull();
  });

  it("refuses a bad ttl or expiresAt with HTTP's 400 invalid_ttl, storing nothing", async () => {
    const past = Math.floor(nowSeconds()) - 10;
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ ttl: 0 }, { ttl: 0 }],
      [{ ttl: -5 }, { ttl: -5 }],
      [{ ttl: 1.5 }, { ttl: 1.5 }],
      [{ ttl: "60" }, { ttl: "60" }],
      [{ ttl: 315_360_001 }, { ttl: 315_360_001 }],
      [{ expiresAt: past }, { expires_at: past }],
      [
        { ttl: 60, expiresAt: past + 3600 },
        { ttl: 60, expires_at: past + 3600 },
      ],
    ];
    for (const [options, fields] of cases) {
      const key = freshKey("bad-ttl");
      const error = await thrown(() => raw.put(key, "v", options));
      sameError(error, await httpError("/s/key", { method: "POST", body: JSON.stringify({ key, value: "v", ...fields }) }));
      expect(error!.code, JSON.stringify(options)).toBe("invalid_ttl");
      expect(await kv.get(key)).toBeNull();
    }
    expect(await thrown(() => raw.put(freshKey("opt"), 1, { expires_at: 1 } as never))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/unknown option "expires_at"/),
    });
  });
});

describe("batches through the binding", () => {
  it("answers each operation in order with what its single call returns, several on one key applied in order", async () => {
    const key = freshKey("batch");
    const other = freshKey("batch-other");
    const { results } = await kv.batch([
      { op: "put", key, value: 1 },
      { op: "put", key, value: 2, ttl: 600 },
      { op: "get", key },
      { op: "delete", key },
      { op: "get", key },
      { op: "get", key: other },
      { op: "put", key: other, value: { n: [1] } },
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 404, 404, 200]);
    const [, second, read, deleted, gone] = results;
    expect(second).toMatchObject({ ok: true, result: { key, expiresAt: expect.any(Number), acked: 2, required: 2 } });
    const secondVersion = (second as { result: { version: string; expiresAt: number } }).result;
    expect(read).toEqual({
      ok: true,
      status: 200,
      result: { key, value: 2, version: secondVersion.version, expiresAt: secondVersion.expiresAt },
    });
    expect(deleted).toMatchObject({ ok: true, result: { key, deleted: true } });
    expect(gone).toMatchObject({ ok: false, status: 404 });
    expect(gone!.ok ? undefined : gone!.error).toBeInstanceOf(RingKVError);
    expect(gone!.ok ? undefined : gone!.error).toMatchObject({ code: "not_found", details: { key } });
    expect(await kv.get(other)).toMatchObject({ value: { n: [1] } });
  });

  it("makes one call per node for the whole batch, and takes r and w for it", async () => {
    const calls = vi.spyOn(NodeClient.prototype, "batch");
    const keys = Array.from({ length: 30 }, (_, i) => freshKey(`fan-${i}`));
    const ops: BatchOp[] = keys.flatMap((key): BatchOp[] => [
      { op: "put", key, value: key },
      { op: "get", key },
    ]);
    const { results } = await kv.batch(ops, { r: "all", w: 3 });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results[0]).toMatchObject({ result: { required: 3 } });
    const nodes = new Set(keys.flatMap((key) => replicasOf(key)));
    expect(calls).toHaveBeenCalledTimes(nodes.size);
    expect(new Set(calls.mock.calls.map(([node]) => node)).size).toBe(nodes.size);
  });

  it("a failed operation does not fail the others: a quorum failure is that operation's 503", async () => {
    const lost = freshKey("lost");
    const [, second, third] = replicasOf(lost);
    await setFault(second!, { mode: "down" });
    await setFault(third!, { mode: "down" });
    const fine = Array.from({ length: 20 }, (_, i) => freshKey(`fine-${i}`)).find(
      (key) => !replicasOf(key).includes(second!) && !replicasOf(key).includes(third!),
    );
    const ops: BatchOp[] = [{ op: "put", key: lost, value: 1 }];
    if (fine !== undefined) ops.push({ op: "put", key: fine, value: 2 });
    const { results } = await kv.batch(ops);
    expect(results[0]).toMatchObject({ ok: false, status: 503, error: { code: "quorum_not_reached", acked: 1, required: 2 } });
    if (fine !== undefined) expect(results[1]).toMatchObject({ ok: true, status: 200 });
  });

  it("refuses bad input whole with HTTP's error naming the index, applying nothing", async () => {
    const key = freshKey("untouched");
    const good = { op: "put", key, value: 1 };
    const cases: [unknown[], number][] = [
      [[good, { op: "rename", key }], 400],
      [[good, { op: "get", key: "" }], 400],
      [[good, { op: "put", key: "k" }], 400],
      // Too large, as its single request is.
      [[good, { op: "get", key: "k".repeat(600) }], 413],
      [[good, good, { op: "put", key, value: 1, ttl: 0 }], 400],
      [[good, "get"], 400],
      [Array.from({ length: MAX_BATCH_OPS + 1 }, () => good), 400],
    ];
    for (const [ops, status] of cases) {
      const error = await thrown(() => raw.batch(ops as BatchOp[]));
      sameError(error, await httpError("/s/batch", { method: "POST", body: JSON.stringify({ ops }) }));
      expect(error!.status).toBe(status);
    }
    const notArray = await thrown(() => raw.batch({ ops: [good] } as never));
    expect(notArray).toMatchObject({ status: 400, code: "invalid_batch" });
    expect(await kv.get(key)).toBeNull();
  });

  it("refuses a batch whose keys and values pass MAX_BODY_BYTES, as HTTP refuses such a body, applying nothing", async () => {
    const key = freshKey("big-batch");
    const big = "x".repeat(100_000);
    const ops = [
      { op: "put", key, value: big },
      ...Array.from({ length: 3 }, (_, i) => ({ op: "put", key: `${key}-${i}`, value: big })),
    ] as BatchOp[];
    const error = await thrown(() => raw.batch(ops));
    expect(error).toMatchObject({ status: 413, code: "body_too_large" });
    const overHttp = await http("/s/batch", { method: "POST", body: JSON.stringify({ ops }) });
    expect(overHttp.status).toBe(413);
    expect(await kv.get(key)).toBeNull();
  });

  it("refuses a value JSON would store changed, with its index, in the entrypoint and in ringkvBinding", async () => {
    const key = freshKey("nan");
    const ops = [
      { op: "get", key },
      { op: "put", key, value: { x: NaN } },
    ] as BatchOp[];
    const fromEntrypoint = await thrown(() => raw.batch(ops));
    expect(fromEntrypoint).toMatchObject({ status: 400, code: "invalid_value", details: { index: 1 } });
    expect(fromEntrypoint!.message).toMatch(/^ops\[1\]: value is not JSON as given: value\.x is NaN/);
    const fromWrapper = await kv.batch(ops).catch((e: unknown) => e);
    expect(fromWrapper).toBeInstanceOf(RingKVError);
    expect(fromWrapper).toMatchObject({ status: 400, code: "invalid_value", message: fromEntrypoint!.message, details: { index: 1 } });
    expect(await kv.get(key)).toBeNull();
  });
});

describe("listing through the binding", () => {
  it("pages through a prefix in UTF-8 byte order, each key once, hiding deleted keys, with values and expiresAt", async () => {
    const prefix = `${freshKey("list")}/`;
    const names = ["b", "a", "é", "c", "d", "\u{1F600}", "e"];
    const written = new Map<string, string>();
    for (const name of names) written.set(prefix + name, (await kv.put(prefix + name, { name }, name === "c" ? { ttl: 600 } : {})).version);
    await kv.delete(`${prefix}d`);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: ListPage = await kv.list({ prefix, limit: 2, values: true, ...(cursor === null ? {} : { cursor }) });
      expect(page.complete).toBe(true);
      expect(page.unreachable).toEqual([]);
      for (const listed of page.keys) {
        expect(listed).toMatchObject({ version: written.get(listed.key), value: { name: listed.key.slice(prefix.length) } });
        expect(listed.expiresAt !== undefined).toBe(listed.key === `${prefix}c`);
        seen.push(listed.key);
      }
      if (page.cursor !== null) expect(page.keys).toHaveLength(2);
      cursor = page.cursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual(["a", "b", "c", "e", "é", "\u{1F600}"].map((n) => prefix + n));
    // Keys alone, by default.
    const first = await kv.list({ prefix });
    expect(first.keys.every((listed) => !("value" in listed))).toBe(true);
    expect(first.cursor).toBeNull();
  });

  it("asks each node once per page, and names a node that did not answer", async () => {
    const prefix = `${freshKey("once")}/`;
    await kv.put(`${prefix}k`, 1);
    const calls = vi.spyOn(NodeClient.prototype, "list");
    const page = await kv.list({ prefix });
    expect(page.keys.map((listed) => listed.key)).toEqual([`${prefix}k`]);
    const members = new Set(calls.mock.calls.map(([node]) => node));
    expect(calls).toHaveBeenCalledTimes(members.size);
    const down = [...members][0]!;
    await setFault(down, { mode: "down" });
    const partial = await kv.list({ prefix });
    expect(partial).toMatchObject({ complete: false, unreachable: [down] });
  });

  it("refuses a bad limit, prefix, cursor or values with HTTP's 400 and code", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ limit: 0 }, "limit=0"],
      [{ limit: 1001 }, "limit=1001"],
      [{ limit: 101, values: true }, "limit=101&values=true"],
      [{ limit: 2.5 }, "limit=2.5"],
      [{ prefix: "p".repeat(600) }, `prefix=${"p".repeat(600)}`],
      [{ prefix: "a\0" }, "prefix=a%00"],
      [{ cursor: "c1.forged.0" }, "cursor=c1.forged.0"],
    ];
    for (const [options, query] of cases) {
      sameError(await thrown(() => raw.list(options)), await httpError(`/s/keys?${query}`));
    }
    // What only typed options can get wrong, with the same codes.
    for (const [options, code] of [
      [{ limit: "10" }, "invalid_limit"],
      [{ values: "true" }, "invalid_values"],
      [{ prefix: 7 }, "invalid_prefix"],
      [{ cursor: 7 }, "invalid_cursor"],
      [{ after: "x" }, "bad_request"],
    ] as const) {
      expect(await thrown(() => raw.list(options as never)), JSON.stringify(options)).toMatchObject({ status: 400, code });
    }
    // A cursor is bound to its prefix.
    const prefix = `${freshKey("cursor")}/`;
    for (const name of ["a", "b"]) await kv.put(prefix + name, 1);
    const { cursor } = await kv.list({ prefix, limit: 1 });
    expect(cursor).not.toBeNull();
    expect(await thrown(() => raw.list({ prefix: `${prefix}x`, cursor: cursor! }))).toMatchObject({ status: 400, code: "invalid_cursor" });
  });
});
