import { WorkerEntrypoint } from "cloudflare:workers";
import { FULL_GRANT } from "../shared/access";
import { ROUTER_NAME } from "../shared/config";
import { createLogger, type Logger } from "../shared/log";
import type {
  BatchAnswer,
  BatchOptions,
  BatchResult as BatchResultShape,
  DeleteResult,
  GetResult,
  ListOptions,
  ListPage,
  PutResult,
  ReadOptions,
  StoreOptions,
  WriteOptions,
} from "../client/types";
import { batchFromValues } from "./batch-input";
import { clusterFor } from "./cluster";
import { badRequest, HttpError } from "./http";
import { listFromOptions } from "./list-input";
import { batchKeys, deleteKey, listKeys, readKey, writeKey, type BatchResult, type Caller, type Stored, type Written } from "./operations";
import { firstUnknown } from "./query";
import { writeFromValue } from "./request";

/**
 * The service binding other Workers use:
 *   [[services]] binding = "KV", service = "ringkv", entrypoint = "RingKV"
 * Each method is the HTTP operation of the same name (operations.ts) with full
 * access: a binding is already a capability, so it takes no token. Only the
 * shapes differ: values are JavaScript values (not JSON text) and the expiry is
 * `expiresAt` (HTTP's `expires_at`).
 *
 * Errors: Workers RPC keeps only an error's message across the binding (not its
 * class, name or own properties), so an operation's HttpError is thrown as an
 * Error whose message is the code and message on its first line and the whole
 * error body as JSON on the second (`RingKVError.fromBinding` in client/ reads it).
 * A batch's per-operation errors are results, not throws: plain `{code, message, ...}`.
 */

/** Marks the line of a thrown error's message that carries its body. */
export const ERROR_BODY_MARK = "ringkv-error ";

export class RingKV extends WorkerEntrypoint<Env> {
  /** The newest value of `key`, or null if it is absent or deleted; an expired key throws 404 `not_found`. */
  async get(key: string, options?: ReadOptions): Promise<GetResult | null> {
    return this.run(async (caller) => {
      const { r } = checkOptions(options, ["r"], "w applies to writes; reads take r");
      const stored = await readKey(clusterFor(this.env), caller, key, r);
      return stored === undefined ? null : getResult(stored);
    });
  }

  /** Stores `value` (any JSON value) under `key`, with `{ttl}` or `{expiresAt}` to expire it. */
  async put(key: string, value: unknown, options?: StoreOptions): Promise<PutResult> {
    return this.run(async (caller) => {
      const { w, ttl, expiresAt } = checkOptions(options, ["w", "ttl", "expiresAt"], "r applies to reads; writes take w");
      const cluster = clusterFor(this.env);
      return await writeKey(cluster, caller, () => writeFromValue(key, value, cluster.config.limits, { ttl, expiresAt }), w);
    });
  }

  /** Deletes `key`; deleting an absent key succeeds. */
  async delete(key: string, options?: WriteOptions): Promise<DeleteResult> {
    return this.run((caller) => {
      const { w } = checkOptions(options, ["w"], "r applies to reads; deletes take w");
      return deleteKey(clusterFor(this.env), caller, key, w);
    });
  }

  /** Up to 100 gets, puts and deletes in one call (one call per node); each result on its own, in order. Not atomic. */
  async batch(ops: unknown, options?: BatchOptions): Promise<BatchAnswer> {
    return this.run(async (caller) => {
      const { r, w } = checkOptions(options, ["r", "w"], "");
      const cluster = clusterFor(this.env);
      const input = () => batchFromValues(ops, cluster.config.limits, Date.now());
      return { results: (await batchKeys(cluster, caller, input, { r, w })).map(batchResult) };
    });
  }

  /** One page of the keys with `prefix`, in UTF-8 byte order; `cursor` of the answer for the next page. */
  async list(options?: ListOptions): Promise<ListPage> {
    return this.run(async (caller) => {
      const cluster = clusterFor(this.env);
      const page = await listKeys(cluster, caller, () => listFromOptions(options, cluster.config.limits.maxKeyBytes));
      const keys = page.keys.map(({ valueText, ...listed }) =>
        valueText === undefined ? listed : { ...listed, value: JSON.parse(valueText) as unknown },
      );
      return { ...page, keys };
    });
  }

  private async run<T>(operation: (caller: Caller) => Promise<T>): Promise<T> {
    try {
      return await operation({ grant: FULL_GRANT, background: (work) => this.ctx.waitUntil(work) });
    } catch (error) {
      throw toBindingError(error, clusterLogger(this.env));
    }
  }
}

function getResult(stored: Stored): GetResult {
  const result = { key: stored.key, value: JSON.parse(stored.valueText) as unknown, version: stored.version };
  return stored.expiresAt === undefined ? result : { ...result, expiresAt: stored.expiresAt };
}

function batchResult(result: BatchResult): BatchResultShape {
  if ("error" in result) return { ok: false, status: result.error.status, error: errorFields(result.error) };
  const value: GetResult | Written = result.op === "get" ? getResult(result.stored) : result.written;
  return { ok: true, status: 200, result: value };
}

type Option = "r" | "w" | "ttl" | "expiresAt";

/** The options object: only the options the operation takes (`wrongLevel` says so for a misplaced r or w). */
function checkOptions(options: unknown, allowed: readonly Option[], wrongLevel: string): Partial<Record<Option, unknown>> {
  if (options === undefined || options === null) return {};
  const names = `{${allowed.join(", ")}}`;
  if (typeof options !== "object" || Array.isArray(options)) throw badRequest(`options must be an object like ${names}`);
  const fields = options as Record<string, unknown>;
  const name = firstUnknown(fields, allowed);
  if (name === "r" || name === "w") throw badRequest(wrongLevel, "invalid_consistency");
  if (name !== undefined) throw badRequest(`unknown option ${JSON.stringify(name)}; the options are ${names}`);
  return Object.fromEntries(allowed.map((name) => [name, fields[name]]));
}

/** An error body's fields: code, message and the details (quorum counts, index, ...). */
function errorFields(error: HttpError): { code: string; message: string; [field: string]: unknown } {
  return { code: error.code, message: error.message, ...error.details };
}

/** An error a binding caller can read: code and message, and the HTTP error body as JSON. */
function toBindingError(error: unknown, logger: Logger): Error {
  const known = error instanceof HttpError ? error : internalError(error, logger);
  const body = { status: known.status, ...errorFields(known) };
  const thrown = new Error(`${known.code}: ${known.message}\n${ERROR_BODY_MARK}${JSON.stringify(body)}`);
  // Kept on the object for callers in the same isolate; across RPC only the message survives.
  return Object.assign(thrown, { status: known.status, code: known.code, ...known.details });
}

/** The cluster's logger, or one of its own when the cluster cannot be built (its config is the error). */
function clusterLogger(env: Env): Logger {
  try {
    return clusterFor(env).logger;
  } catch {
    return createLogger(ROUTER_NAME, console);
  }
}

function internalError(error: unknown, logger: Logger): HttpError {
  // Ours, not the caller's: log it as the router logs its own, and say so without leaking internals.
  logger.log("error", "unhandled_error", { via: "binding", error });
  return new HttpError(500, "internal_error", "ringkv failed to handle this call; see its Worker's logs");
}
