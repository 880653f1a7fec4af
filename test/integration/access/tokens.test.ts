import { describe, expect, it } from "vitest";
import { ADMIN, expectError, freshKey, routerWith } from "../helpers";

/** Data tokens (DATA_AUTH="token"): every status with its body, and nothing changes on a refusal. */
const WRITER = "writer-token-0123456789";
const READER = "reader-token-0123456789";
const APP1 = "app1-token-0123456789ab";
const tokens = [
  { token: WRITER, access: "write", name: "writer" },
  { token: READER, access: "read", name: "reader" },
  { token: APP1, access: "write", prefix: "app1/", name: "app1" },
];
const api = routerWith({ DATA_AUTH: "token", DATA_TOKENS: JSON.stringify(tokens) });
const as = (token: string, init: RequestInit = {}): RequestInit => ({ ...init, headers: { authorization: `Bearer ${token}` } });
const post = (key: string, value: unknown): RequestInit => ({ method: "POST", body: JSON.stringify({ key, value }) });
const path = (key: string) => `/s/key?key=${encodeURIComponent(key)}`;

async function expectUnauthorized(response: Response, message: RegExp): Promise<void> {
  const body = await expectError(response, 401, "unauthorized");
  expect(response.headers.get("www-authenticate")).toBe('Bearer realm="ringkv"');
  expect(body.error.message).toMatch(message);
}

async function stored(key: string): Promise<unknown> {
  const response = await api(path(key), as(WRITER));
  return response.status === 404 ? undefined : ((await response.json()) as { value: unknown }).value;
}

describe("DATA_AUTH=token", () => {
  it("401 with WWW-Authenticate for a missing, unknown or non-Bearer token, and the write is not applied", async () => {
    const key = freshKey("anon");
    await expectUnauthorized(await api("/s/key", post(key, 1)), /missing bearer token/);
    await expectUnauthorized(await api("/s/key", as("not-a-token-at-all", post(key, 1))), /^unknown bearer token$/);
    await expectUnauthorized(await api("/s/key", { ...post(key, 1), headers: { authorization: `Basic ${WRITER}` } }), /missing/);
    await expectUnauthorized(await api(path(key)), /missing bearer token/);
    await expectUnauthorized(await api(path(key), { method: "DELETE" }), /missing bearer token/);
    expect(await stored(key)).toBeUndefined();
  });

  it("reads the Bearer scheme in any case, as HTTP says a scheme's name is", async () => {
    for (const scheme of ["bearer", "BEARER"]) {
      const key = freshKey(scheme);
      const response = await api("/s/key", { ...post(key, 1), headers: { authorization: `${scheme} ${WRITER}` } });
      expect(response.status).toBe(200);
    }
  });

  it("never echoes the presented token", async () => {
    const response = await api("/s/key", as("secret-guess-0123456789", post("k", 1)));
    expect(await response.text()).not.toContain("secret-guess");
  });

  it("a write token writes, reads and deletes", async () => {
    const key = freshKey("w");
    const written = await api("/s/key", as(WRITER, post(key, { n: 1 })));
    expect(written.status).toBe(200);
    expect(await written.json()).toMatchObject({ key, acked: 2, required: 2 });
    expect(await (await api(path(key), as(WRITER))).json()).toMatchObject({ key, value: { n: 1 } });
    expect((await api(path(key), as(WRITER, { method: "DELETE" }))).status).toBe(200);
    expect(await stored(key)).toBeUndefined();
  });

  it("a read token GETs but cannot POST or DELETE: 403 forbidden, reason access", async () => {
    const key = freshKey("r");
    await api("/s/key", as(WRITER, post(key, "kept")));
    expect(await (await api(path(key), as(READER))).json()).toMatchObject({ key, value: "kept" });
    const write = await expectError(await api("/s/key", as(READER, post(key, "overwritten"))), 403, "forbidden");
    expect(write.error).toMatchObject({ reason: "access", message: 'token "reader" is read-only: it cannot write' });
    const del = await expectError(await api(path(key), as(READER, { method: "DELETE" })), 403, "forbidden");
    expect(del.error).toMatchObject({ reason: "access", message: 'token "reader" is read-only: it cannot delete' });
    expect(await stored(key)).toBe("kept");
  });

  it("a read token is refused a write before its body is read", async () => {
    const response = await api("/s/key", as(READER, { method: "POST", body: "{not json" }));
    expect((await expectError(response, 403, "forbidden")).error.reason).toBe("access");
  });

  it("a prefix token works inside its prefix and cannot touch another: 403 forbidden, reason prefix", async () => {
    const mine = `app1/${freshKey("p")}`;
    const other = `app2/${freshKey("p")}`;
    await api("/s/key", as(WRITER, post(other, "theirs")));
    expect((await api("/s/key", as(APP1, post(mine, "ours")))).status).toBe(200);
    expect(await (await api(path(mine), as(APP1))).json()).toMatchObject({ value: "ours" });
    for (const init of [post(other, "stolen"), { method: "GET" }, { method: "DELETE" }]) {
      const target = init.method === "POST" ? "/s/key" : path(other);
      const body = await expectError(await api(target, as(APP1, init)), 403, "forbidden");
      expect(body.error).toMatchObject({ reason: "prefix" });
      expect(body.error.message).toBe(`token "app1" covers keys starting with "app1/"; ${JSON.stringify(other)} is outside it`);
    }
    expect(await stored(other)).toBe("theirs");
  });

  it("the admin token is not a data token, and a data token does not open /admin", async () => {
    await expectUnauthorized(await api("/s/key", { ...post("k", 1), headers: ADMIN }), /unknown bearer token/);
    const fault = { method: "POST", body: JSON.stringify({ mode: "down" }) };
    for (const token of [WRITER, READER]) {
      await expectError(await api("/admin/nodes/node-1/fault", as(token, fault)), 401, "unauthorized");
    }
    const stats = await api("/cluster", { headers: ADMIN });
    expect(((await stats.json()) as { nodes: { fault: unknown }[] }).nodes[0]!.fault).toEqual({ mode: "up" });
  });

  it("/cluster needs a data token or the admin token; /health stays open", async () => {
    await expectUnauthorized(await api("/cluster"), /data or admin token/);
    await expectUnauthorized(await api("/cluster", as("not-a-token-at-all")), /data token or the admin token/);
    for (const headers of [ADMIN, { authorization: `Bearer ${READER}` }, { authorization: `Bearer ${APP1}` }]) {
      const response = await api("/cluster", { headers });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ replicas: 3, readQuorum: 2, writeQuorum: 2 });
    }
    const health = await api("/health");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", nodes: 5 });
  });
});

describe("DATA_AUTH=token with no DATA_TOKENS", () => {
  const closed = routerWith({ DATA_AUTH: "token", DATA_TOKENS: "" });

  it("answers every data request 401, saying how to configure tokens", async () => {
    const key = freshKey("closed");
    for (const [target, init] of [
      ["/s/key", post(key, 1)],
      [path(key), {}],
      [path(key), { method: "DELETE" }],
      ["/s/key", as(WRITER, post(key, 1))],
    ] as const) {
      const response = await closed(target, init);
      const body = await expectError(response, 401, "unauthorized");
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="ringkv"');
      expect(body.error.message).toContain("no data tokens are configured");
      expect(body.error.message).toContain("wrangler secret put DATA_TOKENS");
    }
    expect(await stored(key)).toBeUndefined();
  });

  it("still lets the admin token see /cluster", async () => {
    expect((await closed("/cluster", { headers: ADMIN })).status).toBe(200);
    await expectError(await closed("/cluster"), 401, "unauthorized");
  });
});

describe("DATA_AUTH=open", () => {
  const open = routerWith({ DATA_AUTH: "open", DATA_TOKENS: JSON.stringify(tokens) });

  it("needs no token, and ignores one", async () => {
    const key = freshKey("open");
    expect((await open("/s/key", post(key, 1))).status).toBe(200);
    expect((await open(path(key), as(READER, { method: "DELETE" }))).status).toBe(200);
    expect((await open("/cluster")).status).toBe(200);
  });
});
