import { RingKVError } from "./errors";
import { fromWire, toWireOps, type WireBatch, type WirePage } from "./wire";
import type {
  BatchAnswer,
  BatchOp,
  BatchOptions,
  ConsistencyLevel,
  DeleteResult,
  GetResult,
  ListedKey,
  ListOptions,
  ListPage,
  PutResult,
  ReadOptions,
  StoreOptions,
  WriteOptions,
} from "./types";

export { RingKVError } from "./errors";
export type * from "./types";

/**
 * A dependency-free client for ringkv's HTTP API, for Node 20+, browsers and
 * Workers (it only needs `fetch`).
 *
 *   const kv = new RingKVClient({ url: "https://ringkv.example.workers.dev", token });
 *   await kv.put("user:1", { name: "Ada" });
 *   const found = await kv.get("user:1");   // {key, value, version} or null
 *
 * Every failure throws RingKVError. Reads and deletes that fail with 503 or
 * without an answer (network error, timeout) are retried with capped, jittered
 * exponential backoff. Writes are retried only with `{ retry: true }`: a retried
 * write is stamped with a new version, so it is a newer write of the same value,
 * and it may land after a write another client made in between.
 */
export interface RingKVClientOptions {
  /** The Worker's URL, e.g. https://ringkv.example.workers.dev or http://127.0.0.1:8787. */
  readonly url: string;
  /** A data token (`Authorization: Bearer`); none for DATA_AUTH="open". */
  readonly token?: string;
  /** Per attempt; default 5000. */
  readonly timeoutMs?: number;
  /** Attempts after the first for a retried call; default 3. */
  readonly retries?: number;
  /** Backoff before retry n is a random delay up to min(maxDelayMs, baseDelayMs * 2^n); defaults 100 and 2000. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Injected for tests; default the global fetch, Math.random and setTimeout. */
  readonly fetch?: typeof fetch;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface PutOptions extends StoreOptions {
  /** Retry on 503 or no answer like a read; the retry is a newer version of the same write. */
  readonly retry?: boolean;
}

export interface ClientBatchOptions extends BatchOptions {
  /** Retry the whole batch on 503 or no answer even if it writes (a batch of gets only is retried anyway). */
  readonly retry?: boolean;
}

export class RingKVClient {
  private readonly base: string;
  private readonly options: Required<Pick<RingKVClientOptions, "timeoutMs" | "retries" | "baseDelayMs" | "maxDelayMs">>;
  private readonly fetchImpl: typeof fetch;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly config: RingKVClientOptions) {
    this.base = config.url.replace(/\/+$/, "");
    this.options = {
      timeoutMs: config.timeoutMs ?? 5000,
      retries: config.retries ?? 3,
      baseDelayMs: config.baseDelayMs ?? 100,
      maxDelayMs: config.maxDelayMs ?? 2000,
    };
    this.fetchImpl = config.fetch ?? ((input, init) => fetch(input, init));
    this.random = config.random ?? Math.random;
    this.sleep = config.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The newest value of `key`, or null if it is absent or deleted. */
  async get<T = unknown>(key: string, options: ReadOptions = {}): Promise<GetResult<T> | null> {
    const query = this.query(key, "r", options.r);
    try {
      return fromWire(await this.retried(() => this.send<GetResult<T>>("GET", `/s/key${query}`)));
    } catch (error) {
      if (error instanceof RingKVError && error.status === 404 && error.code === "not_found") return null;
      throw error;
    }
  }

  /**
   * Stores `value` (any JSON value) under `key`. A value JSON would store
   * changed (-0, NaN, Infinity, undefined, a function, a BigInt, a Date, a Map,
   * a cycle...) is refused before anything is sent: RingKVError 400 `invalid_value`.
   */
  put(key: string, value: unknown, options: PutOptions = {}): Promise<PutResult> {
    const invalid = RingKVError.invalidValue(value);
    if (invalid !== undefined) return Promise.reject(invalid);
    const query = options.w === undefined ? "" : `?w=${encodeURIComponent(String(options.w))}`;
    const [op] = toWireOps([{ op: "put", key, value, ttl: options.ttl, expiresAt: options.expiresAt }]);
    const { op: _put, ...body } = op!;
    const once = async () => fromWire(await this.send<PutResult>("POST", `/s/key${query}`, JSON.stringify(body)));
    return options.retry === true ? this.retried(once) : once();
  }

  /** Deletes `key`; deleting an absent key succeeds. */
  delete(key: string, options: WriteOptions = {}): Promise<DeleteResult> {
    return this.retried(() => this.send<DeleteResult>("DELETE", `/s/key${this.query(key, "w", options.w)}`));
  }

  /**
   * Up to 100 gets, puts and deletes in one request (`POST /s/batch`): each
   * result, in order, is what its single call would have returned (`ok`) or
   * its error as a RingKVError (a get of an absent key: 404 `not_found`). Not
   * atomic. A put's value is checked as `put` checks it: a bad one refuses the
   * batch (400 `invalid_value` with its `index`) before anything is sent.
   * Retried like a read when it only gets, else only with `{ retry: true }`.
   */
  async batch(ops: readonly BatchOp[], options: ClientBatchOptions = {}): Promise<BatchAnswer<RingKVError>> {
    const invalid = RingKVError.invalidOp(ops);
    if (invalid !== undefined) throw invalid;
    const params = new URLSearchParams();
    if (options.r !== undefined) params.set("r", String(options.r));
    if (options.w !== undefined) params.set("w", String(options.w));
    const query = params.toString() === "" ? "" : `?${params.toString()}`;
    const body = JSON.stringify({ ops: toWireOps(ops) });
    const once = () => this.send<WireBatch>("POST", `/s/batch${query}`, body);
    const reads = ops.every((op) => op.op === "get");
    const answer = await (reads || options.retry === true ? this.retried(once) : once());
    return {
      results: answer.results.map(({ status, body }) =>
        status === 200
          ? { ok: true, status: 200, result: fromWire(body as GetResult | PutResult | DeleteResult) }
          : { ok: false, status, error: RingKVError.fromBody(status, body) },
      ),
    };
  }

  /** One page of the keys with `prefix` (`GET /s/keys`), in UTF-8 byte order; pass its `cursor` for the next. Retried like a read. */
  async list(options: ListOptions = {}): Promise<ListPage> {
    const params = new URLSearchParams();
    // URLSearchParams would send a lone surrogate as U+FFFD: another prefix.
    if (options.prefix !== undefined) params.set("prefix", wellFormed(options.prefix, "prefix", "invalid_prefix"));
    if (options.limit !== undefined) params.set("limit", String(options.limit));
    if (options.cursor !== undefined) params.set("cursor", options.cursor);
    if (options.values !== undefined) params.set("values", String(options.values));
    const query = params.toString() === "" ? "" : `?${params.toString()}`;
    const page = await this.retried(() => this.send<WirePage>("GET", `/s/keys${query}`));
    return { ...page, keys: page.keys.map((listed) => fromWire(listed) as ListedKey) };
  }

  private query(key: string, name: "r" | "w", level: ConsistencyLevel | undefined): string {
    const extra = level === undefined ? "" : `&${name}=${encodeURIComponent(String(level))}`;
    return `?key=${encodeURIComponent(wellFormed(key, "key", "invalid_key"))}${extra}`;
  }

  /** Runs `attempt`, retrying 503s and missing answers with capped, jittered backoff. */
  private async retried<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        // too_few_nodes: the ring cannot hold the quorum, and says no retry can succeed.
        const retryable = error instanceof RingKVError && (error.status === 503 || error.status === 0) && error.code !== "too_few_nodes";
        if (!retryable || n >= this.options.retries) throw error;
        const cap = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** n);
        await this.sleep(Math.floor(this.random() * cap));
      }
    }
  }

  private async send<T>(method: string, path: string, body?: string): Promise<T> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.config.token !== undefined) headers.authorization = `Bearer ${this.config.token}`;
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      if (timedOut) throw new RingKVError(0, "timeout", `no answer from ringkv within ${this.options.timeoutMs} ms`);
      throw new RingKVError(0, "network_error", `ringkv could not be reached: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new RingKVError(response.status, "http_error", `HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (!response.ok) throw RingKVError.fromBody(response.status, parsed);
    return parsed as T;
  }
}

/** `text` if it is valid Unicode; a lone surrogate (which no URL can carry) is ringkv's 400, thrown as a RingKVError, as the server would answer a body holding it. */
function wellFormed(text: string, what: string, code: string): string {
  if (typeof text !== "string" || !/\p{Surrogate}/u.test(text)) return text;
  throw new RingKVError(400, code, `${what} is not valid Unicode (it has a lone surrogate)`);
}
