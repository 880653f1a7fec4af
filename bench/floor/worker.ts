/**
 * The platform's floor, for the benchmark: the store's request shapes with
 * nothing of ringkv in them. No validation, versions, membership, timers,
 * read repair or group commit; a key's replicas are found by one hash.
 *
 *   GET  /s/key?key=K           reads K from the first R of its N objects
 *   POST /s/key[?w=all]  {key,value}   writes to all N, answers after W
 *
 * Served with N=3, R=2, W=2 and with N=1, it shows what the runtime itself
 * charges for asking two objects instead of one (reads) and three instead of
 * one (writes): the best quorum / N=1 ratio any code could reach on this
 * machine, measured in the same run as ringkv's. With STORE=sqlite it holds
 * nothing in memory and reads each key from SQLite: the capacity scenario's
 * floor for workerd's memory under the same writes. Bench-only; never deployed.
 */
import { DurableObject } from "cloudflare:workers";

interface FloorEnv {
  readonly FLOOR: DurableObjectNamespace<FloorReplica>;
  readonly REPLICAS: string;
  readonly QUORUM: string;
  /** "memory" (default): serve from a Map rebuilt from SQLite; "sqlite": read SQLite, hold nothing. */
  readonly STORE?: string;
}

/** As many objects as the product's default ring has nodes. */
const OBJECTS = 5;

export class FloorReplica extends DurableObject<FloorEnv> {
  /** The values, when served from memory; undefined with STORE=sqlite. */
  private readonly values: Map<string, string> | undefined;

  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT)");
    if (env.STORE === "sqlite") return;
    // An idle object is evicted between the benchmark's runs: serve from memory, rebuilt from SQLite.
    this.values = new Map();
    for (const row of ctx.storage.sql.exec<{ key: string; value: string }>("SELECT key, value FROM kv")) {
      this.values.set(row.key, row.value);
    }
  }

  read(key: string): string | null {
    if (this.values !== undefined) return this.values.get(key) ?? null;
    const [row] = this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = ?", key).toArray();
    return row?.value ?? null;
  }

  /** One upsert per call: the cost of a write turn and its commit, as a plain object pays it. */
  write(key: string, value: string): boolean {
    this.ctx.storage.sql.exec(
      "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
    this.values?.set(key, value);
    return true;
  }
}

export default {
  async fetch(request: Request, env: FloorEnv, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ status: "ok" });
    if (url.pathname !== "/s/key") return new Response("not found", { status: 404 });
    const n = Number(env.REPLICAS);
    const quorum = Number(env.QUORUM);
    if (request.method === "GET") {
      const key = url.searchParams.get("key") ?? "";
      const values = await Promise.all(replicas(key, n, quorum).map((name) => env.FLOOR.getByName(name).read(key)));
      const value = values.find((v) => v !== null);
      return value === undefined ? Response.json({ error: "not found" }, { status: 404 }) : Response.json({ key, value });
    }
    const { key, value } = await request.json<{ key: string; value: unknown }>();
    const text = JSON.stringify(value);
    const calls = replicas(key, n, n).map((name) => env.FLOOR.getByName(name).write(key, text));
    ctx.waitUntil(Promise.allSettled(calls));
    const w = url.searchParams.get("w") === "all" ? n : quorum;
    await firstOf(calls, w);
    return Response.json({ key, acked: w });
  },
};

/** `count` consecutive objects from the key's hash (FNV-1a), as a ring with one token per object would give. */
function replicas(key: string, n: number, count: number): string[] {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  const first = (hash >>> 0) % OBJECTS;
  return Array.from({ length: Math.min(count, n) }, (_, i) => `floor-${(first + i) % OBJECTS}`);
}

/** Resolves once `count` of `calls` have succeeded. */
function firstOf<T>(calls: readonly Promise<T>[], count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = 0;
    let failed = 0;
    for (const call of calls) {
      call.then(
        () => ++done === count && resolve(),
        (error: unknown) => ++failed > calls.length - count && reject(error),
      );
    }
  });
}
