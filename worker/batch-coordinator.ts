import { classify, worthHinting } from "../shared/failure";
import { isRefusalCode } from "../shared/node-api";
import { BatchTally, shareByNode, type OpTally } from "../shared/batch-plan";
import { lostToNewer, newestOf, type Entry } from "../shared/entry";
import { QuorumError, withTimeout } from "../shared/quorum";
import { type HybridClock, type Version } from "../shared/version";
import type { BatchItem, BatchItemReply } from "../shared/wire";
import { LATE_ACK_TIMEOUTS, type Background, type CoordinatorDeps } from "./coordinator";
import { Hints, holdAll } from "./write-hints";

/** One operation of a client batch, validated. */
export type BatchOp =
  | { readonly op: "get"; readonly key: string }
  | { readonly op: "put"; readonly key: string; readonly value: string; readonly expiresAt?: number }
  | { readonly op: "delete"; readonly key: string };

/** Per operation: the read's newest entry, the write's version and acknowledgements, or its quorum failure. */
export type BatchOutcome =
  | { readonly op: "get"; readonly entry: Entry | undefined }
  | { readonly op: "put" | "delete"; readonly version: Version; readonly acked: number }
  | { readonly op: BatchOp["op"]; readonly error: QuorumError };

/**
 * Runs a client batch against the replicas: one call per node holding that
 * node's operations in batch order (`shared/batch-plan.ts`), each call raced
 * against one replica timeout, or 1 + LATE_ACK_TIMEOUTS of them when it holds writes. Every write is stamped in batch order, so several writes
 * to one key end with the last one's version everywhere. Each operation is
 * decided on its own: its quorum met, or missed (a failed operation does not
 * fail the others). A read asks all N replicas of its key (the call to each is
 * made anyway) and takes the newest of the answers its quorum was met with.
 *
 * A write whose call to a home replica failed in a way that may have missed
 * it (held dead, refused while down, the node client's own timeout: see
 * `worthHinting`) is also handed to a fallback holder as a hint, in the
 * background, as a single write is (worker/write-hints.ts); a hint is never an
 * acknowledgement. The writes for one failed replica go in one hint call per
 * fallback holder, so a batch's hints cost a few calls, not one per write.
 *
 * As a single write (worker/coordinator.ts), a write a replica says is
 * superseded (it holds a newer version, stamped by a coordinator whose clock
 * runs ahead) is stamped again and sent once more, and an operation that missed
 * its quorum because a replica is no longer a member is run once more on a
 * fresh view. Such a second run takes, for each affected key, the operations
 * from its first one that needs it on, in batch order, so several operations
 * on one key still apply in the order given (`rerunOf`). And as a single
 * write's, a share holding writes waits
 * past the replica timeout for a replica slowed by overload
 * (1 + `LATE_ACK_TIMEOUTS` timeouts in all), which usually applies them.
 *
 * Not atomic: an operation's effects are not undone when another fails.
 */
export async function coordinateBatch(
  deps: CoordinatorDeps,
  ops: readonly BatchOp[],
  levels: { readonly r: number; readonly w: number },
  background: Background,
): Promise<BatchOutcome[]> {
  const first = await attempt(deps, ops, levels, background);
  const rerun = rerunOf(ops, first);
  if (rerun.length === 0) return first.map((o) => o.outcome);
  if (first.some((o) => o.retry === "not_member")) await deps.membership.view({ fresh: true });
  const second = await attempt(
    deps,
    rerun.map((i) => ops[i]!),
    levels,
    background,
  );
  const outcomes = first.map((o) => o.outcome);
  rerun.forEach((i, j) => (outcomes[i] = second[j]!.outcome));
  return outcomes;
}

/**
 * The operations a second run takes, in batch order: per key, every operation
 * from the first one that needs a second run on, since a write run again is
 * stamped newer than the first run's later writes of its key, which must then
 * be run again too. A read is left out when a later write of its key was sent
 * in the first run: it could read that later write, which its answer must not
 * show. It keeps its first outcome.
 */
export function rerunOf(ops: readonly BatchOp[], first: readonly Attempted[]): number[] {
  const lastWrite = new Map<string, number>();
  ops.forEach((op, i) => {
    if (op.op !== "get") lastWrite.set(op.key, i);
  });
  const leftOut = (i: number) => ops[i]!.op === "get" && (lastWrite.get(ops[i]!.key) ?? -1) > i;
  // A read left out starts nothing: running its key's later writes again would only risk what they got.
  const from = new Map<string, number>();
  first.forEach((o, i) => {
    if (o.retry !== undefined && !leftOut(i) && !from.has(ops[i]!.key)) from.set(ops[i]!.key, i);
  });
  return ops.flatMap((op, i) => {
    const start = from.get(op.key);
    return start === undefined || i < start || leftOut(i) ? [] : [i];
  });
}

/** An operation's outcome, and why it should be run once more, if it should. */
export interface Attempted {
  readonly outcome: BatchOutcome;
  readonly retry?: "superseded" | "not_member" | undefined;
}

async function attempt(
  deps: CoordinatorDeps,
  ops: readonly BatchOp[],
  levels: { readonly r: number; readonly w: number },
  background: Background,
): Promise<Attempted[]> {
  const { membership, replicas, clock } = deps;
  const view = await membership.view();
  const items: BatchItem[] = ops.map((op) => toItem(op, () => clock.next()));
  const behind = deps.catchingUp?.current();
  const owners = ops.map((op) => (op.op === "get" ? view.readOrder(op.key, behind) : view.ring.preferenceList(op.key)));
  const tally = new BatchTally<BatchItemReply>(
    owners.map((nodes) => nodes.length),
    ops.map((op) => (op.op === "get" ? levels.r : levels.w)),
  );
  // Per write, made only when one of its replicas needs a hint: most batches never do.
  const hints = new Map<number, Hints>();
  const hintWrites = (node: string, opIndices: readonly number[]) =>
    holdAll(
      replicas,
      node,
      opIndices.flatMap((op) => {
        const item = items[op]!;
        if (item.op !== "write") return [];
        let forOp = hints.get(op);
        if (forOp === undefined) hints.set(op, (forOp = new Hints(view, item.key, item.entry, replicas)));
        return [forOp];
      }),
    );
  const calls = [...shareByNode(items, owners)].map(async ([node, share]) => {
    // A home replica held dead is not called (a timeout each); its writes go to hints, as a single write's do.
    if (view.dead.has(node)) {
      for (const op of share.ops) tally.failed(op, node, `${node} is dead`, "dead");
      await hintWrites(node, share.ops);
      return;
    }
    const call = replicas.batch(node, share.items);
    // A single write's patience: its replica timeout, then its late-ack window. (Read at call time: coordinator.ts imports this module.)
    const patience = share.items.some((item) => item.op === "write") ? 1 + LATE_ACK_TIMEOUTS : 1;
    try {
      const reply = await withTimeout(call, patience * deps.replicaTimeoutMs, deps.schedule);
      membership.observe(reply.digest);
      deps.catchingUp?.heard(node, reply.catchingUp === true);
      const refused: number[] = [];
      share.ops.forEach((op, j) => {
        const result = reply.results[j];
        if (result === undefined) return tally.failed(op, node, "no result");
        if ("error" in result) {
          const kind = isRefusalCode(result.refused) ? result.refused : "error";
          if (worthHinting({ kind, message: result.error })) refused.push(op);
          return tally.failed(op, node, result.error, kind);
        }
        // A node catching up may lack acknowledged writes: its reads count toward no quorum (its writes do).
        if (reply.catchingUp === true && "entry" in result) return tally.failed(op, node, `${node} is catching up`, "catching_up");
        if ("version" in result) clock.observe(result.version);
        tally.succeeded(op, node, result);
      });
      await hintWrites(node, refused);
    } catch (error) {
      const failure = classify(error);
      for (const op of share.ops) tally.failed(op, node, failure.message, failure.kind);
      // Hinted once the call itself has failed in a way that may have missed the node (refused while
      // down, the node client's own timeout): a call that only outlived the replica timeout usually
      // lands, and a single write is not hinted for that either.
      const missed = await call.then(
        () => undefined,
        (e: unknown) => classify(e),
      );
      if (missed !== undefined && worthHinting(missed)) await hintWrites(node, share.ops);
    }
  });
  background(Promise.allSettled(calls));
  await tally.decided;
  return ops.map((op, i) => ({
    outcome: outcome(op, items[i]!, tally.ops[i]!, owners[i]!.length, clock),
    retry: retryOf(items[i]!, tally.ops[i]!),
  }));
}

/** Why an operation should run once more: a replica holds a newer version than its write, or one is no longer a member. */
function retryOf(item: BatchItem, tally: OpTally<BatchItemReply>): Attempted["retry"] {
  if (tally.decided?.ok === false) return tally.failures.some((f) => f.kind === "not_member") ? "not_member" : undefined;
  if (item.op !== "write") return undefined;
  const newer = tally.replies.some((r) => "applied" in r.value && lostToNewer(item.entry.version, r.value));
  return newer ? "superseded" : undefined;
}

function toItem(op: BatchOp, next: () => Version): BatchItem {
  if (op.op === "get") return { op: "read", key: op.key };
  const version = next();
  if (op.op === "delete") return { op: "write", key: op.key, entry: { kind: "tombstone", version } };
  const entry: Entry =
    op.expiresAt === undefined
      ? { kind: "value", value: op.value, version }
      : { kind: "value", value: op.value, version, expiresAt: op.expiresAt };
  return { op: "write", key: op.key, entry };
}

function outcome(op: BatchOp, item: BatchItem, tally: OpTally<BatchItemReply>, replicaCount: number, clock: HybridClock): BatchOutcome {
  const decided = tally.decided!;
  if (!decided.ok) {
    return { op: op.op, error: new QuorumError(decided.acked, tally.required, replicaCount, replicaCount, [...tally.failures]) };
  }
  if (item.op === "read") {
    const entry = newestOf(tally.replies.map((r) => ("entry" in r.value ? (r.value.entry ?? undefined) : undefined)));
    if (entry !== undefined) clock.observe(entry.version);
    return { op: "get", entry };
  }
  return { op: op.op === "delete" ? "delete" : "put", version: item.entry.version, acked: decided.acked };
}
