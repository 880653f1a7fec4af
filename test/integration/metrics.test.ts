import parsePrometheusTextFormat, { type ParsedFamily } from "parse-prometheus-text-format";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  ADMIN,
  allUp,
  api,
  apiWith,
  eventually,
  expectError,
  freshKey,
  get,
  put,
  replicaCopy,
  replicasOf,
  routerWith,
  setFault,
} from "./helpers";
import { ClusterDriver, fault } from "./membership/harness";

afterAll(allUp);

interface Sample {
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** One scrape of GET /metrics, parsed by the library; `total` adds up the samples of a name whose labels include `labels`. */
interface Scrape {
  readonly families: readonly ParsedFamily[];
  total(name: string, labels?: Record<string, string>): number;
  samples(name: string): readonly Sample[];
}

async function scrape(): Promise<Scrape> {
  const response = await api("/metrics", { headers: ADMIN });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await response.text();
  const families = parsePrometheusTextFormat(text);
  // The library merges a histogram's labelled series into one, dropping their labels, sums and
  // counts; with histograms declared untyped it reads their _bucket, _sum and _count lines as
  // samples of their own, labels and all.
  const flat = parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, "# TYPE $1 untyped"));
  // Each series' _bucket, _sum and _count lines then make families of their own, one after another: gather them by name.
  const byName = new Map<string, Sample[]>();
  for (const family of flat) {
    const list = byName.get(family.name) ?? [];
    list.push(...family.metrics.map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) })));
    byName.set(family.name, list);
  }
  const samples = (name: string): readonly Sample[] => byName.get(name) ?? [];
  const total = (name: string, labels: Record<string, string> = {}) =>
    samples(name)
      .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
  return { families, total, samples };
}

describe("GET /metrics", () => {
  it("401 without the admin token or with another, as the admin API; 405 for other methods", async () => {
    const missing = await api("/metrics");
    await expectError(missing, 401, "unauthorized");
    expect(missing.headers.get("www-authenticate")).toContain("Bearer");
    await expectError(await api("/metrics", { headers: { authorization: "Bearer not-the-admin-token" } }), 401, "unauthorized");
    await expectError(await apiWith({ ADMIN_TOKEN: undefined }, "/metrics", { headers: ADMIN }), 403, "admin_disabled");
    await expectError(await api("/metrics", { method: "POST", headers: ADMIN }), 405, "method_not_allowed");
  });

  it("parses as the text format: every family typed and explained, router series per isolate, node series per node", async () => {
    await put(freshKey("warm"), 1, "?w=all");
    const { families, samples } = await scrape();
    const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      ringkv_router_requests_total: "COUNTER",
      ringkv_router_request_duration_seconds: "HISTOGRAM",
      ringkv_node_up: "GAUGE",
      ringkv_node_writes_total: "COUNTER",
      ringkv_node_group_commits_total: "COUNTER",
      ringkv_node_cache_hits_total: "COUNTER",
      ringkv_node_keys: "GAUGE",
    });
    for (const family of families) expect(family.help, family.name).not.toBe("");
    for (const s of samples("ringkv_router_requests_total")) expect(s.labels.isolate).toMatch(/^[0-9a-z]+$/);
    expect(samples("ringkv_node_up").map((s) => [s.labels.node, s.value])).toEqual([1, 2, 3, 4, 5].map((i) => [`node-${i}`, 1]));
    for (const s of samples("ringkv_node_keys")) expect(s.labels.node).toMatch(/^node-\d$/);
  });

  it("counts reads and writes on the router and on each replica", async () => {
    const key = freshKey("counted");
    const before = await scrape();
    expect((await put(key, "v", "?w=all")).status).toBe(200);
    expect((await get(key, "&r=all")).status).toBe(200);
    expect((await get(freshKey("absent"), "&r=all")).status).toBe(404);
    const after = await scrape();
    const delta = (name: string, labels?: Record<string, string>) => after.total(name, labels) - before.total(name, labels);
    expect(delta("ringkv_router_requests_total", { method: "POST", route: "/s/key", status: "200" })).toBe(1);
    expect(delta("ringkv_router_requests_total", { method: "GET", route: "/s/key", status: "200" })).toBe(1);
    expect(delta("ringkv_router_requests_total", { method: "GET", route: "/s/key", status: "404" })).toBe(1);
    expect(delta("ringkv_router_request_duration_seconds_count", { operation: "write" })).toBe(1);
    expect(delta("ringkv_router_request_duration_seconds_count", { operation: "read" })).toBe(2);
    expect(delta("ringkv_router_request_duration_seconds_bucket", { operation: "read", le: "+Inf" })).toBe(2);
    // Every replica applied the write and served both reads.
    expect(delta("ringkv_node_writes_total", { outcome: "applied" })).toBe(3);
    expect(delta("ringkv_node_reads_total")).toBe(6);
    for (const node of replicasOf(key)) expect(delta("ringkv_node_writes_total", { node, outcome: "applied" }), node).toBe(1);
    expect(delta("ringkv_node_group_commit_writes_total")).toBe(3);
  });

  it("counts a replica's failure on the router, logs it as a JSON line, and counts the read repair on both sides", async () => {
    const key = freshKey("repaired");
    const [first] = replicasOf(key);
    const before = await scrape();
    const warn = vi.spyOn(console, "warn");
    await setFault(first!, { mode: "down" });
    expect((await put(key, "v2")).status).toBe(200);
    await setFault(first!, { mode: "up" });
    const lines = warn.mock.calls.map(([line]) => String(line));
    warn.mockRestore();
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.event === "replica_failed");
    expect(logged).toMatchObject({ level: "warn", node: "router", replica: first, call: "write", kind: "down" });
    expect(lines.join("\n")).not.toContain("test-admin-token");

    expect((await get(key)).status).toBe(200);
    await eventually(async () => expect(await replicaCopy(first!, key)).toMatchObject({ value: "v2" }));
    const after = await scrape();
    const delta = (name: string, labels?: Record<string, string>) => after.total(name, labels) - before.total(name, labels);
    expect(delta("ringkv_router_replica_failures_total", { call: "write", kind: "down" })).toBe(1);
    expect(delta("ringkv_router_read_repairs_sent_total")).toBe(1);
    expect(delta("ringkv_node_read_repairs_received_total", { node: first! })).toBe(1);
  });

  it("counts a replica read that passes the replica timeout as a read timeout (the gather's deadline: the client arms none)", async () => {
    const key = freshKey("timed-out");
    expect((await put(key, "v", "?w=all")).status).toBe(200);
    const [first] = replicasOf(key);
    const before = await scrape();
    await setFault(first!, { mode: "slow", delayMs: 1500 });
    try {
      // Every replica is needed, so the slow one's timeout fails the read.
      expect((await get(key, "&r=all")).status).toBe(503);
    } finally {
      await setFault(first!, { mode: "up" });
    }
    const after = await scrape();
    const delta = (name: string, labels?: Record<string, string>) => after.total(name, labels) - before.total(name, labels);
    expect(delta("ringkv_router_replica_failures_total", { call: "read", kind: "timeout" })).toBe(1);
    expect(delta("ringkv_router_replica_failures_total", { call: "read" })).toBe(1);
  });
});

describe("GET /metrics through a crash", () => {
  const driver = new ClusterDriver();

  it("a crashed node is ringkv_node_up 0 with no other series, the others count its suspicion and death; once recovered it answers again, with counters started afresh and a higher incarnation", async () => {
    await driver.healthy();
    await driver.run(2);
    const before = await scrape();
    await fault("node-3", { mode: "crash" });
    try {
      const during = await scrape();
      expect(during.samples("ringkv_node_up").map((s) => [s.labels.node, s.value])).toEqual([
        ["node-1", 1],
        ["node-2", 1],
        ["node-3", 0],
        ["node-4", 1],
        ["node-5", 1],
      ]);
      expect(during.samples("ringkv_node_keys").map((s) => s.labels.node)).not.toContain("node-3");

      // A write to one of its keys is answered by the other two, and its refusal counted.
      const key = Array.from({ length: 50 }, () => freshKey("on-3")).find((k) => replicasOf(k).includes("node-3"))!;
      expect((await put(key, "while-crashed")).status).toBe(200);

      const live = [...driver.nodes].filter((n) => n !== "node-3");
      await driver.until(() => driver.allSee(live, "node-3", "dead"), 40);
      const dead = await scrape();
      const delta = (name: string, labels?: Record<string, string>) => dead.total(name, labels) - before.total(name, labels);
      expect(delta("ringkv_router_replica_failures_total", { call: "write", kind: "crashed" })).toBeGreaterThanOrEqual(1);
      // Each live node declared it dead once, most after suspecting it first.
      expect(delta("ringkv_node_swim_events_total", { event: "dead" })).toBe(live.length);
      expect(delta("ringkv_node_swim_events_total", { event: "suspect" })).toBeGreaterThanOrEqual(1);
      expect(delta("ringkv_node_swim_messages_total", { direction: "sent", type: "ping" })).toBeGreaterThan(0);
      expect(delta("ringkv_node_swim_messages_total", { direction: "received", type: "ack" })).toBeGreaterThan(0);
      expect(delta("ringkv_node_swim_messages_total", { direction: "sent", type: "ping-req" })).toBeGreaterThan(0);
      expect(delta("ringkv_node_alarm_lag_seconds_count")).toBeGreaterThan(0);

      // Recovered, it answers again.
      await fault("node-3", { mode: "recover" });
      await driver.until(() => driver.allSee(driver.nodes, "node-3", "alive"), 10);
      const after = await scrape();
      expect(after.total("ringkv_node_up", { node: "node-3" })).toBe(1);
      expect(after.total("ringkv_node_swim_incarnation", { node: "node-3" })).toBeGreaterThan(
        dead.total("ringkv_node_swim_incarnation", { node: "node-3" }),
      );
      // The crash reset the object: its reads start from zero (Prometheus reads a drop as a counter reset).
      expect(after.total("ringkv_node_reads_total", { node: "node-3" })).toBe(0);
    } finally {
      // Passing or failing, the file's other tests find node-3 up, alive everywhere and caught up
      // (a recovered node catches up on its alarm before its reads count toward a quorum again).
      await driver.healthy();
    }
  });
});

describe("Analytics Engine", () => {
  it("with a METRICS dataset bound, one data point per data request: operation, status, consistency, acks, latency", async () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const dataset: AnalyticsEngineDataset = { writeDataPoint: (point) => void points.push(point ?? {}) };
    const router = routerWith({ METRICS: dataset } as Partial<Env>);
    const key = freshKey("analytics");
    expect((await router("/s/key?w=all", { method: "POST", body: JSON.stringify({ key, value: 1 }) })).status).toBe(200);
    expect((await router(`/s/key?key=${key}&r=one`)).status).toBe(200);
    expect((await router("/s/key?key=")).status).toBe(400);
    expect((await router("/health")).status).toBe(200);
    expect(points).toEqual([
      { indexes: ["write"], blobs: ["write", "200", "all"], doubles: [expect.any(Number), 200, 3, 3] },
      { indexes: ["read"], blobs: ["read", "200", "one"], doubles: [expect.any(Number), 200, 1, 1] },
      { indexes: ["read"], blobs: ["read", "400", "quorum"], doubles: [expect.any(Number), 400, 0, 0] },
    ]);
  });
});
