import { NodeCallError } from "../shared/failure";
import { isRefusal, type NodeApi, type Refusable } from "../shared/node-api";
import { withTimeout, type Schedule } from "../shared/quorum";
import type { Envelope } from "../shared/swim";
import { timers } from "../shared/timers";
import type { AntiEntropyReply, ApplyEntriesReply, CatchUpPart, CatchUpReply, KeyedEntry, KeyVersion } from "../shared/wire";

/**
 * Every call a node makes to another node. A failed call throws a
 * `NodeCallError` (a refusal, a timeout, a partition); none returns a refusal.
 */
export interface PeerTransport {
  /** A SWIM message; resolves with the peer's replies to it, within `timeoutMs`. */
  swim(envelope: Envelope, timeoutMs: number): Promise<readonly Envelope[]>;
  antiEntropy(peer: string, items: readonly KeyVersion[]): Promise<AntiEntropyReply>;
  applyEntries(peer: string, entries: readonly KeyedEntry[]): Promise<ApplyEntriesReply>;
  /** A page of what this node, catching up on `ring`, should have from `peer`. */
  catchUpPage(peer: string, ring: readonly string[], part: CatchUpPart, after: string): Promise<CatchUpReply>;
}

export interface RpcTransportOptions {
  /** This node's name: the `from` of every call. */
  readonly self: string;
  /** A stub for `peer` (one per call: a stub is bound to the request that made it). */
  readonly stub: (peer: string) => NodeApi;
  /** Bulk calls (anti-entropy, handoff, catch-up) get this long: a slow peer must not hold a sweep, or the alarm, for long. */
  readonly bulkTimeoutMs: number;
  /** The timers calls are raced against (the real ones unless a test drives time). */
  readonly schedule?: Schedule;
}

/** The transport over Workers RPC to the peers' objects. */
export function rpcTransport({ self, stub, bulkTimeoutMs, schedule = timers }: RpcTransportOptions): PeerTransport {
  const bulk = async <T>(peer: string, call: (node: NodeApi) => Promise<Refusable<T>>): Promise<T> => {
    const reply = await withTimeout(call(stub(peer)), bulkTimeoutMs, schedule);
    if (isRefusal(reply)) throw NodeCallError.refused(peer, reply);
    return reply;
  };
  return {
    async swim(envelope, timeoutMs) {
      const replies = await withTimeout(stub(envelope.to).swim(envelope), timeoutMs, schedule);
      // The peer dropped it (a fault on its side): silence, to SWIM, as a partition is.
      if (replies === null) throw partitioned(envelope.to, `${envelope.to} dropped the message`);
      return replies;
    },
    antiEntropy: (peer, items) => bulk(peer, (node) => node.antiEntropy(items, self)),
    applyEntries: (peer, entries) => bulk(peer, (node) => node.applyEntries(entries, self)),
    catchUpPage: (peer, ring, part, after) => bulk(peer, (node) => node.catchUpPage(self, ring, part, after)),
  };
}

/** `transport`, with every call to a peer `canReach` refuses failing at once as partitioned. */
export function gatedTransport(transport: PeerTransport, canReach: (peer: string) => boolean): PeerTransport {
  const gate = (peer: string): void => {
    if (!canReach(peer)) throw partitioned(peer, `${peer} unreachable`);
  };
  return {
    async swim(envelope, timeoutMs) {
      gate(envelope.to);
      return transport.swim(envelope, timeoutMs);
    },
    async antiEntropy(peer, items) {
      gate(peer);
      return transport.antiEntropy(peer, items);
    },
    async applyEntries(peer, entries) {
      gate(peer);
      return transport.applyEntries(peer, entries);
    },
    async catchUpPage(peer, ring, part, after) {
      gate(peer);
      return transport.catchUpPage(peer, ring, part, after);
    },
  };
}

function partitioned(peer: string, message: string): NodeCallError {
  return new NodeCallError(peer, { kind: "partitioned", message });
}
