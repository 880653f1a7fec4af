import { ringkvBinding, type RingKVBinding } from "../../../client/binding";
import { RingKVError } from "../../../client/errors";
import type { BatchOp, ConsistencyLevel } from "../../../client/types";

/**
 * A minimal Worker using ringkv through its `RingKV` service binding
 * (wrangler.toml: [[services]] binding = "KV", service = "ringkv", entrypoint = "RingKV").
 *   GET    /?key=K[&r=]                       the value (and expiresAt), or 404
 *   PUT    /?key=K[&w=][&ttl=|&expiresAt=]    stores the JSON body
 *   DELETE /?key=K[&w=]                       deletes
 *   POST   /batch[?r=&w=]                     runs the body's operations (a JSON array)
 *   GET    /list[?prefix=&limit=&cursor=&values=true]   one page of keys
 * A failure answers with the ringkv error's status and {"error":{"code","message","acked"?,"required"?,"index"?}}.
 */
interface Env {
  KV: RingKVBinding;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const kv = ringkvBinding(env.KV);
    const url = new URL(request.url);
    const param = (name: string) => url.searchParams.get(name) ?? undefined;
    const key = param("key") ?? "";
    const r = level(param("r"));
    const w = level(param("w"));
    try {
      switch (`${request.method} ${url.pathname}`) {
        case "GET /": {
          const found = await kv.get(key, { r });
          return found === null ? Response.json({ absent: key }, { status: 404 }) : Response.json(found);
        }
        case "PUT /":
          return Response.json(
            await kv.put(key, await request.json(), { w, ttl: number(param("ttl")), expiresAt: number(param("expiresAt")) }),
          );
        case "DELETE /":
          return Response.json(await kv.delete(key, { w }));
        case "POST /batch": {
          const { results } = await kv.batch(await request.json<BatchOp[]>(), { r, w });
          // Each failed operation's RingKVError, as its fields.
          return Response.json({
            results: results.map((one) => (one.ok ? one : { ok: false, status: one.status, error: fields(one.error) })),
          });
        }
        case "GET /list": {
          const values = param("values") === undefined ? undefined : param("values") === "true";
          return Response.json(await kv.list({ prefix: param("prefix"), limit: number(param("limit")), cursor: param("cursor"), values }));
        }
        default:
          return new Response("use GET, PUT or DELETE on /, POST on /batch, GET on /list", { status: 405 });
      }
    } catch (error) {
      if (!(error instanceof RingKVError)) throw error;
      return Response.json({ error: fields(error) }, { status: error.status || 502 });
    }
  },
};

function fields(error: RingKVError): Record<string, unknown> {
  return { ...error.details, code: error.code, message: error.message };
}

/** `?r=2` is the number 2; `?r=one` stays text; absent is the default level. */
function level(text: string | undefined): ConsistencyLevel | undefined {
  if (text === undefined) return undefined;
  return /^[0-9]+$/.test(text) ? Number(text) : (text as ConsistencyLevel);
}

function number(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Number(text);
}
