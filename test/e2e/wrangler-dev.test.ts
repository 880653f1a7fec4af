import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The README's quick start, for real: `npm run dev` (wrangler dev, Miniflare in
 * workerd) on a free port, driven with the README's curl lines, then restarted on
 * the same persisted state to show that acknowledged writes survive a restart.
 */
const run = promisify(execFile);
const state = mkdtempSync(join(tmpdir(), "ringkv-e2e-"));
let port = 0;
let dev: ChildProcess | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `npm run dev -- <flags>` on free ports, in its own process group; `output()` is what it printed so far. */
async function spawnDev(...flags: string[]): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const port = await freePort();
  const inspector = await freePort();
  const child = spawn("npm", ["run", "dev", "--", "--port", String(port), "--inspector-port", String(inspector), ...flags], {
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return { child, port, output: () => output };
}

async function startDev(): Promise<void> {
  const started = await spawnDev("--persist-to", state);
  dev = started.child;
  port = started.port;
  const output = started.output;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (dev.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not become ready:\n${output()}`);
}

async function stopDev(): Promise<void> {
  if (dev?.pid === undefined || dev.exitCode !== null) return;
  const exited = new Promise((resolve) => dev!.once("exit", resolve));
  process.kill(-dev.pid, "SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (dev.exitCode === null) process.kill(-dev.pid, "SIGKILL");
}

/** Runs curl exactly as the README shows it, with the port swapped; returns status and body. */
async function curl(...args: string[]): Promise<{ status: number; body: unknown }> {
  const { stdout } = await run("curl", ["-s", "-w", "\n%{http_code}", ...args.map((a) => a.replace("8787", String(port)))]);
  const lines = stdout.trimEnd().split("\n");
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join("\n")) };
}

beforeAll(startDev, 120_000);
afterAll(async () => {
  await stopDev();
  rmSync(state, { recursive: true, force: true });
});

describe("npm run dev, driven with the README's curl lines", () => {
  it("stores, reads and deletes a key", async () => {
    const stored = await curl("-X", "POST", "http://127.0.0.1:8787/s/key", "-d", '{"key":"foo","value":"bar"}');
    expect(stored).toMatchObject({ status: 200, body: { key: "foo", acked: 2, required: 2 } });
    expect(await curl("http://127.0.0.1:8787/s/key?key=foo")).toMatchObject({ status: 200, body: { key: "foo", value: "bar" } });
    expect(await curl("-X", "DELETE", "http://127.0.0.1:8787/s/key?key=foo")).toMatchObject({ status: 200, body: { deleted: true } });
    expect(await curl("http://127.0.0.1:8787/s/key?key=foo")).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
  });

  it("forms the 5-node cluster by itself: every node runs SWIM and the views agree", async () => {
    interface Cluster {
      nodes: { name: string; state: string; self: { state: string } | null }[];
      viewsAgree: boolean;
    }
    let cluster: Cluster | undefined;
    const deadline = Date.now() + 30_000;
    do {
      cluster = (await curl("http://127.0.0.1:8787/cluster")).body as Cluster;
      if (cluster.viewsAgree && cluster.nodes.every((n) => n.state === "alive" && n.self?.state === "alive")) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    } while (Date.now() < deadline);
    expect(cluster.nodes.map((n) => [n.name, n.state, n.self?.state])).toEqual(
      ["node-1", "node-2", "node-3", "node-4", "node-5"].map((name) => [name, "alive", "alive"]),
    );
    expect(cluster.viewsAgree).toBe(true);
  });

  it("serves the cluster view and the dev admin token", async () => {
    const cluster = await curl("http://127.0.0.1:8787/cluster");
    expect(cluster).toMatchObject({ status: 200, body: { replicas: 3, readQuorum: 2, writeQuorum: 2 } });
    expect((cluster.body as { nodes: unknown[] }).nodes).toHaveLength(5);
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

  it("keeps acknowledged writes across a restart on the same persisted state", async () => {
    expect((await curl("-X", "POST", "http://127.0.0.1:8787/s/key", "-d", '{"key":"kept","value":{"n":1}}')).status).toBe(200);
    await stopDev();
    await startDev();
    expect(await curl("http://127.0.0.1:8787/s/key?key=kept")).toMatchObject({ status: 200, body: { value: { n: 1 } } });
  });
});

describe("wrangler dev with an impossible configuration", () => {
  it("fails at start with a message naming the var", async () => {
    const { child, output } = await spawnDev("--var", "READ_QUORUM:5");
    const deadline = Date.now() + 60_000;
    while (!output().includes("READ_QUORUM=5 exceeds REPLICAS=3") && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
    expect(output()).toContain("READ_QUORUM=5 exceeds REPLICAS=3");
  });
});
