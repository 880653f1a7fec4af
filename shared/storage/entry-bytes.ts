import type { Entry } from "../entry";

/** What a row costs besides its key and value: the version's numbers and SQLite's row header. */
const ROW_OVERHEAD = 32;

/**
 * The bytes one stored entry counts for, in the node's byte count (MAX_NODE_BYTES)
 * and in the cache's bound: the UTF-8 bytes of its key, value and writer id, plus
 * a fixed overhead. The same figure in every implementation, so a limit refuses
 * the same write in the simulator, the unit tests and a node.
 */
export function entryBytes(key: string, entry: Entry): number {
  const value = entry.kind === "value" ? utf8Bytes(entry.value) : 0;
  return utf8Bytes(key) + value + utf8Bytes(entry.version.writer) + ROW_OVERHEAD;
}

/** UTF-8 length without encoding: a 128 KiB value is counted, not copied. */
export function utf8Bytes(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // 0x80-0x7FF take 2 bytes, the rest of the BMP 3, a surrogate pair 4 (2 units x 2).
    if (unit >= 0x80) bytes += unit >= 0x800 && (unit < 0xd800 || unit > 0xdfff) ? 2 : 1;
  }
  return bytes;
}
