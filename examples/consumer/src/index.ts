import { ringkvBinding, type RingKVBinding } from "../../../client/binding";
import { RingKVError } from "../../../client/errors";
import type { ConsistencyLevel } from "../../../client/types";

/**
 * A minimal Worker using ringkv through its `RingKV` service binding
 * (wrangler.toml: [[services]] binding = "KV", service = "ringkv", entrypoint = "RingKV").
 *   GET    /?key=K[&r=]   the value, or 404
 *   PUT    /?key=K[&w=]   stores the JSON body
 *   DELETE /?key=K[&w=]   deletes
 * A failure answers with the ringkv error's status and {"error":{"code","message","acked"?,"required"?}}.
 */
interface Env {
  KV: RingKVBinding;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const kv = ringkvBinding(env.KV);
    const url = new URL(request.url);
    const key = url.searchParams.get("key") ?? "";
    const r = level(url.searchParams.get("r"));
    const w = level(url.searchParams.get("w"));
    try {
      switch (request.method) {
        case "GET": {
          const found = await kv.get(key, { r });
          return found === null ? Response.json({ absent: key }, { status: 404 }) : Response.json(found);
        }
        case "PUT":
          return Response.json(await kv.put(key, await request.json(), { w }));
        case "DELETE":
          return Response.json(await kv.delete(key, { w }));
        default:
          return new Response("use GET, PUT or DELETE", { status: 405 });
      }
    } catch (error) {
      if (!(error instanceof RingKVError)) throw error;
      const { status, code, message, acked, required } = error;
      return Response.json({ error: { code, message, acked, required } }, { status: status || 502 });
    }
  },
};

/** `?r=2` is the number 2; `?r=one` stays text; absent is the default level. */
function level(text: string | null): ConsistencyLevel | undefined {
  if (text === null) return undefined;
  return /^[0-9]+$/.test(text) ? Number(text) : (text as ConsistencyLevel);
}
