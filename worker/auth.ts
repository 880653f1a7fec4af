import type { IRequest } from "itty-router";
import { FULL_GRANT, refusal, type AccessConfig, type Grant, type Operation } from "../shared/access";
import { clusterFor } from "./cluster";
import { HttpError } from "./http";
import { bearerToken, digest, matchSecret, sameSecret } from "./secret";

/**
 * Authentication of the data API (`/s/*`) and `/cluster`, by `DATA_AUTH`:
 * "open" lets everyone in with full access; "token" needs
 * `Authorization: Bearer <one of DATA_TOKENS>`. The middleware puts the caller's
 * grant on the request; the operation checks it against the key once the key is
 * known (`permit`), before any replica is asked.
 */

/** A request that passed `requireData`. */
export type AuthorizedRequest = IRequest & { grant?: Grant };

/**
 * The digests of the configured tokens, computed once per isolate and configuration.
 * Cached as values, not as a promise: a promise made in one request must not be
 * awaited by another.
 */
const digests = new WeakMap<AccessConfig, ArrayBuffer[]>();

/** Middleware for the data routes: 401 unless the request carries a data token (in token mode). */
export async function requireData(request: AuthorizedRequest, env: Env): Promise<void> {
  const { access } = clusterFor(env).config;
  if (access.dataAuth === "open") {
    request.grant = FULL_GRANT;
    return;
  }
  if (access.tokens.length === 0) throw unauthorized(NO_TOKENS);
  const token = bearerToken(request);
  if (token === undefined) throw unauthorized("missing bearer token: send Authorization: Bearer <data token>");
  const grant = await dataGrant(access, token);
  if (grant === undefined) throw unauthorized("unknown bearer token");
  request.grant = grant;
}

/** Middleware for `/cluster`: the cluster's shape is shown to a data token or the admin token (in token mode). */
export async function requireDataOrAdmin(request: AuthorizedRequest, env: Env): Promise<void> {
  const { access, adminToken } = clusterFor(env).config;
  if (access.dataAuth === "open") return;
  const token = bearerToken(request);
  if (token === undefined) throw unauthorized("missing bearer token: send Authorization: Bearer <data or admin token>");
  const [isAdmin, grant] = await Promise.all([adminToken === undefined ? false : sameSecret(token, adminToken), dataGrant(access, token)]);
  if (!isAdmin && grant === undefined) throw unauthorized("unknown bearer token: /cluster needs a data token or the admin token");
}

/** The grant `requireData` put on the request. */
export function grantOf(request: AuthorizedRequest): Grant {
  if (request.grant === undefined) throw new Error("route is not behind requireData");
  return request.grant;
}

/** 403 unless `grant` covers `operation` on `key`; the body says whether access or prefix refused it. */
export function permit(grant: Grant, operation: Operation, key?: string): void {
  const refused = refusal(grant, operation, key);
  if (refused !== undefined) throw new HttpError(403, "forbidden", refused.message, { reason: refused.reason });
}

async function dataGrant(access: AccessConfig, token: string): Promise<Grant | undefined> {
  let known = digests.get(access);
  if (known === undefined) {
    known = await Promise.all(access.tokens.map((t) => digest(t.token)));
    digests.set(access, known);
  }
  const index = await matchSecret(token, known);
  const match = access.tokens[index];
  return match === undefined ? undefined : { access: match.access, prefix: match.prefix, name: match.name };
}

const NO_TOKENS =
  'no data tokens are configured, so the data API is closed: set the DATA_TOKENS secret (`wrangler secret put DATA_TOKENS`) to a JSON array such as [{"token":"<long random text>","access":"write"}], or set DATA_AUTH="open" for an unauthenticated store';

function unauthorized(message: string): HttpError {
  return new HttpError(401, "unauthorized", message, {}, { "www-authenticate": 'Bearer realm="ringkv"' });
}
