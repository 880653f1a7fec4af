import { RingKVError } from "./errors";
import type { DeleteResult, GetResult, PutResult, ReadOptions, WriteOptions } from "./types";

/**
 * For a Worker bound to ringkv's `RingKV` entrypoint:
 *   [[services]] binding = "KV", service = "ringkv", entrypoint = "RingKV"
 * `ringkvBinding(env.KV)` has the binding's methods, typed, and throws
 * RingKVError (status, code, acked/required) instead of the plain Error that
 * Workers RPC delivers.
 */

/** What the `RingKV` entrypoint offers, as a binding to it is seen from another Worker. */
export interface RingKVBinding {
  get(key: string, options?: ReadOptions): Promise<GetResult | null>;
  put(key: string, value: unknown, options?: WriteOptions): Promise<PutResult>;
  delete(key: string, options?: WriteOptions): Promise<DeleteResult>;
}

export interface RingKVStore {
  get<T = unknown>(key: string, options?: ReadOptions): Promise<GetResult<T> | null>;
  put(key: string, value: unknown, options?: WriteOptions): Promise<PutResult>;
  delete(key: string, options?: WriteOptions): Promise<DeleteResult>;
}

export function ringkvBinding(binding: RingKVBinding): RingKVStore {
  return {
    get: <T>(key: string, options?: ReadOptions) => call(() => binding.get(key, options) as Promise<GetResult<T> | null>),
    put: (key, value, options) => {
      // Checked on this side too: some of what JSON cannot hold (a symbol, a class instance) cannot cross RPC either.
      const invalid = RingKVError.invalidValue(value);
      return invalid === undefined ? call(() => binding.put(key, value, options)) : Promise.reject(invalid);
    },
    delete: (key, options) => call(() => binding.delete(key, options)),
  };
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw RingKVError.fromBinding(error);
  }
}
