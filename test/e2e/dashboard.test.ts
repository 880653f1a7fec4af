import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, spawnNpm, stopServer, waitReady, type Spawned } from "./server";

/**
 * The dashboard in a real browser: Debian's chromium (installed by .ci/run)
 * driven by playwright-core against a real `npm run dev`, operated the way a
 * person would, through the page's own controls.
 */
const CHROMIUM = "/usr/bin/chromium";
const OUTPUT = join(import.meta.dirname, "output", "dashboard");
const NODES = ["node-1", "node-2", "node-3", "node-4", "node-5"];
const DEV_TOKEN = "ringkv-dev-admin";
/**
 * How long a crash may take to show as dead with 5 nodes and 1 s periods: a
 * few periods to miss the probes, then at most Lifeguard's longest suspicion
 * (suspicionMaxMult 6 x suspicionMult 4 periods) with no confirmations.
 */
const SWIM_TIMEOUT_MS = 30_000;

const state = mkdtempSync(join(tmpdir(), "ringkv-e2e-dashboard-"));
const profile = mkdtempSync(join(tmpdir(), "ringkv-e2e-chromium-"));
let dev: Spawned | undefined;
let port = 0;
let browser: BrowserContext | undefined;

beforeAll(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  port = await freePort();
  const inspector = await freePort();
  dev = spawnNpm(["run", "dev", "--", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", state]);
  await waitReady(dev, port, "npm run dev");
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 860 },
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopServer(dev);
  rmSync(state, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
});

/** A page on the dashboard that records every console error and uncaught exception. */
async function openDashboard(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`http://127.0.0.1:${port}/dashboard`);
  return { page, errors };
}

async function rowStates(page: Page): Promise<[string, string][]> {
  return page.$$eval("tr[data-node]", (rows) => rows.map((row) => [row.getAttribute("data-node")!, row.getAttribute("data-state")!]));
}

async function waitForState(page: Page, node: string, swimState: string, timeout: number): Promise<void> {
  await page.locator(`tr[data-node="${node}"][data-state="${swimState}"]`).waitFor({ timeout });
}

describe("GET /dashboard in a browser", () => {
  it("shows the cluster, and a crash, a recovery and a restart caused from the page", async () => {
    // Some data, so the page has keys, balance and group commits to show.
    for (let i = 0; i < 60; i++) {
      const body = JSON.stringify({ key: `key-${i}`, value: i });
      expect((await fetch(`http://127.0.0.1:${port}/s/key`, { method: "POST", body })).status).toBe(200);
    }
    const { page, errors } = await openDashboard();
    for (const node of NODES) await waitForState(page, node, "alive", SWIM_TIMEOUT_MS);
    expect(await rowStates(page)).toEqual(NODES.map((node) => [node, "alive"]));
    await page.screenshot({ path: join(OUTPUT, "healthy.png"), fullPage: true });

    // Controls stay disabled until an admin token is typed in.
    const apply = page.locator('tr[data-node="node-3"] [data-control="fault-apply"]');
    expect(await apply.isDisabled()).toBe(true);
    await page.fill("#token", DEV_TOKEN);
    await page.click('#token-form button[type="submit"]');
    expect(await apply.isEnabled()).toBe(true);

    await page.selectOption('tr[data-node="node-3"] [data-control="fault-mode"]', "crash");
    await apply.click();
    await page.locator("#answer", { hasText: "HTTP 200" }).waitFor({ timeout: 10_000 });
    await waitForState(page, "node-3", "dead", SWIM_TIMEOUT_MS);
    expect(await page.textContent('tr[data-node="node-3"] td.fault')).toBe("crash");
    await page.locator("#events li", { hasText: "node-3 dead" }).first().waitFor({ timeout: 5_000 });
    await page.screenshot({ path: join(OUTPUT, "dead-node.png"), fullPage: true });

    await page.selectOption('tr[data-node="node-3"] [data-control="fault-mode"]', "recover");
    await apply.click();
    await waitForState(page, "node-3", "alive", SWIM_TIMEOUT_MS);
    expect(await rowStates(page)).toEqual(NODES.map((node) => [node, "alive"]));
    await page.screenshot({ path: join(OUTPUT, "recovered.png"), fullPage: true });

    // A restart (memory reset, storage kept) is offered too: after reads, node-2's cache has a hit
    // rate; the restart empties the cache and its counters, and the node stays alive and serving.
    for (let i = 0; i < 60; i++) expect((await fetch(`http://127.0.0.1:${port}/s/key?key=key-${i}&r=all`)).status).toBe(200);
    const cache = page.locator('tr[data-node="node-2"] td.cache');
    await page.locator('tr[data-node="node-2"] td.cache', { hasText: "%" }).waitFor({ timeout: 10_000 });
    await page.selectOption('tr[data-node="node-2"] [data-control="fault-mode"]', "restart");
    await page.click('tr[data-node="node-2"] [data-control="fault-apply"]');
    await page.locator("#answer", { hasText: "fault restart on node-2\nHTTP 200" }).waitFor({ timeout: 10_000 });
    await page.locator('tr[data-node="node-2"] td.cache', { hasText: "—" }).waitFor({ timeout: 10_000 });
    expect(await cache.textContent()).toBe("—");
    expect(await page.textContent('tr[data-node="node-2"] td.fault')).toBe("up");
    expect(await rowStates(page)).toEqual(NODES.map((node) => [node, "alive"]));
    expect((await fetch(`http://127.0.0.1:${port}/s/key?key=key-0&r=all`)).status).toBe(200);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows the API's refusal of an action, and fits a phone's screen", async () => {
    const { page, errors } = await openDashboard();
    await page.setViewportSize({ width: 390, height: 844 });
    await waitForState(page, "node-1", "alive", SWIM_TIMEOUT_MS);
    // A wrong token: the router's 401 is shown as it came.
    await page.fill("#token", "not-the-token");
    await page.click('#token-form button[type="submit"]');
    await page.selectOption('tr[data-node="node-2"] [data-control="fault-mode"]', "down");
    await page.click('tr[data-node="node-2"] [data-control="fault-apply"]');
    await page.locator("#answer", { hasText: "HTTP 401" }).waitFor({ timeout: 10_000 });
    expect(await page.textContent("#answer")).toContain("unauthorized");
    expect(await page.textContent('tr[data-node="node-2"] td.fault')).toBe("up");
    // Nothing but the node table (which scrolls inside its card) is wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(OUTPUT, "phone.png"), fullPage: true });
    // The browser logs a failed request (401) as a console error; nothing else may appear.
    expect(errors.filter((e) => !e.includes("401"))).toEqual([]);
    await page.close();
  });
});
