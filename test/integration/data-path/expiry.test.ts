import { describe, expect, it } from "vitest";
import { MAX_TTL_SECONDS } from "../../../shared/expiry";
import { api, eventually, expectError, expiredEntry, freshKey, get, plantOnReplicas, replicaCopy, replicasOf } from "../helpers";

const write = (body: Record<string, unknown>) => api("/s/key", { method: "POST", body: JSON.stringify(body) });
const nowSeconds = () => Date.now() / 1000;

interface Written {
  version: string;
  expires_at?: number;
}

describe("expiry: ttl and expires_at", () => {
  it("a ttl becomes an expires_at, returned by the write and the read and held by every replica", async () => {
    const key = freshKey("ttl");
    const before = Math.ceil(nowSeconds());
    const response = await write({ key, value: "v", ttl: 60 });
    expect(response.status).toBe(200);
    const written = await response.json<Written>();
    expect(written.expires_at).toBeGreaterThanOrEqual(before + 60);
    expect(written.expires_at).toBeLessThanOrEqual(Math.ceil(nowSeconds()) + 60);
    expect(await (await get(key)).json()).toEqual({ key, value: "v", version: written.version, expires_at: written.expires_at });
    await eventually(async () => {
      for (const node of replicasOf(key))
        expect(await replicaCopy(node, key)).toMatchObject({ version: written.version, expires_at: written.expires_at });
    });
  });

  it("takes expires_at as given, and a later write without either clears the expiry", async () => {
    const key = freshKey("expires-at");
    const at = Math.floor(nowSeconds()) + 3600;
    expect(await (await write({ key, value: 1, expires_at: at })).json()).toMatchObject({ expires_at: at });
    expect(await (await get(key)).json()).toMatchObject({ value: 1, expires_at: at });
    const rewritten = await write({ key, value: 2 });
    expect(await rewritten.json()).not.toHaveProperty("expires_at");
    expect(await (await get(key)).json()).toEqual({ key, value: 2, version: expect.any(String) });
  });

  it("answers 404 not_found saying it expired once the expiry has come", async () => {
    const key = freshKey("short");
    expect((await write({ key, value: "brief", ttl: 1 })).status).toBe(200);
    await eventually(async () => {
      const body = await expectError(await get(key), 404, "not_found");
      expect(body.error.message).toContain("expired");
      expect(body.error.expired).toBe(true);
    }, 4_000);
  });

  it("never serves an expired value, even from replicas that still hold it, at any r", async () => {
    const key = freshKey("unpurged");
    await plantOnReplicas(key, expiredEntry());
    for (const r of ["one", "quorum", "all"]) {
      const body = await expectError(await get(key, `&r=${r}`), 404, "not_found");
      expect(body.error.message).toContain("expired");
    }
    // Still held (the sweep purges it after the tombstone TTL), just never served.
    expect(await replicaCopy(replicasOf(key)[0]!, key)).toMatchObject({ present: true, value: "stale" });
  });

  it("400 invalid_ttl for a bad ttl or expires_at, storing nothing", async () => {
    const key = freshKey("bad-ttl");
    expect((await write({ key, value: "kept" })).status).toBe(200);
    const now = Math.floor(nowSeconds());
    const bad: Record<string, unknown>[] = [
      { ttl: 0 },
      { ttl: -5 },
      { ttl: 1.5 },
      { ttl: "10" },
      { ttl: null },
      { ttl: MAX_TTL_SECONDS + 1 },
      { expires_at: now - 10 },
      { expires_at: now + 10.5 },
      { expires_at: "soon" },
      { expires_at: now + MAX_TTL_SECONDS + 100 },
      { ttl: 10, expires_at: now + 10 },
    ];
    for (const fields of bad) {
      const body = await expectError(await write({ key, value: "changed", ...fields }), 400, "invalid_ttl");
      expect(body.error.message, JSON.stringify(fields)).toMatch(/ttl|expires_at/);
    }
    expect(await (await get(key)).json()).toEqual({ key, value: "kept", version: expect.any(String) });
    expect((await write({ key: freshKey("max"), value: 1, ttl: MAX_TTL_SECONDS })).status).toBe(200);
  });
});
