/** The shapes of ringkv's answers and options, shared by the HTTP client and the binding wrapper. */

/** `one`, `quorum` (the configured R or W, the default), `all`, or a number of replicas 1..N. */
export type ConsistencyLevel = "one" | "quorum" | "all" | number;

export interface ReadOptions {
  readonly r?: ConsistencyLevel;
}

export interface WriteOptions {
  readonly w?: ConsistencyLevel;
}

export interface GetResult<T = unknown> {
  readonly key: string;
  readonly value: T;
  /** `<wall ms>.<counter>.<writer>`: the newest version wins everywhere. */
  readonly version: string;
}

export interface PutResult {
  readonly key: string;
  readonly version: string;
  /** Replicas that acknowledged before the answer; at least `required`. */
  readonly acked: number;
  readonly required: number;
}

export interface DeleteResult extends PutResult {
  readonly deleted: true;
}
