import type { AuthorizedRequest } from "../auth";
import { clusterFor } from "../cluster";
import { rawJson } from "../http";
import { listQuery } from "../list-input";
import { onlyParams } from "../query";
import { listKeys as listOperation } from "../operations";
import { caller } from "./store";

/**
 * `GET /s/keys?prefix=P&limit=N&cursor=C&values=true`: one page of the keys with
 * a prefix, in UTF-8 byte order (`listKeys` in operations.ts, which the
 * binding's `list` runs too). Values are stored as JSON text, so they are
 * spliced into the answer, not parsed.
 */
export async function listKeys(request: AuthorizedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const cluster = clusterFor(env);
  const input = () => {
    onlyParams(request.query, ["prefix", "limit", "cursor", "values"]);
    return listQuery(request.query as Record<string, string | undefined>, cluster.config.limits.maxKeyBytes);
  };
  const page = await listOperation(cluster, caller(request, ctx), input);
  const keys = page.keys.map(({ key, version, expiresAt, valueText }) => {
    const expiry = expiresAt === undefined ? "" : `,"expires_at":${expiresAt}`;
    const value = valueText === undefined ? "" : `,"value":${valueText}`;
    return `{"key":${JSON.stringify(key)},"version":"${version}"${expiry}${value}}`;
  });
  return rawJson(
    `{"keys":[${keys.join(",")}],"cursor":${JSON.stringify(page.cursor)},"complete":${page.complete},` +
      `"unreachable":${JSON.stringify(page.unreachable)}}`,
  );
}
