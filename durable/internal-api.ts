import { isEntry, type Entry } from "../shared/entry";
import { isVersion } from "../shared/version";
import { NodePaths, type ReplicaOperations } from "../shared/wire";
import { NodeDownError, NotMemberError, PartitionError } from "./fault-switch";

/**
 * A node's internal HTTP API: the replica operations under the seed's `d/...`
 * names, for the `fetch` transport and for operators (through the router's
 * authenticated admin routes). Bodies are the wire shapes of `shared/wire.ts`.
 *
 *   GET  /d/read?key=K                 -> { entry }
 *   POST /d/write  { key, value, version }  -> { applied, version }   (value: JSON text)
 *   POST /d/delete { key, version }         -> { applied, version }   (writes a tombstone)
 *   POST /d/stabilization { entries: [{ key, entry }] } -> { received, applied }
 */
export async function serveInternalApi(node: ReplicaOperations, request: Request): Promise<Response> {
  const url = new URL(request.url);
  try {
    switch (`${request.method} ${url.pathname}`) {
      case `GET ${NodePaths.read}`:
        return json(await node.read(url.searchParams.get("key") ?? ""));
      case `POST ${NodePaths.write}`: {
        const body = await request.json<Record<string, unknown>>();
        if (typeof body.value !== "string") throw new TypeError("value must be JSON text");
        if (!isVersion(body.version)) throw new TypeError("malformed version");
        return json(await node.write(String(body.key ?? ""), { kind: "value", value: body.value, version: body.version }));
      }
      case `POST ${NodePaths.delete}`: {
        const body = await request.json<Record<string, unknown>>();
        if (!isVersion(body.version)) throw new TypeError("malformed version");
        const tombstone: Entry = { kind: "tombstone", version: body.version };
        return json(await node.write(String(body.key ?? ""), tombstone));
      }
      case `POST ${NodePaths.stabilization}`: {
        const body = await request.json<{ entries?: unknown }>();
        const entries = Array.isArray(body.entries) ? body.entries : [];
        if (!entries.every((e) => isEntry((e as { entry?: unknown })?.entry))) throw new TypeError("malformed entry");
        return json(await node.applyEntries(entries));
      }
      default:
        return json({ error: { code: "not_found", message: `no internal route ${request.method} ${url.pathname}` } }, 404);
    }
  } catch (error) {
    if (error instanceof NodeDownError || error instanceof PartitionError || error instanceof NotMemberError) {
      return json({ error: { code: "node_down", message: error.message } }, 503);
    }
    if (error instanceof TypeError || error instanceof SyntaxError) {
      return json({ error: { code: "bad_request", message: error.message } }, 400);
    }
    throw error;
  }
}

function json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}
