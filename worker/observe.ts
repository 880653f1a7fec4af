import type { Logger } from "../shared/log";
import { writeRequestPoint, type DataOperation } from "./analytics";
import { HttpError } from "./http";
import { routerMetrics } from "./metrics";

/** What an operation learned about its request that the response does not say: the replicas that acknowledged it. */
export interface RequestTrace {
  acked?: number;
  required?: number;
}

const traces = new WeakMap<Request, RequestTrace>();

/** The trace of a request `observed` is handling (itty hands the routes the same Request object). */
export function traceOf(request: Request): RequestTrace | undefined {
  return traces.get(request);
}

/**
 * Runs `handle` for one request and counts it afterwards: requests by method,
 * route and status, the latency of data operations, and (with a `METRICS`
 * binding) one Analytics Engine data point per data request.
 */
export async function observed(request: Request, env: Env, handle: () => Promise<Response>): Promise<Response> {
  const started = Date.now();
  const trace: RequestTrace = {};
  traces.set(request, trace);
  let status = 500;
  try {
    const response = await handle();
    status = response.status;
    return response;
  } finally {
    const url = new URL(request.url);
    const route = routeOf(url.pathname);
    const metrics = routerMetrics();
    metrics.requests.inc({ method: request.method, route, status: String(status) });
    const operation = DATA_OPERATIONS[`${request.method} ${route}`];
    if (operation !== undefined) {
      // Date.now() moves only across I/O on Workers: this is the time spent waiting for the I/O turn and the replicas.
      const ms = Date.now() - started;
      metrics.latency.observe(ms / 1000, { operation });
      writeRequestPoint(datasetOf(env), {
        operation,
        status,
        consistency: consistencyOf(operation, url.searchParams),
        acked: trace.acked ?? 0,
        required: trace.required ?? 0,
        ms,
      });
    }
  }
}

/**
 * The `METRICS` dataset, if wrangler.toml binds one. Read through this type rather
 * than declared on `Env`: `npm run types` generates the binding once it is
 * uncommented, and a deploy without it has none.
 */
function datasetOf(env: Env): AnalyticsEngineDataset | undefined {
  return (env as { METRICS?: AnalyticsEngineDataset }).METRICS;
}

/**
 * Logs what made the router answer 5xx, one JSON line: the route, status and
 * code, and for a quorum failure the counts and each replica's failure. The
 * request's headers (its tokens) and keys are never part of it.
 */
export function logFailure(logger: Logger, request: Request, error: unknown): void {
  const { method } = request;
  const route = routeOf(new URL(request.url).pathname);
  if (!(error instanceof HttpError)) {
    logger.log("error", "unhandled_error", { method, route, error });
    return;
  }
  if (error.status < 500) return;
  const { acked, required, replicas, failures, nodes } = error.details;
  logger.log("warn", "request_failed", {
    method,
    route,
    status: error.status,
    code: error.code,
    acked,
    required,
    replicas,
    failures,
    nodes,
  });
}

const DATA_OPERATIONS: Readonly<Record<string, DataOperation>> = {
  "GET /s/key": "read",
  "POST /s/key": "write",
  "DELETE /s/key": "delete",
  "POST /s/batch": "batch",
  "GET /s/keys": "list",
};

/** The router's paths, so a label never holds a client's arbitrary path (or a node's name). */
const ROUTES = [
  "/s/key",
  "/s/batch",
  "/s/keys",
  "/health",
  "/cluster",
  "/metrics",
  "/admin/nodes",
  "/admin/nodes/:name",
  "/admin/nodes/:name/fault",
  "/admin/nodes/:name/d/read",
].map((route) => ({ route, pattern: new RegExp(`^${route.replace(/:name/g, "[^/]+")}/?$`) }));

/** The route a path matches, or "other". */
export function routeOf(pathname: string): string {
  return ROUTES.find((r) => r.pattern.test(pathname))?.route ?? "other";
}

/** The consistency a request asked for, as given (`quorum` when not), capped so a bad one cannot grow a data point. */
function consistencyOf(operation: DataOperation, query: URLSearchParams): string {
  const r = query.get("r") ?? "quorum";
  const w = query.get("w") ?? "quorum";
  const text = operation === "read" ? r : operation === "batch" ? `r=${r},w=${w}` : operation === "list" ? "all" : w;
  return text.slice(0, 32);
}
