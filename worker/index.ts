import { env as startupEnv } from "cloudflare:workers";
import { Router, type IRequest } from "itty-router";
import { parseConfig } from "../shared/config";
import { requireData, requireDataOrAdmin } from "./auth";
import { clusterFor } from "./cluster";
import { withCors } from "./cors";
import { HttpError } from "./http";
import { nextIoTurn } from "./io-turn";
import { logFailure, observed } from "./observe";
import { metrics } from "./routes/metrics";
import { addNode, readReplica, removeNode, requireAdmin, setFault } from "./routes/admin";
import { clusterInfo, health } from "./routes/cluster-info";
import { strictQuery } from "./query";
import { postBatch } from "./routes/batch";
import { listKeys } from "./routes/list";
import { deleteKey, getKey, putKey } from "./routes/store";

export { RingNode } from "../durable/ring-node";
export { RingKV } from "./binding";

// Fail at start, with the var's name, rather than on the first request.
parseConfig(startupEnv);

type Args = [Env, ExecutionContext];

const router = Router<IRequest, Args>({
  before: [strictQuery],
  catch: toErrorResponse,
});

router
  .all("/s/*", requireData)
  .get("/s/key", getKey)
  .post("/s/key", putKey)
  .delete("/s/key", deleteKey)
  .all("/s/key", methodNotAllowed("GET, HEAD, POST, DELETE"))
  .post("/s/batch", postBatch)
  .all("/s/batch", methodNotAllowed("POST"))
  .get("/s/keys", listKeys)
  .all("/s/keys", methodNotAllowed("GET, HEAD"))
  .get("/metrics", requireAdmin, metrics)
  .all("/metrics", methodNotAllowed("GET, HEAD"))
  .get("/health", health)
  .all("/health", methodNotAllowed("GET, HEAD"))
  .get("/cluster", requireDataOrAdmin, clusterInfo)
  .all("/cluster", methodNotAllowed("GET, HEAD"))
  .all("/admin/*", requireAdmin)
  .post("/admin/nodes", addNode)
  .all("/admin/nodes", methodNotAllowed("POST"))
  .delete("/admin/nodes/:name", removeNode)
  .all("/admin/nodes/:name", methodNotAllowed("DELETE"))
  .post("/admin/nodes/:name/fault", setFault)
  .all("/admin/nodes/:name/fault", methodNotAllowed("POST"))
  .get("/admin/nodes/:name/d/read", readReplica)
  .all("/admin/nodes/:name/d/read", methodNotAllowed("GET, HEAD"))
  .all("*", notFound);

function methodNotAllowed(allow: string) {
  return (request: IRequest): never => {
    throw new HttpError(
      405,
      "method_not_allowed",
      `${request.method} is not allowed on ${new URL(request.url).pathname}; use ${allow}`,
      {},
      { allow },
    );
  };
}

function notFound(request: IRequest): never {
  throw new HttpError(404, "not_found", `no route ${request.method} ${new URL(request.url).pathname}`);
}

function toErrorResponse(error: unknown, request: IRequest, env: Env): Response {
  // A 5xx's cause, or anything that is ours rather than the client's, is logged as one JSON line.
  logFailure(clusterFor(env).logger, request, error);
  if (error instanceof HttpError) return error.toResponse();
  // Say so without leaking internals.
  return new HttpError(500, "internal_error", "the router failed to handle this request; see the Worker's logs").toResponse();
}

export default {
  fetch: (request, env, ctx) =>
    observed(request, env, async () => {
      // Before any work, so that requests already read cannot keep the loop from polling the sockets of others.
      await nextIoTurn();
      return withCors(request, clusterFor(env).config.access, () => route(request, env, ctx));
    }),
} satisfies ExportedHandler<Env>;

/** HEAD is GET without the body (RFC 9110): every GET route answers it with GET's status and headers. */
async function route(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  if (request.method !== "HEAD") return router.fetch(request, env, ctx);
  // Without the body: a GET cannot carry one, and a HEAD's body means nothing.
  const response: Response = await router.fetch(new Request(request.url, { method: "GET", headers: request.headers }), env, ctx);
  return new Response(null, response);
}
