import { isEntry, type Entry } from "../shared/entry";
import { BadArgument, isRefusal } from "../shared/node-api";
import { refuseWhenFull } from "../shared/storage/store-rules";
import { MAX_BATCH_OPS, type BatchItem, type BatchItemReply, type KeyedEntry, type WriteReply } from "../shared/wire";

/** What a node's share of a batch runs against: its store. */
export interface BatchHost {
  read(key: string): Entry | undefined;
  /** Applies writes in one storage transaction (`applyEach`); per write, its reply. */
  writeMany(writes: readonly KeyedEntry[]): WriteReply[];
  /** Applies the node's queued single writes, so that a read sees every write before it. */
  flush(): void;
}

/** Checks a node's share of a batch at the node's boundary (the fetch transport hands it parsed JSON). */
export function checkBatchItems(items: unknown): asserts items is readonly BatchItem[] {
  if (!Array.isArray(items) || items.length > MAX_BATCH_OPS) throw new BadArgument(`batch: expected at most ${MAX_BATCH_OPS} items`);
  for (const item of items as unknown[]) {
    const i = item as Partial<Record<string, unknown>> | null;
    if (typeof i?.key !== "string" || i.key.length === 0) throw new BadArgument("batch: key must be a non-empty string");
    if (i.op === "read") continue;
    if (i.op !== "write" || !isEntry(i.entry)) throw new BadArgument("batch: malformed item");
  }
}

/**
 * Runs the items in order: each run of writes between reads is applied in one
 * storage transaction, and a read comes after the writes before it, so several
 * operations on one key see each other in order. When the run cannot be
 * applied as a whole (a full node), each write is tried alone, so a failed
 * write fails alone; one the node has no room for says so (`refused: "node_full"`).
 */
export function runBatch(items: readonly BatchItem[], host: BatchHost): BatchItemReply[] {
  const results: BatchItemReply[] = [];
  let run: KeyedEntry[] = [];
  const applyRun = () => {
    if (run.length > 0) results.push(...writeRun(run, host));
    run = [];
  };
  for (const item of items) {
    if (item.op === "write") {
      run.push({ key: item.key, entry: item.entry });
      continue;
    }
    applyRun();
    host.flush();
    results.push({ entry: host.read(item.key) ?? null });
  }
  applyRun();
  return results;
}

function writeRun(run: readonly KeyedEntry[], host: BatchHost): BatchItemReply[] {
  try {
    return host.writeMany(run).map(({ applied, version }) => ({ applied, version }));
  } catch {
    return run.map((write) => {
      try {
        const reply = refuseWhenFull(() => host.writeMany([write])[0]!);
        if (isRefusal(reply)) return { error: reply.message, refused: reply.refused };
        return { applied: reply.applied, version: reply.version };
      } catch (error) {
        return { error: error instanceof Error ? error.message : String(error) };
      }
    });
  }
}
