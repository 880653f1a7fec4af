import { WorkerEntrypoint } from "cloudflare:workers";
import { FULL_GRANT } from "../shared/access";
import type { DeleteResult, GetResult, PutResult, ReadOptions, WriteOptions } from "../client/types";
import { clusterFor } from "./cluster";
import { badRequest, HttpError } from "./http";
import { deleteKey, readKey, writeKey, type Caller } from "./operations";
import { writeFromValue } from "./request";

/**
 * The service binding other Workers use:
 *   [[services]] binding = "KV", service = "ringkv", entrypoint = "RingKV"
 * Each method is the HTTP operation of the same name (operations.ts) with full
 * access: a binding is already a capability, so it takes no token.
 *
 * Errors: Workers RPC keeps only an error's message across the binding (not its
 * class, name or own properties), so an operation's HttpError is thrown as an
 * Error whose message is the code and message on its first line and the whole
 * error body as JSON on the second (`RingKVError.fromBinding` in client/ reads it).
 */

/** Marks the line of a thrown error's message that carries its body. */
export const ERROR_BODY_MARK = "ringkv-error ";

export class RingKV extends WorkerEntrypoint<Env> {
  /** The newest value of `key`, or null if it is absent or deleted. */
  async get(key: string, options?: ReadOptions): Promise<GetResult | null> {
    return this.run(async (caller) => {
      const { r } = checkOptions(options, "r", "w applies to writes; reads take r");
      const stored = await readKey(clusterFor(this.env), caller, key, r);
      if (stored === undefined) return null;
      return { key: stored.key, value: JSON.parse(stored.valueText) as unknown, version: stored.version };
    });
  }

  /** Stores `value` (any JSON value) under `key`. */
  async put(key: string, value: unknown, options?: WriteOptions): Promise<PutResult> {
    return this.run((caller) => {
      const { w } = checkOptions(options, "w", "r applies to reads; writes take w");
      const cluster = clusterFor(this.env);
      return writeKey(cluster, caller, () => writeFromValue(key, value, cluster.config.limits), w);
    });
  }

  /** Deletes `key`; deleting an absent key succeeds. */
  async delete(key: string, options?: WriteOptions): Promise<DeleteResult> {
    return this.run((caller) => {
      const { w } = checkOptions(options, "w", "r applies to reads; deletes take w");
      return deleteKey(clusterFor(this.env), caller, key, w);
    });
  }

  private async run<T>(operation: (caller: Caller) => Promise<T>): Promise<T> {
    try {
      return await operation({ grant: FULL_GRANT, background: (work) => this.ctx.waitUntil(work) });
    } catch (error) {
      throw toBindingError(error);
    }
  }
}

/** The options object: only the one level the operation takes. */
function checkOptions(options: unknown, allowed: "r" | "w", wrongLevel: string): Partial<Record<"r" | "w", unknown>> {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object" || Array.isArray(options)) throw badRequest(`options must be an object like {"${allowed}": "quorum"}`);
  const fields = options as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (name === allowed || fields[name] === undefined) continue;
    if (name === "r" || name === "w") throw badRequest(wrongLevel, "invalid_consistency");
    throw badRequest(`unknown option ${JSON.stringify(name)}; the options are {${allowed}}`);
  }
  return { [allowed]: fields[allowed] };
}

/** An error a binding caller can read: code and message, and the HTTP error body as JSON. */
function toBindingError(error: unknown): Error {
  const known = error instanceof HttpError ? error : internalError(error);
  const body = { status: known.status, code: known.code, message: known.message, ...known.details };
  const thrown = new Error(`${known.code}: ${known.message}\n${ERROR_BODY_MARK}${JSON.stringify(body)}`);
  // Kept on the object for callers in the same isolate; across RPC only the message survives.
  return Object.assign(thrown, { status: known.status, code: known.code, ...known.details });
}

function internalError(error: unknown): HttpError {
  // Ours, not the caller's: log it, and say so without leaking internals.
  console.error("unhandled error in the RingKV binding", error);
  return new HttpError(500, "internal_error", "ringkv failed to handle this call; see its Worker's logs");
}
