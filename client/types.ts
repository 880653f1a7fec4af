/** The shapes of ringkv's answers and options, shared by the HTTP client and the binding wrapper. */

/** `one`, `quorum` (the configured R or W, the default), `all`, or a number of replicas 1..N. */
export type ConsistencyLevel = "one" | "quorum" | "all" | number;

export interface ReadOptions {
  readonly r?: ConsistencyLevel;
}

export interface WriteOptions {
  readonly w?: ConsistencyLevel;
}

/**
 * When a value stops being readable: `ttl`, whole seconds from now (1 to
 * 315,360,000, rounded up to a whole second), or `expiresAt`, Unix seconds in
 * the future; not both (`400 invalid_ttl`). Neither: it never expires, and the
 * write clears an earlier expiry.
 */
export interface Expiry {
  readonly ttl?: number;
  readonly expiresAt?: number;
}

/** A put's options: its level and its expiry. */
export interface StoreOptions extends WriteOptions, Expiry {}

export interface GetResult<T = unknown> {
  readonly key: string;
  readonly value: T;
  /** `<wall ms>.<counter>.<writer>`: the newest version wins everywhere. */
  readonly version: string;
  /** Unix seconds from which the key reads as absent; absent when it never expires. */
  readonly expiresAt?: number;
}

export interface PutResult {
  readonly key: string;
  readonly version: string;
  /** Replicas that acknowledged before the answer; at least `required`. */
  readonly acked: number;
  readonly required: number;
  /** The write's expiry, Unix seconds, when it has one. */
  readonly expiresAt?: number;
}

export interface DeleteResult {
  readonly key: string;
  readonly deleted: true;
  readonly version: string;
  readonly acked: number;
  readonly required: number;
}

/** One operation of a batch; up to 100 in a batch. */
export type BatchOp =
  | { readonly op: "get"; readonly key: string }
  | ({ readonly op: "put"; readonly key: string; readonly value: unknown } & Expiry)
  | { readonly op: "delete"; readonly key: string };

export interface BatchOptions {
  /** For the batch's gets. */
  readonly r?: ConsistencyLevel;
  /** For its puts and deletes. */
  readonly w?: ConsistencyLevel;
}

/** An error as the error body carries it: `code`, `message` and the body's other fields (`acked`, `required`, ...). */
export interface ErrorFields {
  readonly code: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/**
 * One operation's result, in the order of the operations: what its single call
 * would have returned (`status` 200) or failed with (its status and error; a
 * get of an absent key is a 404 `not_found`). `E` is RingKVError from the
 * client and the binding wrapper, the error's fields from the raw binding.
 */
export type BatchResult<E = ErrorFields> =
  | { readonly ok: true; readonly status: 200; readonly result: GetResult | PutResult | DeleteResult }
  | { readonly ok: false; readonly status: number; readonly error: E };

export interface BatchAnswer<E = ErrorFields> {
  readonly results: readonly BatchResult<E>[];
}

export interface ListOptions {
  /** Only keys that start with it (byte for byte); default every key. */
  readonly prefix?: string;
  /** Keys per page: 1 to 1,000, default 100; at most 100 with `values`. */
  readonly limit?: number;
  /** The `cursor` of the previous page. */
  readonly cursor?: string;
  /** Include each key's value. */
  readonly values?: boolean;
}

export interface ListedKey {
  readonly key: string;
  readonly version: string;
  readonly expiresAt?: number;
  /** Only with `values: true`. */
  readonly value?: unknown;
}

/** One page of a listing, keys in UTF-8 byte order, deleted and expired keys hidden. */
export interface ListPage {
  readonly keys: readonly ListedKey[];
  /** For the next page; null on the last one. */
  readonly cursor: string | null;
  /** False when a node did not answer: keys whose only reachable copies were there may be missing. */
  readonly complete: boolean;
  /** The nodes that did not answer. */
  readonly unreachable: readonly string[];
}
