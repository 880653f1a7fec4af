import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curl as curlAt, freePort, spawnNpm, stopServer, waitReady, type Spawned } from "./server";

/**
 * `npm start`: the deploy bundle through Miniflare's API with `npm run dev`'s
 * flags and vars, driven with the README's curl lines, then stopped as Ctrl-C
 * stops it.
 */
const state = mkdtempSync(join(tmpdir(), "ringkv-start-"));
let port = 0;
let server: Spawned | undefined;
const curl = (...args: string[]) => curlAt(port, ...args);

beforeAll(async () => {
  port = await freePort();
  server = spawnNpm(["start", "--", "--port", String(port), "--persist-to", state, "--dashboard"]);
  await waitReady(server, port, "npm start");
}, 120_000);
afterAll(async () => {
  await stopServer(server);
  rmSync(state, { recursive: true, force: true });
});

describe("npm start, driven with the README's curl lines", () => {
  it("prints its URL, then stores, reads and deletes a key", async () => {
    await expect.poll(() => server!.output()).toContain(`ready on http://127.0.0.1:${port}/`);
    const stored = await curl("-X", "POST", "http://127.0.0.1:8787/s/key", "-d", '{"key":"foo","value":"bar"}');
    expect(stored).toMatchObject({ status: 200, body: { key: "foo", acked: 2, required: 2 } });
    expect(await curl("http://127.0.0.1:8787/s/key?key=foo")).toMatchObject({ status: 200, body: { key: "foo", value: "bar" } });
    expect(await curl("-X", "DELETE", "http://127.0.0.1:8787/s/key?key=foo")).toMatchObject({ status: 200, body: { deleted: true } });
    expect(await curl("http://127.0.0.1:8787/s/key?key=foo")).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
  });

  it("serves the dashboard with --dashboard as npm run dev does, and every other path from the Worker", async () => {
    const page = await fetch(`http://127.0.0.1:${port}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("<html");
    const script = await fetch(`http://127.0.0.1:${port}/dashboard/app.js`);
    expect([script.status, script.headers.get("content-type")]).toEqual([200, expect.stringContaining("javascript")]);
    expect(await curl("http://127.0.0.1:8787/nope")).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
  });

  it("has the dev script's vars: the dev admin token and fault injection", async () => {
    const fault = await curl(
      "-X",
      "POST",
      "http://127.0.0.1:8787/admin/nodes/node-1/fault",
      "-H",
      "Authorization: Bearer ringkv-dev-admin",
      "-d",
      '{"mode":"up"}',
    );
    expect(fault).toMatchObject({ status: 200, body: { node: "node-1", fault: { mode: "up" } } });
  });

  it("keeps its state where `npm run dev --persist-to` keeps it, and stops cleanly on Ctrl-C", async () => {
    expect(readdirSync(join(state, "v3", "do"))).toContain("ringkv-RingNode");
    expect(await stopServer(server, "SIGINT")).toBe("stopped");
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
