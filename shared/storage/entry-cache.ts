import type { Entry } from "../entry";
import { entryBytes } from "./entry-bytes";

export interface CacheStats {
  readonly bytes: number;
  readonly entries: number;
  readonly hits: number;
  readonly misses: number;
}

/**
 * The hot entries of a replica, bounded in bytes (`entryBytes`), least recently
 * used out first. A capacity of 0 caches nothing; an entry larger than the whole
 * capacity is not cached (it would evict everything and still not fit).
 *
 * A `Map` keeps insertion order, so re-inserting on each hit makes its first key
 * the least recently used one: eviction is O(1) with no list of its own.
 */
export class EntryCache {
  private readonly held = new Map<string, { readonly entry: Entry; readonly bytes: number }>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(readonly capacity: number) {}

  get(key: string): Entry | undefined {
    const hit = this.held.get(key);
    if (hit === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.held.delete(key);
    this.held.set(key, hit);
    return hit.entry;
  }

  /** The cached entry, without counting a hit or making it recent. */
  peek(key: string): Entry | undefined {
    return this.held.get(key)?.entry;
  }

  /** Holds `entry` as the key's most recently used one. */
  set(key: string, entry: Entry): void {
    this.delete(key);
    const bytes = entryBytes(key, entry);
    if (bytes > this.capacity) return;
    this.held.set(key, { entry, bytes });
    this.bytes += bytes;
    while (this.bytes > this.capacity) {
      const oldest = this.held.keys().next().value as string;
      this.delete(oldest);
    }
  }

  /** Replaces the key's entry only if it is cached: bulk traffic must not flush the hot set. */
  update(key: string, entry: Entry): void {
    if (this.held.has(key)) this.set(key, entry);
  }

  delete(key: string): void {
    const held = this.held.get(key);
    if (held === undefined) return;
    this.held.delete(key);
    this.bytes -= held.bytes;
  }

  get stats(): CacheStats {
    return { bytes: this.bytes, entries: this.held.size, hits: this.hits, misses: this.misses };
  }
}
