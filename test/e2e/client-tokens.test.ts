import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RingKVClient, RingKVError } from "../../client/index";
import { freePort, spawnNpm, stopServer, waitReady, type Spawned } from "./server";

/**
 * The typed client (client/) against a real token-protected dev server: `npm run dev`
 * with `--var DATA_AUTH:token` and DATA_TOKENS from an env file in a temporary
 * directory (`--env-file`, the file `.dev.vars` would be), as the README shows; a
 * `--var` would work too, but npm echoes a script's arguments, tokens included.
 * One server for every case; each case uses keys of its own, so any can run alone.
 */
const token = (label: string) => `${label}-${randomBytes(16).toString("hex")}`;
const tokens = { write: token("write"), read: token("read"), prefixed: token("prefixed") };
const DATA_TOKENS = JSON.stringify([
  { token: tokens.write, access: "write", name: "app" },
  { token: tokens.read, access: "read", name: "reader" },
  { token: tokens.prefixed, access: "write", prefix: "tenant-a/", name: "tenant-a" },
]);

const state = mkdtempSync(join(tmpdir(), "ringkv-e2e-tokens-"));
const secrets = join(state, "secrets.env");
// Single quotes: the dotenv format takes the JSON as it is.
writeFileSync(secrets, `DATA_TOKENS='${DATA_TOKENS}'\n`);
let dev: Spawned | undefined;
let url = "";

beforeAll(async () => {
  const port = await freePort();
  const inspector = await freePort();
  dev = spawnNpm([
    "run",
    "dev",
    "--",
    "--port",
    String(port),
    "--inspector-port",
    String(inspector),
    "--persist-to",
    state,
    // A later --var wins over the dev script's DATA_AUTH:open.
    "--var",
    "DATA_AUTH:token",
    "--env-file",
    secrets,
  ]);
  url = `http://127.0.0.1:${port}`;
  await waitReady(dev, port, "wrangler dev (token mode)");
}, 120_000);

afterAll(async () => {
  await stopServer(dev);
  rmSync(state, { recursive: true, force: true });
});

const client = (t?: string) => new RingKVClient({ url, ...(t === undefined ? {} : { token: t }), retries: 0 });
let counter = 0;
const freshKey = (prefix = "") => `${prefix}e2e-${++counter}-${randomBytes(4).toString("hex")}`;

/** The RingKVError a call failed with (the test fails if it did not fail). */
async function failure(call: () => Promise<unknown>): Promise<RingKVError> {
  const outcome = await call().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(RingKVError);
  return outcome as RingKVError;
}

describe("RingKVClient against a token-protected npm run dev", () => {
  it("with a write token: puts, gets and deletes", async () => {
    const kv = client(tokens.write);
    const key = freshKey();
    const put = await kv.put(key, { n: 1, tags: ["a"] });
    expect(put).toMatchObject({ key, acked: 2, required: 2 });
    expect(await kv.get(key)).toEqual({ key, value: { n: 1, tags: ["a"] }, version: put.version });
    expect(await kv.delete(key, { w: "all" })).toMatchObject({ key, deleted: true, required: 3 });
    expect(await kv.get(key)).toBeNull();
  });

  it("with a read token: gets, but put and delete are 403 forbidden and change nothing", async () => {
    const key = freshKey();
    const { version } = await client(tokens.write).put(key, "kept");
    const reader = client(tokens.read);
    expect(await reader.get(key)).toEqual({ key, value: "kept", version });
    for (const call of [() => reader.put(key, "overwritten"), () => reader.delete(key)]) {
      const error = await failure(call);
      expect(error).toMatchObject({ status: 403, code: "forbidden", details: { reason: "access" } });
      expect(error.message).toContain('"reader" is read-only');
    }
    expect(await reader.get(key)).toMatchObject({ value: "kept", version });
  });

  it("without a token, or with an unknown one: 401 unauthorized with WWW-Authenticate: Bearer", async () => {
    const key = freshKey();
    for (const kv of [client(), client(token("unknown"))]) {
      for (const call of [() => kv.get(key), () => kv.put(key, 1), () => kv.delete(key)]) {
        expect(await failure(call)).toMatchObject({ status: 401, code: "unauthorized" });
      }
    }
    // The client reports the body; the challenge is in the headers.
    const raw = await fetch(`${url}/s/key?key=${encodeURIComponent(key)}`);
    expect(raw.status).toBe(401);
    expect(raw.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    expect(await raw.json()).toMatchObject({ error: { code: "unauthorized", message: expect.any(String) } });
    expect(await client(tokens.write).get(key)).toBeNull();
  });

  it("with a prefix token: its own prefix only; another prefix is 403 forbidden for reads, writes and deletes", async () => {
    const tenant = client(tokens.prefixed);
    const own = freshKey("tenant-a/");
    const other = freshKey("tenant-b/");
    await client(tokens.write).put(other, "theirs");
    expect(await tenant.put(own, "mine")).toMatchObject({ key: own });
    expect(await tenant.get(own)).toMatchObject({ value: "mine" });
    for (const call of [() => tenant.get(other), () => tenant.put(other, "taken"), () => tenant.delete(other)]) {
      const error = await failure(call);
      expect(error).toMatchObject({ status: 403, code: "forbidden", details: { reason: "prefix" } });
      expect(error.message).toContain('"tenant-a/"');
    }
    expect(await client(tokens.write).get(other)).toMatchObject({ value: "theirs" });
    expect(await tenant.delete(own)).toMatchObject({ deleted: true });
  });

  it("never prints a token", async () => {
    await client(tokens.read).get(freshKey());
    await failure(() => client(tokens.read).put(freshKey(), 1));
    const printed = dev!.output();
    for (const t of Object.values(tokens)) expect(printed).not.toContain(t);
  });
});
