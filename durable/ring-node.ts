import { DurableObject } from "cloudflare:workers";
import { isEntry, type Entry } from "../shared/entry";
import type {
  Fault,
  KeyedEntry,
  NodeStats,
  ReadReply,
  ReplicaOperations,
  StabilizationReply,
  WriteReply,
} from "../shared/wire";
import { ReplicaStore } from "./replica-store";
import { serveInternalApi } from "./internal-api";
import { FaultSwitch } from "./fault-switch";

/**
 * One node of the ring: a replica of every key whose preference list names it.
 *
 * Its operations are the RPC methods below; `fetch` serves the same operations
 * as an internal HTTP API. Neither is reachable from the public routes: only
 * code holding the RING_NODE binding (the router) can reach an object.
 */
export class RingNode extends DurableObject<Env> implements ReplicaOperations {
  private readonly store: ReplicaStore;
  private readonly faults: FaultSwitch;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // SQLite calls are synchronous, so loading needs no blockConcurrencyWhile:
    // no request can run before the constructor returns.
    this.store = new ReplicaStore(ctx.storage);
    this.faults = new FaultSwitch(ctx.storage.kv);
  }

  /** The name the router addressed this object by (its ring member name). */
  get name(): string {
    return this.ctx.id.name ?? this.ctx.id.toString();
  }

  async read(key: string): Promise<ReadReply> {
    requireKey(key);
    await this.faults.admit(this.name);
    return { entry: this.store.get(key) ?? null };
  }

  async write(key: string, entry: Entry): Promise<WriteReply> {
    requireKey(key);
    if (!isEntry(entry)) throw new TypeError("write: malformed entry");
    await this.faults.admit(this.name);
    const applied = this.store.apply(key, entry);
    return { applied, version: this.store.get(key)!.version };
  }

  async stabilize(entries: readonly KeyedEntry[]): Promise<StabilizationReply> {
    if (!Array.isArray(entries)) throw new TypeError("stabilize: expected an array of entries");
    for (const item of entries) {
      requireKey(item?.key);
      if (!isEntry(item.entry)) throw new TypeError("stabilize: malformed entry");
    }
    await this.faults.admit(this.name);
    return { received: entries.length, applied: this.store.applyAll(entries) };
  }

  /** This replica's own copy of `key`, whatever its fault mode: for operators and tests. */
  inspect(key: string): ReadReply {
    requireKey(key);
    return { entry: this.store.get(key) ?? null };
  }

  stats(): NodeStats {
    return {
      name: this.name,
      keys: this.store.liveCount,
      tombstones: this.store.tombstoneCount,
      fault: this.faults.current,
    };
  }

  setFault(fault: Fault): NodeStats {
    this.faults.set(fault);
    return this.stats();
  }

  override fetch(request: Request): Promise<Response> {
    return serveInternalApi(this, request);
  }
}

function requireKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || key.length === 0) throw new TypeError("key must be a non-empty string");
}
