/**
 * A minimal Chrome DevTools protocol client for workerd's inspector: list the
 * isolates, and take a V8 CPU profile of one while load runs.
 */
import WebSocket from "ws";

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  readonly hitCount?: number;
  readonly children?: number[];
}

export interface CpuProfile {
  readonly nodes: CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: number[];
  readonly timeDeltas?: number[];
}

export interface InspectorTarget {
  readonly id: string;
  readonly webSocketDebuggerUrl: string;
}

export async function listTargets(port: number): Promise<InspectorTarget[]> {
  const response = await fetch(`http://127.0.0.1:${port}/json/list`);
  return (await response.json()) as InspectorTarget[];
}

export class InspectorSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id === undefined) return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    });
  }

  static open(url: string): Promise<InspectorSession> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
      socket.once("open", () => resolve(new InspectorSession(socket)));
      socket.once("error", reject);
    });
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

export interface SelfTime {
  readonly function: string;
  readonly location: string;
  readonly ms: number;
  readonly share: number;
}

/**
 * Self time per function (summed over every call site), from sample counts and
 * time deltas. "(idle)" is time the isolate's thread waited for I/O; "(program)"
 * is native work outside JavaScript (workerd's C++ and V8 internals).
 */
export function selfTimes(profile: CpuProfile): SelfTime[] {
  const byNode = new Map<number, CpuProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, { fn: string; location: string; us: number }>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const node = byNode.get(samples[i]!);
    // The delta before sample i+1 is the time sample i stood for.
    const us = Math.max(0, deltas[i + 1] ?? 0);
    if (!node) continue;
    const frame = node.callFrame;
    const fn = frame.functionName || "(anonymous)";
    const file = frame.url.split("/").pop() ?? "";
    const location = file === "" ? "" : `${file}:${frame.lineNumber + 1}`;
    const key = `${fn}@${location}`;
    const entry = totals.get(key) ?? { fn, location, us: 0 };
    entry.us += us;
    totals.set(key, entry);
    sum += us;
  }
  return [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .map((t) => ({ function: t.fn, location: t.location, ms: Math.round(t.us) / 1000, share: sum > 0 ? t.us / sum : 0 }));
}
