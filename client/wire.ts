import type { BatchOp, ListedKey, ListPage } from "./types";

/**
 * ringkv's HTTP bodies name an expiry `expires_at`; the client's types (as the
 * binding's) name it `expiresAt`. These convert between them, so RingKVClient
 * and ringkvBinding return the same shapes.
 */

/** A batch operation or a put's body as HTTP takes it. */
export interface WireOp {
  readonly op: BatchOp["op"];
  readonly key: string;
  readonly value?: unknown;
  readonly ttl?: number;
  readonly expires_at?: number;
}

export interface WireBatch {
  readonly results: readonly { readonly status: number; readonly body: unknown }[];
}

export interface WirePage extends Omit<ListPage, "keys"> {
  readonly keys: readonly (Omit<ListedKey, "expiresAt"> & { readonly expires_at?: number })[];
}

export function toWireOps(ops: readonly BatchOp[]): WireOp[] {
  return ops.map((op) => {
    if (op.op !== "put") return { op: op.op, key: op.key };
    const { expiresAt, ttl, ...rest } = op;
    return { ...rest, ...(ttl === undefined ? {} : { ttl }), ...(expiresAt === undefined ? {} : { expires_at: expiresAt }) };
  });
}

/** An answer with `expires_at` renamed `expiresAt` (absent stays absent). */
export function fromWire<T extends object>(answer: T): T;
export function fromWire<T extends object>(answer: T | null): T | null;
export function fromWire<T extends object>(answer: T | null): T | null {
  if (answer === null || !("expires_at" in answer)) return answer;
  const { expires_at: expiresAt, ...rest } = answer as T & { expires_at: unknown };
  return { ...rest, expiresAt } as unknown as T;
}
