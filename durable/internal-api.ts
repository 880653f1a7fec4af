import { isEntry, type Entry } from "../shared/entry";
import { isVersion } from "../shared/version";
import { FAILURE_HTTP } from "../shared/failure";
import { BadArgument, isRefusal, type NodeApi, type Refusable, type WriteOrigin } from "../shared/node-api";
import { NodePaths } from "../shared/wire";
import { checkBatchItems } from "./batch";

/**
 * A node's internal HTTP API: the replica operations under the seed's `d/...`
 * names, for the `fetch` transport and for operators (through the router's
 * authenticated admin routes). Bodies are the wire shapes of `shared/wire.ts`.
 *
 *   GET  /d/read?key=K                 -> { entry }
 *   POST /d/write  { key, value, version, expiresAt?, origin? }  -> { applied, version }   (value: JSON text)
 *   POST /d/delete { key, version, origin? }         -> { applied, version }   (writes a tombstone)
 *   (origin: "client", the default, or "repair" for a router's read repair)
 *   GET  /d/list?prefix=P&after=K&limit=N  -> { entries, exhausted, digest }
 *   POST /d/batch { items: [{ op: "read", key } | { op: "write", key, entry }] } -> { results, view }
 *   POST /d/stabilization { entries: [{ key, entry }] } -> { received, applied }
 *
 * A refusal answers `{ error: { code, message, refused } }` with the status of
 * `FAILURE_HTTP` (shared/failure.ts); `refused` is the node's `RefusalCode`.
 */
export async function serveInternalApi(
  node: Pick<NodeApi, "read" | "write" | "batch" | "list" | "applyEntries">,
  request: Request,
): Promise<Response> {
  const url = new URL(request.url);
  try {
    switch (`${request.method} ${url.pathname}`) {
      case `GET ${NodePaths.read}`:
        return reply(await node.read(url.searchParams.get("key") ?? ""));
      case `POST ${NodePaths.write}`: {
        const body = await bodyOf<Record<string, unknown>>(request);
        if (typeof body.value !== "string") throw new BadArgument("value must be JSON text");
        if (!isVersion(body.version)) throw new BadArgument("malformed version");
        const entry = { kind: "value", value: body.value, version: body.version, expiresAt: body.expiresAt ?? undefined };
        if (!isEntry(entry)) throw new BadArgument("malformed expiresAt");
        return reply(await node.write(String(body.key ?? ""), entry, originOf(body)));
      }
      case `POST ${NodePaths.delete}`: {
        const body = await bodyOf<Record<string, unknown>>(request);
        if (!isVersion(body.version)) throw new BadArgument("malformed version");
        const tombstone: Entry = { kind: "tombstone", version: body.version };
        return reply(await node.write(String(body.key ?? ""), tombstone, originOf(body)));
      }
      case `GET ${NodePaths.list}`: {
        const q = url.searchParams;
        return reply(await node.list(q.get("prefix") ?? "", q.get("after") ?? "", Number(q.get("limit"))));
      }
      case `POST ${NodePaths.batch}`: {
        const body = await bodyOf<{ items?: unknown }>(request);
        checkBatchItems(body.items);
        return reply(await node.batch(body.items));
      }
      case `POST ${NodePaths.stabilization}`: {
        const body = await bodyOf<{ entries?: unknown }>(request);
        const entries = Array.isArray(body.entries) ? body.entries : [];
        if (!entries.every((e) => isEntry((e as { entry?: unknown })?.entry))) throw new BadArgument("malformed entry");
        return reply(await node.applyEntries(entries));
      }
      default:
        return json({ error: { code: "not_found", message: `no internal route ${request.method} ${url.pathname}` } }, 404);
    }
  } catch (error) {
    // The caller's mistake alone; any other error is a bug here, and a 500.
    if (error instanceof BadArgument) return json({ error: { code: "bad_request", message: error.message } }, 400);
    throw error;
  }
}

/** The request's JSON object body; malformed JSON or another JSON value is the caller's mistake. */
async function bodyOf<T>(request: Request): Promise<T> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw new BadArgument("body must be JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BadArgument("body must be a JSON object");
  return body as T;
}

function originOf(body: Record<string, unknown>): WriteOrigin {
  if (body.origin === undefined || body.origin === "client") return "client";
  if (body.origin === "repair") return "repair";
  throw new BadArgument("origin must be client or repair");
}

function reply<T>(result: Refusable<T>): Response {
  if (!isRefusal(result)) return json(result);
  const { status, code } = FAILURE_HTTP[result.refused].internal;
  return json({ error: { code, message: result.message, refused: result.refused } }, status);
}

function json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}
