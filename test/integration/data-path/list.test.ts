import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { compareKeys } from "../../../shared/storage/key-order";
import { clusterFor } from "../../../worker/cluster";
import { allUp, api, config, del, expectError, freshKey, put, setFault } from "../helpers";

interface Page {
  keys: { key: string; version: string; expires_at?: number; value?: unknown }[];
  cursor: string | null;
  complete: boolean;
  unreachable: string[];
}

async function page(query: string): Promise<Page> {
  const response = await api(`/s/keys?${query}`);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as Page;
}

/** Every page of a listing, following the cursors. */
async function allPages(prefix: string, limit: number, extra = ""): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const c: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
    const next = await page(`prefix=${encodeURIComponent(prefix)}&limit=${limit}${c}${extra}`);
    pages.push(next);
    cursor = next.cursor;
  } while (cursor !== null && pages.length < 100);
  return pages;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await allUp();
});

describe("GET /s/keys", () => {
  it("pages through a prefix in UTF-8 byte order, each key exactly once, with its version", async () => {
    const prefix = `${freshKey("list")}/`;
    const suffixes = ["a", "b", "B", "é", "\uFFFD", "🙂", "z", "aa", "a b", "日本"];
    const versions = new Map<string, string>();
    for (const s of suffixes) versions.set(prefix + s, (await (await put(prefix + s, s)).json<{ version: string }>()).version);
    await put(`${prefix.slice(0, -1)}-outside`, "not listed");
    const pages = await allPages(prefix, 3);
    const keys = pages.flatMap((p) => p.keys);
    expect(keys.map((k) => k.key)).toEqual([...versions.keys()].sort(compareKeys));
    for (const k of keys) expect(k).toEqual({ key: k.key, version: versions.get(k.key) });
    expect(pages.slice(0, -1).every((p) => p.keys.length === 3)).toBe(true);
    expect(pages.at(-1)!.cursor).toBeNull();
    expect(pages.every((p) => p.complete && p.unreachable.length === 0)).toBe(true);
    // UTF-16 order would put the emoji before U+FFFD; UTF-8 byte order puts it after.
    expect(keys.findIndex((k) => k.key.endsWith("🙂"))).toBeGreaterThan(keys.findIndex((k) => k.key.endsWith("\uFFFD")));
  });

  it("hides deleted and expired keys without short pages", async () => {
    const prefix = `${freshKey("holes")}/`;
    const keys = Array.from({ length: 12 }, (_, i) => `${prefix}${String(i).padStart(2, "0")}`);
    for (const key of keys) await put(key, 1);
    for (const key of keys.slice(2, 9)) await del(key);
    await api("/s/key", { method: "POST", body: JSON.stringify({ key: keys[10], value: 2, ttl: 1 }) });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const pages = await allPages(prefix, 2);
    expect(pages.flatMap((p) => p.keys.map((k) => k.key))).toEqual([keys[0], keys[1], keys[9], keys[11]]);
    expect(pages.map((p) => p.keys.length)).toEqual([2, 2]);
  });

  it("includes values and expires_at with values=true", async () => {
    const prefix = `${freshKey("values")}/`;
    await put(`${prefix}x`, { n: 1 });
    const at = Math.floor(Date.now() / 1000) + 3600;
    await api("/s/key", { method: "POST", body: JSON.stringify({ key: `${prefix}y`, value: [2], expires_at: at }) });
    const listed = await page(`prefix=${encodeURIComponent(prefix)}&values=true`);
    expect(listed.keys).toEqual([
      { key: `${prefix}x`, version: expect.any(String), value: { n: 1 } },
      { key: `${prefix}y`, version: expect.any(String), value: [2], expires_at: at },
    ]);
    expect(listed.cursor).toBeNull();
  });

  it("asks each node once per page", async () => {
    const prefix = `${freshKey("calls")}/`;
    for (let i = 0; i < 5; i++) await put(`${prefix}${i}`, i);
    const calls = vi.spyOn(clusterFor(env).nodes, "list");
    const first = await page(`prefix=${encodeURIComponent(prefix)}&limit=2`);
    expect(calls).toHaveBeenCalledTimes(config.nodes.length);
    expect(new Set(calls.mock.calls.map(([node]) => node))).toEqual(new Set(config.nodes));
    await page(`prefix=${encodeURIComponent(prefix)}&limit=2&cursor=${encodeURIComponent(first.cursor!)}`);
    expect(calls).toHaveBeenCalledTimes(2 * config.nodes.length);
  });

  it("still answers when a node does not, with complete false and the node named", async () => {
    const prefix = `${freshKey("partial")}/`;
    for (let i = 0; i < 6; i++) await put(`${prefix}${i}`, i, "?w=all");
    const down = config.nodes[1]!;
    await setFault(down, { mode: "down" });
    const listed = await page(`prefix=${encodeURIComponent(prefix)}`);
    expect(listed.complete).toBe(false);
    expect(listed.unreachable).toEqual([down]);
    // Every key has two other replicas, so all are still listed.
    expect(listed.keys.map((k) => k.key)).toEqual(Array.from({ length: 6 }, (_, i) => `${prefix}${i}`));
  });

  it("answers 503 list_unavailable, naming the nodes, when no node answers: no page rather than an empty one", async () => {
    for (const node of config.nodes) await setFault(node, { mode: "down" });
    const body = await expectError(await api("/s/keys?prefix=any"), 503, "list_unavailable");
    expect([...(body.error.nodes as string[])].sort()).toEqual([...config.nodes].sort());
  });

  it("400 with a stable code for a bad limit, a prefix over the key limit, or a cursor ringkv did not issue", async () => {
    for (const limit of ["0", "1001", "x", "1.5", "-1", ""]) await expectError(await api(`/s/keys?limit=${limit}`), 400, "invalid_limit");
    await expectError(await api("/s/keys?limit=101&values=true"), 400, "invalid_limit");
    await expectError(await api(`/s/keys?prefix=${"p".repeat(config.limits.maxKeyBytes + 1)}`), 400, "invalid_prefix");
    await expectError(await api("/s/keys?values=yes"), 400, "invalid_values");
    const prefix = `${freshKey("cursor")}/`;
    for (let i = 0; i < 3; i++) await put(`${prefix}${i}`, i);
    const { cursor } = await page(`prefix=${encodeURIComponent(prefix)}&limit=1`);
    const tampered = cursor!.replace(/\.[^.]+$/, ".0");
    for (const bad of ["abc", "c1.e30.0", tampered]) {
      await expectError(await api(`/s/keys?prefix=${encodeURIComponent(prefix)}&cursor=${encodeURIComponent(bad)}`), 400, "invalid_cursor");
    }
    // A cursor belongs to its prefix.
    await expectError(await api(`/s/keys?prefix=other&cursor=${encodeURIComponent(cursor!)}`), 400, "invalid_cursor");
    await expectError(await api("/s/keys?limit=1&limit=2"), 400, "invalid_query");
  });
});
