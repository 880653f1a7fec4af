import { clusterFor } from "../cluster";
import { rawJson } from "../http";
import { batchFromText } from "../batch-input";
import { onlyParams } from "../query";
import { readBody } from "../request";
import { batchKeys, type BatchResult } from "../operations";
import type { AuthorizedRequest } from "../auth";
import { caller, readAnswer, writtenAnswer } from "./store";

/**
 * `POST /s/batch {"ops": [{"op": "get"|"put"|"delete", "key", "value"?, "ttl"?, "expires_at"?}, ...]}`
 * (`?r=` for its gets, `?w=` for its puts and deletes). Answers
 * `{"results": [{"status", "body"}, ...]}` in the order of the operations, each
 * with the status and body a single request would have had.
 *
 * Every operation is checked before any is sent (`batch-input.ts`): one bad
 * operation refuses the whole batch (400, naming its index) and nothing is
 * applied. A batch is not atomic: each operation succeeds or fails on its own
 * (`batchKeys` in operations.ts, which the binding's `batch` runs too).
 */
export async function postBatch(request: AuthorizedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const cluster = clusterFor(env);
  const { limits } = cluster.config;
  const input = async () => {
    onlyParams(request.query, ["r", "w"]);
    return batchFromText(await readBody(request, limits.maxBodyBytes), limits, Date.now());
  };
  const results = await batchKeys(cluster, caller(request, ctx), input, { r: request.query.r, w: request.query.w });
  return rawJson(`{"results":[${results.map(resultText).join(",")}]}`);
}

/** One operation's `{"status","body"}`, as JSON text: what the single request would have answered. */
function resultText(result: BatchResult): string {
  if ("error" in result) return `{"status":${result.error.status},"body":${JSON.stringify(result.error.body())}}`;
  const body = result.op === "get" ? readAnswer(result.stored) : writtenAnswer(result.written);
  return `{"status":200,"body":${body}}`;
}
