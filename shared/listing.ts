import { newestOf, type Entry } from "./entry";
import { isExpired } from "./expiry";
import { murmur3 } from "./hash";
import { compareKeys } from "./storage/key-order";
import type { KeyedEntry } from "./wire";

/**
 * Listing keys by prefix across the ring (`GET /s/keys`), as pure rules: key
 * order, one node's page, the merge of every node's page, and the cursor.
 */

/** What one node answers for a page: its entries after the cursor with the prefix, in key order. */
export interface NodePage {
  /** Values, tombstones and expired values alike: another node may hold an older copy to hide. */
  readonly entries: readonly KeyedEntry[];
  /** True when the node has no more keys with the prefix after the last one. */
  readonly exhausted: boolean;
}

/**
 * A node's page: entries in key order after `after` with `prefix`, until
 * `limit` of them are live at `nowMs` or `scanCap` keys were read. Tombstones
 * and expired entries come along but do not count: a page of deletions is not
 * a short page.
 */
export function nodePage(held: Iterable<KeyedEntry>, limit: number, scanCap: number, nowMs: number): NodePage {
  const entries: KeyedEntry[] = [];
  let live = 0;
  for (const item of held) {
    if (live >= limit || entries.length >= scanCap) return { entries, exhausted: false };
    entries.push(item);
    if (item.entry.kind === "value" && !isExpired(item.entry, nowMs)) live++;
  }
  return { entries, exhausted: true };
}

export interface MergedPage {
  /** The live keys of the page, newest version of each, in key order. */
  readonly keys: readonly KeyedEntry[];
  /** The last key the page covers, to continue after; undefined when the listing has ended. */
  readonly next: string | undefined;
}

/**
 * Merges the nodes' pages. Every node returned all it holds up to its last
 * key (or everything, if exhausted), so the page is safe up to the smallest last
 * key among the nodes that are not exhausted: past it, a node may hold a newer
 * version or a tombstone it did not send. Within that, the newest version of
 * each key wins, and deleted and expired keys are hidden.
 */
export function mergePages(pages: readonly NodePage[], limit: number, nowMs: number): MergedPage {
  let bound: string | undefined;
  for (const page of pages) {
    const last = page.entries[page.entries.length - 1]?.key;
    if (!page.exhausted && last !== undefined && (bound === undefined || compareKeys(last, bound) < 0)) bound = last;
  }
  const byKey = new Map<string, Entry[]>();
  for (const page of pages) {
    for (const { key, entry } of page.entries) {
      if (bound !== undefined && compareKeys(key, bound) > 0) continue;
      const held = byKey.get(key);
      if (held === undefined) byKey.set(key, [entry]);
      else held.push(entry);
    }
  }
  const keys: KeyedEntry[] = [];
  for (const key of [...byKey.keys()].sort(compareKeys)) {
    const entry = newestOf(byKey.get(key)!)!;
    if (entry.kind === "tombstone" || isExpired(entry, nowMs)) continue;
    // One live key past a full page means there is a next page; none, and no node has more, means the end.
    if (keys.length === limit) return { keys, next: keys[limit - 1]!.key };
    keys.push({ key, entry });
  }
  return { keys, next: bound === undefined ? undefined : (keys[keys.length - 1]?.key ?? bound) };
}

/**
 * Cursors are opaque to clients: `c1.<base64url of [prefix, last key]>.<check>`.
 * The check (a hash, not a secret) tells a cursor ringkv issued from one made
 * up or damaged, and the prefix inside it ties the cursor to its listing.
 */
export function encodeCursor(prefix: string, after: string): string {
  const payload = base64url(JSON.stringify([prefix, after]));
  return `c1.${payload}.${check(payload)}`;
}

/** The last key of the cursor's page, or undefined if ringkv did not issue it for `prefix`. */
export function decodeCursor(cursor: string, prefix: string): string | undefined {
  const [version, payload, sum, ...rest] = cursor.split(".");
  if (version !== "c1" || payload === undefined || sum !== check(payload) || rest.length > 0) return undefined;
  try {
    const decoded: unknown = JSON.parse(fromBase64url(payload));
    if (!Array.isArray(decoded) || decoded.length !== 2 || decoded[0] !== prefix || typeof decoded[1] !== "string") return undefined;
    return decoded[1];
  } catch {
    return undefined;
  }
}

function check(payload: string): string {
  return murmur3(payload, 0x6c697374).toString(36);
}

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text: string): string {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}
