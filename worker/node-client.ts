import type { NodeTimeouts, Transport } from "../shared/config";
import { isEntry, type Entry } from "../shared/entry";
import { classify, NodeCallError, worthRetrying } from "../shared/failure";
import type { MetricFamily } from "../shared/metrics";
import { isRefusal, isRefusalCode, refusal, type NodeApi, type Refusable, type WriteOrigin } from "../shared/node-api";
import { withTimeout, type Schedule } from "../shared/quorum";
import {
  NodePaths,
  type BatchItem,
  type BatchReply,
  type FaultRequest,
  type HintReply,
  type KeyedEntry,
  type LeaveResult,
  type ListReply,
  type MembershipReply,
  type NodeStats,
  type ReadReply,
  type WriteReply,
} from "../shared/wire";

/** The binding through which the router reaches the node objects. */
export interface NodeNamespace {
  getByName(name: string): { fetch(url: string, init?: RequestInit): Promise<Response> };
}

/**
 * Every call the router makes to a node. Each call gets a fresh stub (a stub
 * is bound to the request that made it, and one that saw an error may stay
 * broken; `getByName` is local and cheap) and its kind's timeout (a replica
 * read excepted: the gather that makes it bounds it). A refusal or
 * failure is raised as a `NodeCallError` carrying its classified failure
 * (shared/failure.ts). Idempotent calls that fail transiently are made once
 * more on a fresh stub; an overloaded node is never asked again by the same call.
 *
 * Data calls travel by the configured transport: Workers RPC on the object
 * stub (the default: typed calls, no HTTP framing or JSON of our own) or
 * `stub.fetch` to the node's internal HTTP API (docs/performance.md compares
 * their cost).
 */
export class NodeClient {
  constructor(
    private readonly namespace: NodeNamespace,
    private readonly transport: Transport,
    private readonly timeouts: NodeTimeouts,
    private readonly schedule: Schedule,
  ) {}

  /**
   * A replica read, with no timer of its own: its one caller, the coordinator's
   * gather (shared/quorum.ts), races it against the replica timeout, so a
   * second timer per replica would only cost CPU on every read.
   */
  read(node: string, key: string): Promise<ReadReply> {
    if (this.transport === "fetch") return this.readOverHttp(node, key, undefined);
    return this.call(node, undefined, true, (stub) => stub.read(key));
  }

  /** A merge of a versioned entry: writing it twice is writing it once, so it is retried like a read. */
  write(node: string, key: string, entry: Entry, origin: WriteOrigin = "client"): Promise<WriteReply> {
    if (this.transport === "fetch") return this.writeOverHttp(node, key, entry, origin);
    return this.call(node, this.timeouts.data, true, (stub) => stub.write(key, entry, origin));
  }

  /** Asks `holder` to keep `writes` for `target` until it is back; merges, so retried like a write. */
  hint(holder: string, target: string, writes: readonly KeyedEntry[]): Promise<HintReply> {
    return this.call(holder, this.timeouts.data, true, (stub) => stub.hint(target, writes));
  }

  /** One node's share of a client batch, in one call. Not retried: its writes are, but its reads need not be. */
  async batch(node: string, items: readonly BatchItem[]): Promise<BatchReply> {
    if (this.transport === "rpc") return this.call(node, this.timeouts.data, false, (stub) => stub.batch(items));
    const reply = await this.http<BatchReply>(node, this.timeouts.data, NodePaths.batch, { items });
    for (const r of reply.results) {
      if ("entry" in r && r.entry !== null && !isEntry(r.entry)) {
        throw new NodeCallError(node, { kind: "error", message: `${node} returned a malformed entry` });
      }
    }
    return reply;
  }

  /** One node's page of a listing. */
  async list(node: string, prefix: string, after: string, limit: number): Promise<ListReply> {
    if (this.transport === "rpc") return this.call(node, this.timeouts.data, true, (stub) => stub.list(prefix, after, limit));
    const query = new URLSearchParams({ prefix, after, limit: String(limit) });
    const reply = await this.http<ListReply>(node, this.timeouts.data, `${NodePaths.list}?${query}`);
    if (!reply.entries.every((e) => isEntry(e.entry))) {
      throw new NodeCallError(node, { kind: "error", message: `${node} returned a malformed entry` });
    }
    return reply;
  }

  membership(node: string): Promise<MembershipReply> {
    return this.call(node, this.timeouts.membership, true, (stub) => stub.membership());
  }

  stats(node: string): Promise<NodeStats> {
    return this.call(node, this.timeouts.stats, true, (stub) => stub.stats());
  }

  /** A node's counters for GET /metrics: asked once (no retry), so a scrape takes one timeout at most. */
  metrics(node: string): Promise<MetricFamily[]> {
    return this.call(node, this.timeouts.stats, false, (stub) => stub.metrics());
  }

  join(node: string, introducers: readonly string[]): Promise<NodeStats> {
    return this.call(node, this.timeouts.admin, false, (stub) => stub.join(introducers));
  }

  leave(node: string): Promise<LeaveResult> {
    return this.call(node, this.timeouts.admin, false, (stub) => stub.leave());
  }

  setFault(node: string, fault: FaultRequest): Promise<NodeStats> {
    return this.call(node, this.timeouts.admin, false, (stub) => stub.setFault(fault));
  }

  /** One replica's own answer through its internal HTTP API, whatever the data transport (an operator's view). */
  readReplica(node: string, key: string): Promise<ReadReply> {
    return this.readOverHttp(node, key, this.timeouts.admin);
  }

  /** `timeoutMs` undefined: the caller bounds the call itself. */
  private async call<T>(
    node: string,
    timeoutMs: number | undefined,
    idempotent: boolean,
    fn: (stub: NodeApi) => Promise<Refusable<T>>,
  ): Promise<T> {
    const attempt = async (): Promise<T> => {
      const reply = await fn(this.stub(node));
      if (isRefusal(reply)) throw NodeCallError.refused(node, reply);
      return reply;
    };
    const once = idempotent ? attempt().catch((error: unknown) => (retryable(error) ? attempt() : Promise.reject(error))) : attempt();
    try {
      return await (timeoutMs === undefined ? once : withTimeout(once, timeoutMs, this.schedule));
    } catch (error) {
      throw error instanceof NodeCallError ? error : new NodeCallError(node, classify(error));
    }
  }

  /**
   * The object stub as the node contract. RPC types a stub's methods from the
   * class with wrappers of their own (a union reply loses its narrowing), so the
   * stub is taken as the interface the class implements (`RingNode implements NodeApi`).
   */
  private stub(node: string): NodeApi {
    return this.namespace.getByName(node) as unknown as NodeApi;
  }

  private async readOverHttp(node: string, key: string, timeoutMs: number | undefined): Promise<ReadReply> {
    const reply = await this.http<ReadReply>(node, timeoutMs, `${NodePaths.read}?key=${encodeURIComponent(key)}`);
    if (reply.entry !== null && !isEntry(reply.entry))
      throw new NodeCallError(node, { kind: "error", message: `${node} returned a malformed entry` });
    return reply;
  }

  private writeOverHttp(node: string, key: string, entry: Entry, origin: WriteOrigin): Promise<WriteReply> {
    const body =
      entry.kind === "value"
        ? { path: NodePaths.write, payload: { key, value: entry.value, version: entry.version, expiresAt: entry.expiresAt, origin } }
        : { path: NodePaths.delete, payload: { key, version: entry.version, origin } };
    return this.http<WriteReply>(node, this.timeouts.data, body.path, body.payload);
  }

  /** A call to the node's internal HTTP API; a refusal comes back as `error.refused` (durable/internal-api.ts). */
  private http<T>(node: string, timeoutMs: number | undefined, path: string, payload?: unknown): Promise<T> {
    const init: RequestInit =
      payload === undefined
        ? { method: "GET" }
        : { method: "POST", body: JSON.stringify(payload), headers: { "content-type": "application/json" } };
    return this.call<T>(node, timeoutMs, true, async () => {
      const response = await this.namespace.getByName(node).fetch(`${ORIGIN}${path}`, init);
      if (response.ok) return (await response.json()) as T;
      const detail = (await response.json().catch(() => undefined)) as { error?: { message?: string; refused?: unknown } } | undefined;
      const message = detail?.error?.message ?? `${node} answered ${response.status}`;
      if (isRefusalCode(detail?.error?.refused)) return refusal(detail.error.refused, message);
      throw new NodeCallError(node, { kind: "error", message });
    });
  }
}

/** The hostname is ignored by the object; it only makes the URL absolute. */
const ORIGIN = "https://ring-node";

function retryable(error: unknown): boolean {
  return !(error instanceof NodeCallError) && worthRetrying(classify(error));
}
