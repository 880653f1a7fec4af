import { describe, expect, it, onTestFinished, vi } from "vitest";
import type { LogFields, Logger, LogLevel } from "../../shared/log";
import type { RequestTrace } from "../../worker/observe";

/**
 * worker/observe.ts: what the router counts and logs about each request it
 * answers: requests by method, route and status; the latency of data
 * operations; one Analytics Engine data point per data request (with a
 * `METRICS` binding); and one log line per 5xx, never holding a header or a key.
 *
 * Each test loads the modules afresh (vi.resetModules), so the isolate's
 * metrics (a module singleton) start from zero in every test.
 */

interface DataPoint {
  indexes: string[];
  blobs: string[];
  doubles: number[];
}

/** No bindings: no `METRICS` dataset. */
const NO_ENV = {} as Env;

/** worker/observe.ts with fresh metrics, the isolate's metrics it counts into, and the HttpError class it recognises. */
async function load() {
  vi.resetModules();
  const observe = await import("../../worker/observe");
  const metricsModule = await import("../../worker/metrics");
  const httpModule = await import("../../worker/http");
  return { ...observe, metrics: metricsModule.routerMetrics(), HttpError: httpModule.HttpError };
}

/** A fake `METRICS` dataset that keeps the points written to it. */
function dataset() {
  const points: DataPoint[] = [];
  return { points, env: { METRICS: { writeDataPoint: (point: DataPoint) => void points.push(point) } } as unknown as Env };
}

/** Date.now() answers `times` in turn (observed reads it when a request starts and when it ends). */
function clock(...times: number[]) {
  const spy = vi.spyOn(Date, "now");
  for (const t of times) spy.mockReturnValueOnce(t);
  onTestFinished(() => spy.mockRestore());
}

const request = (method: string, path: string, headers: Record<string, string> = {}) =>
  new Request(`https://ringkv.example${path}`, { method, headers });

const answer = (status: number) => () => Promise.resolve(new Response(null, { status }));

describe("observed: requests", () => {
  it("returns the handler's response and counts it by method, route and status", async () => {
    const { observed, metrics } = await load();
    const response = new Response("{}", { status: 200 });
    await expect(observed(request("GET", "/s/key?key=a"), NO_ENV, () => Promise.resolve(response))).resolves.toBe(response);
    await observed(request("GET", "/s/key?key=b"), NO_ENV, answer(200));
    await observed(request("GET", "/s/key?key=c"), NO_ENV, answer(404));
    await observed(request("POST", "/s/key"), NO_ENV, answer(200));

    expect(metrics.requests.samples()).toEqual([
      { labels: { method: "GET", route: "/s/key", status: "200" }, value: 2 },
      { labels: { method: "GET", route: "/s/key", status: "404" }, value: 1 },
      { labels: { method: "POST", route: "/s/key", status: "200" }, value: 1 },
    ]);
  });

  it("counts a request whose handler threw as a 500, and throws the handler's error on", async () => {
    const { observed, metrics } = await load();
    const failure = new Error("boom");
    await expect(observed(request("DELETE", "/s/key?key=a"), NO_ENV, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(metrics.requests.samples()).toEqual([{ labels: { method: "DELETE", route: "/s/key", status: "500" }, value: 1 }]);
  });

  it("labels a request with its route, never with the path it gave (node names, arbitrary paths)", async () => {
    const { observed, metrics } = await load();
    await observed(request("POST", "/admin/nodes/node-3/fault"), NO_ENV, answer(200));
    await observed(request("POST", "/admin/nodes/node-4/fault"), NO_ENV, answer(200));
    await observed(request("GET", "/wp-login.php"), NO_ENV, answer(404));
    expect(metrics.requests.samples()).toEqual([
      { labels: { method: "POST", route: "/admin/nodes/:name/fault", status: "200" }, value: 2 },
      { labels: { method: "GET", route: "other", status: "404" }, value: 1 },
    ]);
  });
});

describe("routeOf", () => {
  it.each([
    ["/s/key", "/s/key"],
    ["/s/key/", "/s/key"],
    ["/s/batch", "/s/batch"],
    ["/s/keys", "/s/keys"],
    ["/health", "/health"],
    ["/cluster", "/cluster"],
    ["/metrics", "/metrics"],
    ["/admin/nodes", "/admin/nodes"],
    ["/admin/nodes/node-1", "/admin/nodes/:name"],
    ["/admin/nodes/node-1/", "/admin/nodes/:name"],
    ["/admin/nodes/node-1/fault", "/admin/nodes/:name/fault"],
    ["/admin/nodes/node-1/d/read", "/admin/nodes/:name/d/read"],
    ["/", "other"],
    ["/s/keyx", "other"],
    ["/S/KEY", "other"],
    ["/s/key/extra", "other"],
    ["/admin/nodes/a/b", "other"],
    ["/dashboard", "other"],
  ])("%s is %s", async (path, route) => {
    const { routeOf } = await load();
    expect(routeOf(path)).toBe(route);
  });
});

describe("observed: data operations", () => {
  it("times a data request and writes one data point: operation, status, consistency, acked, required, ms", async () => {
    const { observed, traceOf, metrics } = await load();
    const { points, env } = dataset();
    clock(1_000, 1_250);
    const req = request("GET", "/s/key?key=a&r=one");
    await observed(req, env, () => {
      // The operation records its quorum on the request's trace.
      Object.assign(traceOf(req)!, { acked: 1, required: 1 });
      return Promise.resolve(new Response(null, { status: 200 }));
    });

    expect(points).toEqual([{ indexes: ["read"], blobs: ["read", "200", "one"], doubles: [250, 200, 1, 1] }]);
    const [latency] = metrics.latency.samples();
    expect(latency).toMatchObject({ labels: { operation: "read" }, count: 1, sum: 0.25 });
    // 0.25 s falls in the le="0.25" bucket, the eighth (bounds 0.001, 0.0025, ... 0.1, 0.25, ...).
    expect(latency!.counts).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it.each([
    ["GET", "/s/key?key=a", "read", "quorum"],
    ["GET", "/s/key?key=a&w=all", "read", "quorum"],
    ["POST", "/s/key", "write", "quorum"],
    ["POST", "/s/key?w=all", "write", "all"],
    ["DELETE", "/s/key?key=a&w=1", "delete", "1"],
    ["DELETE", "/s/key?key=a&r=one", "delete", "quorum"],
    ["POST", "/s/batch", "batch", "r=quorum,w=quorum"],
    ["POST", "/s/batch?r=one&w=all", "batch", "r=one,w=all"],
    ["GET", "/s/keys?prefix=p&r=one", "list", "all"],
  ])("%s %s is a %s point with consistency %j", async (method, path, operation, consistency) => {
    const { observed } = await load();
    const { points, env } = dataset();
    clock(5_000, 5_007);
    await observed(request(method, path), env, answer(200));
    // Nothing recorded acked or required (a batch, a list, refused input): 0.
    expect(points).toEqual([{ indexes: [operation], blobs: [operation, "200", consistency], doubles: [7, 200, 0, 0] }]);
  });

  it("caps the consistency at 32 characters, so a client cannot grow a data point", async () => {
    const { observed } = await load();
    const { points, env } = dataset();
    await observed(request("GET", `/s/key?key=a&r=${"x".repeat(100)}`), env, answer(400));
    await observed(request("POST", `/s/batch?r=${"y".repeat(100)}`), env, answer(400));
    expect(points.map((p) => p.blobs[2])).toEqual(["x".repeat(32), `r=${"y".repeat(30)}`]);
  });

  it("writes the status and quorum of a failed data request", async () => {
    const { observed, traceOf, metrics } = await load();
    const { points, env } = dataset();
    clock(0, 3_000);
    const req = request("POST", "/s/key?w=all");
    await observed(req, env, () => {
      Object.assign(traceOf(req)!, { acked: 2, required: 3 });
      return Promise.resolve(new Response(null, { status: 503 }));
    });
    expect(points).toEqual([{ indexes: ["write"], blobs: ["write", "503", "all"], doubles: [3_000, 503, 2, 3] }]);
    expect(metrics.latency.samples()).toMatchObject([{ labels: { operation: "write" }, count: 1, sum: 3 }]);
  });

  it("times and counts data requests without a METRICS binding, writing nowhere", async () => {
    const { observed, metrics } = await load();
    clock(0, 20);
    await expect(observed(request("GET", "/s/key?key=a"), NO_ENV, answer(200))).resolves.toMatchObject({ status: 200 });
    expect(metrics.latency.samples()).toMatchObject([{ labels: { operation: "read" }, count: 1, sum: 0.02 }]);
  });

  it("neither times nor writes a point for a request that is not a data operation", async () => {
    const { observed, metrics } = await load();
    const { points, env } = dataset();
    for (const [method, path] of [
      ["GET", "/health"],
      ["GET", "/cluster"],
      ["GET", "/metrics"],
      ["POST", "/s/keys"],
      ["GET", "/s/batch"],
      ["PUT", "/s/key"],
      ["GET", "/nowhere"],
    ] as const) {
      await observed(request(method, path), env, answer(200));
    }
    expect(points).toEqual([]);
    expect(metrics.latency.samples()).toEqual([]);
    expect(metrics.requests.samples()).toHaveLength(7);
  });
});

describe("traceOf", () => {
  it("is the trace of the request being observed, and nothing for any other request", async () => {
    const { observed, traceOf } = await load();
    const req = request("GET", "/s/key?key=a");
    expect(traceOf(req)).toBeUndefined();
    let seen: RequestTrace | undefined;
    await observed(req, NO_ENV, () => {
      seen = traceOf(req);
      return Promise.resolve(new Response(null));
    });
    expect(seen).toEqual({});
    expect(traceOf(request("GET", "/s/key?key=a"))).toBeUndefined();
  });
});

describe("logFailure", () => {
  function fakeLogger() {
    const lines: { level: LogLevel; event: string; fields: LogFields | undefined }[] = [];
    const logger: Logger = { log: (level, event, fields) => void lines.push({ level, event, fields }) };
    return { logger, lines };
  }

  it("logs an error that is not an HttpError as unhandled_error, with the error itself", async () => {
    const { logFailure } = await load();
    const { logger, lines } = fakeLogger();
    const error = new TypeError("x is undefined");
    logFailure(logger, request("POST", "/s/batch"), error);
    expect(lines).toEqual([{ level: "error", event: "unhandled_error", fields: { method: "POST", route: "/s/batch", error } }]);
    expect(lines[0]!.fields!.error).toBe(error);
  });

  it("logs nothing for an answer below 500: the client's mistake, not the cluster's", async () => {
    const { logFailure, HttpError } = await load();
    const { logger, lines } = fakeLogger();
    for (const [status, code] of [
      [400, "invalid_key"],
      [401, "unauthorized"],
      [403, "forbidden"],
      [404, "not_found"],
      [429, "overloaded"],
      [499, "anything"],
    ] as const) {
      logFailure(logger, request("GET", "/s/key?key=a"), new HttpError(status, code, "refused"));
    }
    expect(lines).toEqual([]);
  });

  it("logs a quorum failure as request_failed: route, status, code, counts and each replica's failure", async () => {
    const { logFailure, HttpError } = await load();
    const { logger, lines } = fakeLogger();
    const failures = [{ node: "node-2", kind: "timeout", message: "node-2 did not answer within 1000 ms" }];
    const error = new HttpError(503, "quorum_not_reached", "write failed", { acked: 1, required: 2, replicas: 3, failures });
    logFailure(logger, request("POST", "/s/key"), error);
    expect(lines).toEqual([
      {
        level: "warn",
        event: "request_failed",
        fields: { method: "POST", route: "/s/key", status: 503, code: "quorum_not_reached", acked: 1, required: 2, replicas: 3, failures },
      },
    ]);
  });

  it("names the full nodes of a 507 node_full", async () => {
    const { logFailure, HttpError } = await load();
    const { logger, lines } = fakeLogger();
    logFailure(logger, request("POST", "/s/batch"), new HttpError(507, "node_full", "full", { nodes: ["node-1", "node-4"] }));
    expect(lines).toMatchObject([
      { level: "warn", event: "request_failed", fields: { status: 507, code: "node_full", nodes: ["node-1", "node-4"] } },
    ]);
  });

  it("never logs the request's headers, its key or the error's other details", async () => {
    const { logFailure, HttpError } = await load();
    const { logger, lines } = fakeLogger();
    const req = request("GET", "/s/key?key=secret-key-42", { authorization: "Bearer s3cr3t-data-token-0123" });
    const error = new HttpError(503, "quorum_not_reached", "read of secret-key-42 failed", { acked: 0, required: 2, key: "secret-key-42" });
    logFailure(logger, req, error);
    expect(lines).toHaveLength(1);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain("secret-key-42");
    expect(logged).not.toContain("s3cr3t");
    expect(lines[0]!.fields).not.toHaveProperty("key");
    expect(lines[0]!.fields).toMatchObject({ route: "/s/key", acked: 0, required: 2 });
  });
});
