import { isEntry } from "../shared/entry";
import { BadArgument } from "../shared/node-api";
import { MAX_HINT_WRITES, type KeyedEntry } from "../shared/wire";

/**
 * Checks a hint call's writes at the node's boundary: 1 to MAX_HINT_WRITES
 * keyed entries (a batch's writes for one replica and holder at most).
 */
export function checkHintWrites(writes: unknown): asserts writes is readonly KeyedEntry[] {
  if (!Array.isArray(writes) || writes.length === 0 || writes.length > MAX_HINT_WRITES) {
    throw new BadArgument(`hint: expected 1 to ${MAX_HINT_WRITES} writes`);
  }
  for (const write of writes as unknown[]) {
    const w = write as Partial<KeyedEntry> | null;
    if (typeof w?.key !== "string" || w.key.length === 0) throw new BadArgument("hint: key must be a non-empty string");
    if (!isEntry(w.entry)) throw new BadArgument("hint: malformed entry");
  }
}
