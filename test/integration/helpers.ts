import { env, exports } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import worker from "../../worker/index";
import { parseConfig } from "../../shared/config";
import { isRefusal, type Refusal } from "../../shared/node-api";
import type { Entry } from "../../shared/entry";
import { Ring } from "../../shared/ring";

/** Requests go through the real router Worker, as a client's would. */
export function api(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(`http://ringkv.test${path}`, init);
}

/**
 * The same router under different vars: how a deployment configured otherwise
 * behaves. One env object per call of `routerWith`, so its requests share one
 * router state (the isolate's cluster is cached per env).
 */
export function routerWith(vars: Partial<Env>): (path: string, init?: RequestInit) => Promise<Response> {
  const varied = { ...env, ...vars };
  return async (path, init) => {
    const ctx = createExecutionContext();
    // The handler's type expects an incoming request's cf properties; a test request has none.
    const request = new Request(`http://ringkv.test${path}`, init) as Parameters<typeof worker.fetch>[0];
    const response = await worker.fetch(request, varied, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
}

export function apiWith(vars: Partial<Env>, path: string, init?: RequestInit): Promise<Response> {
  return routerWith(vars)(path, init);
}

export const config = parseConfig(env);
const ring = Ring.build(config.nodes, { virtualNodes: config.virtualNodes, replicas: config.replicas });

/** The key's replicas in preference order, as the router computes them. */
export function replicasOf(key: string): readonly string[] {
  return ring.preferenceList(key);
}

export const ADMIN = { authorization: `Bearer ${env.ADMIN_TOKEN}` };

export function put(key: string, value: unknown, query = ""): Promise<Response> {
  return api(`/s/key${query}`, { method: "POST", body: JSON.stringify({ key, value }) });
}

export function get(key: string, query = ""): Promise<Response> {
  return api(`/s/key?key=${encodeURIComponent(key)}${query}`);
}

export function del(key: string, query = ""): Promise<Response> {
  return api(`/s/key?key=${encodeURIComponent(key)}${query}`, { method: "DELETE" });
}

export async function setFault(node: string, fault: { mode: string; delayMs?: number }): Promise<void> {
  const response = await api(`/admin/nodes/${node}/fault`, {
    method: "POST",
    headers: ADMIN,
    body: JSON.stringify(fault),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

export async function allUp(): Promise<void> {
  await Promise.all(config.nodes.map((node) => setFault(node, { mode: "up" })));
}

export interface ReplicaCopy {
  node: string;
  key: string;
  present: boolean;
  tombstone: boolean;
  value?: unknown;
  version?: string;
}

/** One replica's own copy of a key, through the admin route an operator would use. */
export async function replicaCopy(node: string, key: string): Promise<ReplicaCopy> {
  const response = await api(`/admin/nodes/${node}/d/read?key=${encodeURIComponent(key)}`, { headers: ADMIN });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<ReplicaCopy>();
}

/**
 * Retries `check` until it passes or `timeoutMs` elapses. For effects the router
 * finishes after responding (the third replica's write, read repair).
 */
export async function eventually(check: () => Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

let counter = 0;
/** A key no other test in the file uses. */
export function freshKey(label: string): string {
  return `${label}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

export async function expectError(response: Response, status: number, code: string): Promise<ErrorBody> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(text) as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
  return body;
}

/** A node's reply, failing the test if the node refused the call. */
export function accepted<T>(reply: T): Exclude<T, Refusal> {
  if (isRefusal(reply)) throw new Error(`refused (${reply.refused}): ${reply.message}`);
  return reply as Exclude<T, Refusal>;
}

/** Writes `entry` straight onto every replica of `key`, as if each had taken it earlier (a state no request can make now). */
export async function plantOnReplicas(key: string, entry: Entry): Promise<void> {
  for (const node of replicasOf(key)) expect(accepted(await env.RING_NODE.getByName(node).write(key, entry)).applied).toBe(true);
}

/** A value whose expiry has passed, as replicas hold it until their sweep purges it. */
export function expiredEntry(): Entry {
  return {
    kind: "value",
    value: '"stale"',
    version: { wall: Date.now(), logical: 0, writer: "test" },
    expiresAt: Math.floor(Date.now() / 1000) - 1,
  };
}
