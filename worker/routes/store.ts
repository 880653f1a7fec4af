import { grantOf, type AuthorizedRequest } from "../auth";
import { clusterFor } from "../cluster";
import { rawJson } from "../http";
import {
  deleteKey as deleteOperation,
  notFound,
  readKey,
  writeKey,
  type Caller,
  type Deleted,
  type Stored,
  type Written,
} from "../operations";
import { traceOf } from "../observe";
import { onlyParams } from "../query";
import { queryKey, writeFromBody } from "../request";

/**
 * The public key-value API, as the seed had it:
 *   POST   /s/key   {"key","value"}   store a value        (?w=)
 *   GET    /s/key?key=K               read the newest value (?r=)
 *   DELETE /s/key?key=K               delete, idempotently  (?w=)
 * Each route parses HTTP and formats the answer; the operation (operations.ts) does the rest.
 */

export async function getKey(request: AuthorizedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  onlyParams(request.query, ["key", "r"], "w applies to writes; reads take r");
  const stored = await readKey(clusterFor(env), caller(request, ctx), queryKey(request.query), request.query.r);
  if (stored === undefined) throw notFound(String(request.query.key));
  return rawJson(readAnswer(stored));
}

/** A read's body as JSON text: the value is stored as JSON text, so it is spliced in rather than parsed and re-serialized. */
export function readAnswer(stored: Stored): string {
  const expiry = stored.expiresAt === undefined ? "" : `,"expires_at":${stored.expiresAt}`;
  return `{"key":${JSON.stringify(stored.key)},"value":${stored.valueText},"version":"${stored.version}"${expiry}}`;
}

export async function putKey(request: AuthorizedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const cluster = clusterFor(env);
  onlyParams(request.query, ["key", "w"], "r applies to reads; writes take w");
  const input = () => writeFromBody(request, cluster.config.limits, queryKey(request.query));
  return rawJson(writtenAnswer(await writeKey(cluster, caller(request, ctx), input, request.query.w)));
}

/** A write's or delete's body as JSON text, the expiry as `expires_at`. */
export function writtenAnswer(written: Written | Deleted): string {
  const { expiresAt, ...rest } = written;
  return JSON.stringify(expiresAt === undefined ? rest : { ...rest, expires_at: expiresAt });
}

export async function deleteKey(request: AuthorizedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  onlyParams(request.query, ["key", "w"], "r applies to reads; deletes take w");
  return rawJson(writtenAnswer(await deleteOperation(clusterFor(env), caller(request, ctx), queryKey(request.query), request.query.w)));
}

/** An HTTP request as the operations' caller: its token's grant, the request's trace. */
export function caller(request: AuthorizedRequest, ctx: ExecutionContext): Caller {
  return { grant: grantOf(request), background: (work) => ctx.waitUntil(work), trace: traceOf(request) };
}
