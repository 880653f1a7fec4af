import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curl as curlAt, freePort, rawHttp, spawnNpm, stopServer, waitReady, type Spawned } from "./server";

/**
 * The README's quick start, for real: `npm run dev` (wrangler dev, Miniflare in
 * workerd) on a free port, driven with the README's curl lines, then restarted on
 * the same persisted state to show that acknowledged writes survive a restart.
 */
const state = mkdtempSync(join(tmpdir(), "ringkv-e2e-"));
let port = 0;
let dev: Spawned | undefined;

/** `npm run dev -- <flags>` on free ports. */
async function spawnDev(...flags: string[]): Promise<Spawned & { port: number }> {
  const port = await freePort();
  const inspector = await freePort();
  return { ...spawnNpm(["run", "dev", "--", "--port", String(port), "--inspector-port", String(inspector), ...flags]), port };
}

async function startDev(): Promise<void> {
  const started = await spawnDev("--persist-to", state);
  dev = started;
  port = started.port;
  await waitReady(started, port, "wrangler dev");
}

async function stopDev(): Promise<void> {
  await stopServer(dev);
}

const curl = (...args: string[]) => curlAt(port, ...args);

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

  it("logs no error of its own (a 400 incomplete_body) when a client hangs up before its Content-Length", async () => {
    const log = () => dev!.output().slice(before);
    const before = dev!.output().length;
    const answer = await rawHttp(port, "POST /s/key HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n", ['{"key":"hangup"'], true);
    // The client is gone, so the answer may never reach it: wrangler's proxy answers it a 503 of
    // its own and logs "Network connection lost" for any route. The router must not log an error.
    expect(answer).not.toMatch(/^HTTP\/1.1 500/);
    await expect.poll(log, { timeout: 10_000 }).toContain("Network connection lost");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(log()).not.toContain("unhandled error");
    expect(await curl("http://127.0.0.1:8787/s/key?key=hangup")).toMatchObject({ status: 404 });
  });

  it("serves the next request at once after a 413 to an oversized chunked body", async () => {
    const chunk = "x".repeat(64 * 1024);
    const chunks = Array.from({ length: 6 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const head = "POST /s/key HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    const answer = await rawHttp(port, head, [...chunks, "0\r\n\r\n"], false);
    expect(answer).toMatch(/^HTTP\/1.1 413/);
    expect(answer).toContain('"code":"body_too_large"');
    // When the router cancelled the body, this request waited until another one arrived.
    const next = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(10_000) });
    expect(next.status).toBe(200);
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
    await stopServer({ child, output }, "SIGKILL");
    expect(output()).toContain("READ_QUORUM=5 exceeds REPLICAS=3");
  });
});
