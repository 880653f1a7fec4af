import type { AccessConfig } from "../shared/access";
import { HttpError } from "./http";

/**
 * Browsers: web pages on the origins of CORS_ORIGINS may call the API. A
 * preflight (`OPTIONS` with `Access-Control-Request-Method`) from such an
 * origin is answered here, and every response to one carries
 * `Access-Control-Allow-Origin`. Once CORS_ORIGINS is set, a write (any method
 * but GET and HEAD) whose `Origin` is neither listed nor the API's own is
 * refused before it is routed: a cross-site form can send one without a
 * preflight, and the store reads any body as JSON.
 */

const SAFE_METHODS = new Set(["GET", "HEAD"]);
const PREFLIGHT_HEADERS = {
  "access-control-allow-methods": "GET, POST, DELETE",
  "access-control-allow-headers": "authorization, content-type",
  "access-control-max-age": "600",
};

export async function withCors(request: Request, access: AccessConfig, handle: () => Promise<Response>): Promise<Response> {
  const answer = await corsAnswer(request, access, handle);
  // Every answer depends on Origin once origins are listed, those to requests without one included:
  // a cache that kept one of those must not hand it to a listed origin's page.
  return access.corsOrigins.length === 0 ? answer : varyOnOrigin(answer);
}

async function corsAnswer(request: Request, access: AccessConfig, handle: () => Promise<Response>): Promise<Response> {
  const origin = request.headers.get("origin");
  if (origin === null) return handle();
  const listed = access.corsOrigins.includes(origin);
  if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
    if (!listed) return originRefused(origin, access);
    return new Response(null, { status: 204, headers: { ...allowOrigin(origin), ...PREFLIGHT_HEADERS } });
  }
  const ownOrigin = origin === new URL(request.url).origin;
  if (access.corsOrigins.length > 0 && !listed && !ownOrigin && !SAFE_METHODS.has(request.method)) {
    return originRefused(origin, access);
  }
  const response = await handle();
  if (!listed) return response;
  const decorated = new Response(response.body, response);
  for (const [name, value] of Object.entries(allowOrigin(origin))) decorated.headers.set(name, value);
  return decorated;
}

function allowOrigin(origin: string): Record<string, string> {
  return {
    "access-control-allow-origin": origin,
    // Let a page read why it was refused or when to retry.
    "access-control-expose-headers": "retry-after, www-authenticate",
  };
}

function varyOnOrigin(response: Response): Response {
  const vary = response.headers.get("vary");
  if (vary !== null && /(^|,)\s*origin\s*(,|$)/i.test(vary)) return response;
  const decorated = new Response(response.body, response);
  decorated.headers.append("vary", "Origin");
  return decorated;
}

function originRefused(origin: string, access: AccessConfig): Response {
  const allowed = access.corsOrigins.length === 0 ? "CORS_ORIGINS is empty" : `CORS_ORIGINS allows ${access.corsOrigins.join(", ")}`;
  return new HttpError(403, "forbidden", `origin ${origin} may not call this API: ${allowed}`, { reason: "origin" }).toResponse();
}
