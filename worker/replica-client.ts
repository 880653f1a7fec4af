import type { Entry } from "../shared/entry";
import { isEntry } from "../shared/entry";
import type { Transport } from "../shared/config";
import { NodePaths, type ReadReply, type WriteReply } from "../shared/wire";
import type { RingNode } from "../durable/ring-node";

/**
 * How the router reaches a replica. Two transports carry the same operations:
 * Workers RPC on the object stub (the default: typed calls, no HTTP framing or
 * JSON of our own) and `stub.fetch` to the node's internal HTTP API. Measured
 * locally the two cost about the same (docs/performance.md); RPC stays the
 * default for its types and because it is the platform's recommended path.
 */
export interface ReplicaClient {
  read(node: string, key: string): Promise<ReadReply>;
  write(node: string, key: string, entry: Entry): Promise<WriteReply>;
}

/**
 * Stubs are made per call: a stub is an I/O object bound to the request that
 * made it, so an isolate cannot keep one across requests (and one that saw an
 * error may stay broken). `getByName` is local and cheap.
 */
export function replicaClient(namespace: DurableObjectNamespace<RingNode>, transport: Transport): ReplicaClient {
  return transport === "rpc" ? new RpcReplicaClient(namespace) : new FetchReplicaClient(namespace);
}

class RpcReplicaClient implements ReplicaClient {
  constructor(private readonly namespace: DurableObjectNamespace<RingNode>) {}

  read(node: string, key: string): Promise<ReadReply> {
    return this.namespace.getByName(node).read(key);
  }

  write(node: string, key: string, entry: Entry): Promise<WriteReply> {
    return this.namespace.getByName(node).write(key, entry);
  }
}

/** The hostname is ignored by the object; it only makes the URL absolute. */
const ORIGIN = "https://ring-node";

class FetchReplicaClient implements ReplicaClient {
  constructor(private readonly namespace: DurableObjectNamespace<RingNode>) {}

  async read(node: string, key: string): Promise<ReadReply> {
    const url = `${ORIGIN}${NodePaths.read}?key=${encodeURIComponent(key)}`;
    const reply = await this.call<ReadReply>(node, url);
    if (reply.entry !== null && !isEntry(reply.entry)) throw new Error(`${node} returned a malformed entry`);
    return reply;
  }

  write(node: string, key: string, entry: Entry): Promise<WriteReply> {
    const body =
      entry.kind === "value"
        ? { path: NodePaths.write, payload: { key, value: entry.value, version: entry.version } }
        : { path: NodePaths.delete, payload: { key, version: entry.version } };
    return this.call<WriteReply>(node, `${ORIGIN}${body.path}`, body.payload);
  }

  private async call<T>(node: string, url: string, payload?: unknown): Promise<T> {
    const init: RequestInit =
      payload === undefined
        ? { method: "GET" }
        : { method: "POST", body: JSON.stringify(payload), headers: { "content-type": "application/json" } };
    const response = await this.namespace.getByName(node).fetch(url, init);
    if (!response.ok) {
      const detail = await response.json<{ error?: { message?: string } }>().catch(() => undefined);
      throw new Error(detail?.error?.message ?? `${node} answered ${response.status}`);
    }
    return response.json<T>();
  }
}
