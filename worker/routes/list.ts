import { grantOf, permit, type AuthorizedRequest } from "../auth";
import { decodeCursor, encodeCursor, mergePages, type NodePage } from "../../shared/listing";
import { withTimeout } from "../../shared/quorum";
import { timers } from "../../shared/timers";
import { formatVersion } from "../../shared/version";
import { clusterFor, type Cluster } from "../cluster";
import { badRequest, rawJson } from "../http";
import { FAN_OUT, inBatches } from "../fan-out";
import { admitted } from "../overload";
import { utf8Length } from "../request";

/** Limits of a page: keys alone, or keys with their values. */
const MAX_LIMIT = 1000;
const MAX_LIMIT_WITH_VALUES = 100;
const DEFAULT_LIMIT = 100;

/**
 * `GET /s/keys?prefix=P&limit=N&cursor=C&values=true`: one page of the keys with
 * a prefix, in UTF-8 byte order. Every node on the ring is asked once for its
 * keys after the cursor (`RingNode.list`); the pages are merged, the newest
 * version of each key kept and deleted or expired keys hidden
 * (`shared/listing.ts`). A node that does not answer is named in `unreachable`
 * and the page is `complete: false`: some keys may have had their only
 * reachable copies there.
 */
export async function listKeys(request: AuthorizedRequest, env: Env): Promise<Response> {
  const cluster = clusterFor(env);
  const { prefix, limit, after, values } = listQuery(
    request.query as Record<string, string | undefined>,
    cluster.config.limits.maxKeyBytes,
  );
  // Every key a page can hold starts with the prefix: a token may list within its own prefix only.
  permit(grantOf(request), "read", prefix);
  const view = await cluster.membership.view();
  const nodes = view.ring.members;
  // A member held dead (on the ring for its grace) is not asked, which would cost a timeout: it counts as unreachable.
  const answers = await admitted(cluster.admission, () =>
    inBatches(nodes, FAN_OUT, (node) => (view.dead.has(node) ? Promise.resolve(undefined) : askNode(cluster, node, prefix, after, limit))),
  );
  const pages: NodePage[] = [];
  const unreachable: string[] = [];
  answers.forEach((answer, i) => (answer === undefined ? unreachable.push(nodes[i]!) : pages.push(answer)));
  const merged = mergePages(pages, limit, Date.now());
  const keys = merged.keys.map(({ key, entry }) => {
    const expiry = entry.kind === "value" && entry.expiresAt !== undefined ? `,"expires_at":${entry.expiresAt}` : "";
    const value = values && entry.kind === "value" ? `,"value":${entry.value}` : "";
    return `{"key":${JSON.stringify(key)},"version":"${formatVersion(entry.version)}"${expiry}${value}}`;
  });
  const cursor = merged.next === undefined ? "null" : JSON.stringify(encodeCursor(prefix, merged.next));
  const complete = unreachable.length === 0;
  return rawJson(`{"keys":[${keys.join(",")}],"cursor":${cursor},"complete":${complete},"unreachable":${JSON.stringify(unreachable)}}`);
}

interface ListQuery {
  readonly prefix: string;
  readonly limit: number;
  readonly after: string;
  readonly values: boolean;
}

export function listQuery(query: Record<string, string | undefined>, maxKeyBytes: number): ListQuery {
  const prefix = query.prefix ?? "";
  const bytes = utf8Length(prefix);
  if (bytes < 0 || prefix.includes("\0")) throw badRequest("prefix is not valid as the start of a key", "invalid_prefix");
  if (bytes > maxKeyBytes) throw badRequest(`prefix is ${bytes} bytes; a key is at most ${maxKeyBytes}`, "invalid_prefix");
  const values = query.values === undefined ? false : query.values === "true" ? true : query.values === "false" ? false : undefined;
  if (values === undefined) throw badRequest('values must be "true" or "false"', "invalid_values");
  const max = values ? MAX_LIMIT_WITH_VALUES : MAX_LIMIT;
  const limit = query.limit === undefined ? Math.min(DEFAULT_LIMIT, max) : Number(query.limit);
  if (!/^\d+$/.test(query.limit ?? "1") || !Number.isInteger(limit) || limit < 1 || limit > max) {
    throw badRequest(`limit must be a whole number from 1 to ${max}${values ? " with values=true" : ""}`, "invalid_limit");
  }
  let after = "";
  if (query.cursor !== undefined) {
    const decoded = decodeCursor(query.cursor, prefix);
    if (decoded === undefined) throw badRequest("cursor was not issued by ringkv for this prefix", "invalid_cursor");
    after = decoded;
  }
  return { prefix, limit, after, values };
}

/** One node's page, or undefined when it did not answer in time. */
async function askNode(cluster: Cluster, node: string, prefix: string, after: string, limit: number): Promise<NodePage | undefined> {
  try {
    const reply = await withTimeout(cluster.nodes.list(node, prefix, after, limit), cluster.config.replicaTimeoutMs, timers);
    cluster.membership.observe(reply.digest);
    return reply;
  } catch {
    return undefined;
  }
}
