import { RingKVError } from "./errors";
import type {
  BatchAnswer,
  BatchOp,
  BatchOptions,
  DeleteResult,
  GetResult,
  ListOptions,
  ListPage,
  PutResult,
  ReadOptions,
  StoreOptions,
  WriteOptions,
} from "./types";

/**
 * For a Worker bound to ringkv's `RingKV` entrypoint:
 *   [[services]] binding = "KV", service = "ringkv", entrypoint = "RingKV"
 * `ringkvBinding(env.KV)` has the binding's methods, typed, and throws
 * RingKVError (status, code, acked/required) instead of the plain Error that
 * Workers RPC delivers; a batch's failed operations carry a RingKVError too.
 * Same methods and shapes as RingKVClient.
 */

/** What the `RingKV` entrypoint offers, as a binding to it is seen from another Worker. */
export interface RingKVBinding {
  get(key: string, options?: ReadOptions): Promise<GetResult | null>;
  put(key: string, value: unknown, options?: StoreOptions): Promise<PutResult>;
  delete(key: string, options?: WriteOptions): Promise<DeleteResult>;
  batch(ops: readonly BatchOp[], options?: BatchOptions): Promise<BatchAnswer>;
  list(options?: ListOptions): Promise<ListPage>;
}

export interface RingKVStore {
  get<T = unknown>(key: string, options?: ReadOptions): Promise<GetResult<T> | null>;
  put(key: string, value: unknown, options?: StoreOptions): Promise<PutResult>;
  delete(key: string, options?: WriteOptions): Promise<DeleteResult>;
  batch(ops: readonly BatchOp[], options?: BatchOptions): Promise<BatchAnswer<RingKVError>>;
  list(options?: ListOptions): Promise<ListPage>;
}

export function ringkvBinding(binding: RingKVBinding): RingKVStore {
  return {
    // As RingKVClient.get: no value, whether absent, deleted or expired, is null.
    get: <T>(key: string, options?: ReadOptions) =>
      call(() => binding.get(key, options) as Promise<GetResult<T> | null>).catch((error: unknown) => {
        if (error instanceof RingKVError && error.status === 404 && error.code === "not_found") return null;
        throw error;
      }),
    put: (key, value, options) => {
      // Checked on this side too: some of what JSON cannot hold (a symbol, a class instance) cannot cross RPC either.
      const invalid = RingKVError.invalidValue(value);
      return invalid === undefined ? call(() => binding.put(key, value, options)) : Promise.reject(invalid);
    },
    delete: (key, options) => call(() => binding.delete(key, options)),
    batch: async (ops, options) => {
      const invalid = RingKVError.invalidOp(ops);
      if (invalid !== undefined) throw invalid;
      const { results } = await call(() => binding.batch(ops, options));
      return {
        results: results.map((r) =>
          r.ok ? r : { ok: false, status: r.status, error: RingKVError.fromBody(r.status, { error: r.error }) },
        ),
      };
    },
    list: (options) => call(() => binding.list(options)),
  };
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw RingKVError.fromBinding(error);
  }
}
