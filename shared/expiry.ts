import type { Entry } from "./entry";

/**
 * Expiry of values: a write may carry `ttl` (seconds from now) or `expires_at`
 * (Unix seconds). Either becomes the entry's `expiresAt`, whole Unix seconds,
 * part of the versioned entry: every replica, read repair and rebalancing carry
 * the same expiry with the same version. A read at or after it is a miss,
 * whatever replica answered. The time is the caller's (`nowMs`).
 */

/** Ten years, in seconds: the longest `ttl`, and how far ahead `expires_at` may be. */
export const MAX_TTL_SECONDS = 315_360_000;

export type ExpiryInput = { readonly ok: true; readonly expiresAt: number | undefined } | { readonly ok: false; readonly message: string };

/**
 * The expiry a write asks for, from its `ttl` and `expires_at` fields (absent:
 * undefined). A `ttl` is rounded up to the next whole second, so a key lives at
 * least `ttl` seconds.
 */
export function parseExpiry(ttl: unknown, expiresAt: unknown, nowMs: number): ExpiryInput {
  if (ttl !== undefined && expiresAt !== undefined) return refused("give ttl or expires_at, not both");
  if (ttl !== undefined) {
    if (!isWholeNumber(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
      return refused(`ttl must be whole seconds from 1 to ${MAX_TTL_SECONDS}; got ${JSON.stringify(ttl)}`);
    }
    return { ok: true, expiresAt: Math.ceil(nowMs / 1000) + ttl };
  }
  if (expiresAt !== undefined) {
    const now = nowMs / 1000;
    if (!isWholeNumber(expiresAt)) return refused(`expires_at must be whole Unix seconds; got ${JSON.stringify(expiresAt)}`);
    if (expiresAt <= now) return refused(`expires_at ${expiresAt} is not in the future (now is ${Math.floor(now)})`);
    if (expiresAt > now + MAX_TTL_SECONDS) return refused(`expires_at is more than ${MAX_TTL_SECONDS} seconds ahead`);
    return { ok: true, expiresAt };
  }
  return { ok: true, expiresAt: undefined };
}

/** Whether `entry` is a value whose expiry has come: it reads as absent. */
export function isExpired(entry: Entry, nowMs: number): boolean {
  return entry.kind === "value" && entry.expiresAt !== undefined && nowMs >= entry.expiresAt * 1000;
}

/**
 * Whether the sweep may forget `entry`: a tombstone or an expired value, past
 * the tombstone TTL (`TOMBSTONE_TTL_MS`), which keeps it long enough that an older copy on a
 * replica that was away cannot come back through repair.
 */
export function isPurgeable(entry: Entry, nowMs: number, tombstoneTtlMs: number): boolean {
  const since = entry.kind === "tombstone" ? entry.version.wall : entry.expiresAt === undefined ? undefined : entry.expiresAt * 1000;
  return since !== undefined && since < nowMs - tombstoneTtlMs;
}

function isWholeNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}

function refused(message: string): ExpiryInput {
  return { ok: false, message };
}
