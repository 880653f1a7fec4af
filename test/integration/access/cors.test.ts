import { describe, expect, it } from "vitest";
import { api as openApi, expectError, freshKey, routerWith } from "../helpers";

/** CORS_ORIGINS: preflights and Access-Control-Allow-Origin for listed origins only, cross-site writes refused. */
const APP = "https://app.example.com";
const EVIL = "https://evil.example";
const api = routerWith({ CORS_ORIGINS: `${APP}, http://localhost:5173` });
const preflight = (origin: string): RequestInit => ({
  method: "OPTIONS",
  headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
});
const post = (key: string, origin: string): RequestInit => ({
  method: "POST",
  headers: { origin },
  body: JSON.stringify({ key, value: 1 }),
});

describe("CORS_ORIGINS set", () => {
  it("answers a preflight from a listed origin with 204 and the allowed methods and headers", async () => {
    const response = await api("/s/key", preflight(APP));
    expect(response.status).toBe(204);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      "access-control-allow-origin": APP,
      "access-control-allow-methods": "GET, POST, DELETE",
      "access-control-allow-headers": "authorization, content-type",
      vary: "Origin",
    });
  });

  it("refuses a preflight from another origin: 403 forbidden, reason origin, no allow-origin", async () => {
    const response = await api("/s/key", preflight(EVIL));
    const body = await expectError(response, 403, "forbidden");
    expect(body.error).toMatchObject({ reason: "origin" });
    expect(body.error.message).toBe(`origin ${EVIL} may not call this API: CORS_ORIGINS allows ${APP}, http://localhost:5173`);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("sets Access-Control-Allow-Origin on answers to a listed origin, errors included", async () => {
    const key = freshKey("cors");
    const written = await api("/s/key", post(key, APP));
    expect(written.status).toBe(200);
    expect(written.headers.get("access-control-allow-origin")).toBe(APP);
    const missing = await api(`/s/key?key=${freshKey("absent")}`, { headers: { origin: "http://localhost:5173" } });
    await expectError(missing, 404, "not_found");
    expect(missing.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
  });

  it("refuses a write from an unlisted origin before it is applied, and reads answer without allow-origin", async () => {
    const key = freshKey("cross-site");
    const refused = await api("/s/key", { ...post(key, EVIL), headers: { origin: EVIL, "content-type": "text/plain" } });
    expect((await expectError(refused, 403, "forbidden")).error.reason).toBe("origin");
    await expectError(await api(`/s/key?key=${key}`, { method: "DELETE", headers: { origin: EVIL } }), 403, "forbidden");
    const read = await api(`/s/key?key=${key}`, { headers: { origin: EVIL } });
    await expectError(read, 404, "not_found");
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("says Vary: Origin on every answer, those to unlisted and origin-less requests included, so no cache serves one to a listed page", async () => {
    const key = freshKey("vary");
    for (const headers of [{}, { origin: EVIL }, { origin: APP }] as Record<string, string>[]) {
      const response = await api(`/s/key?key=${key}`, { headers });
      expect(response.headers.get("vary")).toBe("Origin");
    }
  });

  it("lets the API's own origin and origin-less clients (curl, servers) write", async () => {
    expect((await api("/s/key", post(freshKey("same"), "http://ringkv.test"))).status).toBe(200);
    expect((await api("/s/key", { method: "POST", body: JSON.stringify({ key: freshKey("curl"), value: 1 }) })).status).toBe(200);
  });
});

describe("CORS_ORIGINS empty (the default)", () => {
  it("refuses every preflight, saying CORS_ORIGINS is empty", async () => {
    const body = await expectError(await openApi("/s/key", preflight(APP)), 403, "forbidden");
    expect(body.error.message).toBe(`origin ${APP} may not call this API: CORS_ORIGINS is empty`);
  });

  it("does not check the Origin of writes: with DATA_AUTH=open a cross-site form can write (README warns)", async () => {
    const key = freshKey("form");
    const form = { method: "POST", headers: { origin: EVIL, "content-type": "application/x-www-form-urlencoded" } };
    const response = await openApi("/s/key", { ...form, body: JSON.stringify({ key, value: "from a form" }) });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("a plain OPTIONS (not a preflight) is still 405 with Allow", async () => {
    const response = await openApi("/s/key", { method: "OPTIONS" });
    await expectError(response, 405, "method_not_allowed");
    expect(response.headers.get("allow")).toBe("GET, HEAD, POST, DELETE");
  });
});
