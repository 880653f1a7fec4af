/**
 * What the dashboard computes from `GET /cluster`: pure functions of the JSON,
 * so they are unit-tested in Node (test/unit/dashboard-model.test.ts) and the
 * page code only draws.
 */

export type SwimState = "alive" | "suspect" | "dead" | "left" | "unknown";

export interface RecentEvent {
  readonly member: string;
  readonly type: string;
  readonly incarnation: number;
  readonly at: number;
}

/** `storage` as the nodes report it, where they do; every field optional. */
export interface StorageInfo {
  readonly bytes?: number;
  readonly rows?: number;
  readonly cacheHits?: number;
  readonly cacheMisses?: number;
  readonly cache?: { readonly hits?: number; readonly misses?: number };
}

export interface ClusterNode {
  readonly name: string;
  readonly state: string;
  readonly incarnation: number | null;
  readonly reachable: boolean;
  readonly self?: { readonly state: string; readonly incarnation: number } | null;
  readonly keys?: number;
  readonly tombstones?: number;
  readonly reads?: number;
  readonly groupCommit?: { readonly writes: number; readonly commits: number };
  readonly fault?: { readonly mode: string; readonly delayMs?: number; readonly peers?: readonly string[] };
  readonly events?: readonly RecentEvent[];
  readonly storage?: StorageInfo;
  readonly latency?: { readonly p99Ms?: number };
}

export interface ClusterInfo {
  readonly nodes: readonly ClusterNode[];
  readonly viewsAgree: boolean;
  readonly ring?: readonly (readonly [number, string])[];
  readonly replicas: number;
  readonly readQuorum: number;
  readonly writeQuorum: number;
  readonly virtualNodes: number;
  readonly protocolPeriodMs?: number;
}

export const STATES: readonly SwimState[] = ["alive", "suspect", "dead", "left", "unknown"];

export function stateOf(node: ClusterNode): SwimState {
  return (STATES as readonly string[]).includes(node.state) ? (node.state as SwimState) : "unknown";
}

/** A stretch of the ring owned by one member, as fractions of the circle (0 = top, clockwise). */
export interface Arc {
  /** Fractions of the circle; an arc across the top ends past 1. */
  readonly start: number;
  readonly end: number;
  readonly member: string;
}

const RING_SIZE = 2 ** 32;

/**
 * The ring's arcs: a key hashing into (previous token, token] belongs to the
 * token's owner, so each token owns the stretch before it; the first token's
 * stretch wraps around from the last. Neighbouring stretches with the same
 * label (the member by default; its state for the state band) are merged, so
 * the picture draws few paths and no seams between them.
 */
export function arcs(ring: readonly (readonly [number, string])[], label: (member: string) => string = (m) => m): Arc[] {
  if (ring.length === 0) return [];
  const out: Arc[] = [];
  const last = ring[ring.length - 1]!;
  // The wrap-around stretch, from the last token to the top of the circle.
  if (last[0] < RING_SIZE - 1) out.push({ start: last[0] / RING_SIZE, end: 1, member: label(ring[0]![1]) });
  let previous = 0;
  for (const [token, member] of ring) {
    const start = previous / RING_SIZE;
    const end = token / RING_SIZE;
    const tail = out[out.length - 1];
    const name = label(member);
    if (tail !== undefined && tail.member === name && tail.end === start) out[out.length - 1] = { ...tail, end };
    else if (end > start) out.push({ start, end, member: name });
    previous = token;
  }
  // The wrap-around stretch and the first one may be one arc across the top: join them.
  const [wrap, first] = out;
  if (out.length >= 2 && wrap!.end === 1 && first!.start === 0 && wrap!.member === first!.member) {
    out.splice(0, 2, { start: wrap!.start, end: 1 + first!.end, member: wrap!.member });
  }
  return out;
}

/** The share of the ring each member owns (its primary ranges), 0..1. */
export function ownership(ring: readonly (readonly [number, string])[]): Map<string, number> {
  const shares = new Map<string, number>();
  for (const arc of arcs(ring)) shares.set(arc.member, (shares.get(arc.member) ?? 0) + arc.end - arc.start);
  return shares;
}

/** The SVG path of an arc on a circle of radius `r` around (cx, cy). */
export function arcPath(cx: number, cy: number, r: number, start: number, end: number): string {
  const point = (f: number): string => {
    const angle = f * 2 * Math.PI - Math.PI / 2;
    return `${(cx + r * Math.cos(angle)).toFixed(2)} ${(cy + r * Math.sin(angle)).toFixed(2)}`;
  };
  // An arc of the whole circle would start and end on one point: draw it as two halves.
  if (end - start >= 0.9999) return `M ${point(0)} A ${r} ${r} 0 1 1 ${point(0.5)} A ${r} ${r} 0 1 1 ${point(0)}`;
  const large = end - start > 0.5 ? 1 : 0;
  return `M ${point(start)} A ${r} ${r} 0 ${large} 1 ${point(end)}`;
}

/** Replica balance: the most loaded ring member's live keys over the mean; undefined without data. */
export function balance(nodes: readonly ClusterNode[]): number | undefined {
  const counts = nodes
    .filter((n) => n.reachable && (n.state === "alive" || n.state === "suspect") && n.keys !== undefined)
    .map((n) => n.keys!);
  const total = counts.reduce((a, b) => a + b, 0);
  if (counts.length === 0 || total === 0) return undefined;
  return Math.max(...counts) / (total / counts.length);
}

/** Operations a node served (reads where reported, and writes). */
export function operations(node: ClusterNode): number | undefined {
  if (node.groupCommit === undefined) return undefined;
  return node.groupCommit.writes + (node.reads ?? 0);
}

/**
 * Operations per second between two samples of a node; undefined when either
 * lacks the counts or the counter went back (the object restarted).
 */
export function opsPerSecond(before: ClusterNode | undefined, after: ClusterNode, elapsedMs: number): number | undefined {
  if (before === undefined || elapsedMs <= 0) return undefined;
  const a = operations(before);
  const b = operations(after);
  if (a === undefined || b === undefined || b < a) return undefined;
  return ((b - a) * 1000) / elapsedMs;
}

/** Writes per storage commit (group commit); undefined before the first commit. */
export function commitRatio(node: ClusterNode): number | undefined {
  const gc = node.groupCommit;
  return gc === undefined || gc.commits === 0 ? undefined : gc.writes / gc.commits;
}

export function cacheHitRate(storage: StorageInfo | undefined): number | undefined {
  if (storage === undefined) return undefined;
  const hits = storage.cacheHits ?? storage.cache?.hits;
  const misses = storage.cacheMisses ?? storage.cache?.misses;
  if (hits === undefined || misses === undefined || hits + misses === 0) return undefined;
  return hits / (hits + misses);
}

/** One membership event, with every node that saw it. */
export interface SeenEvent extends RecentEvent {
  readonly seenBy: readonly string[];
}

/**
 * The cluster's last membership events, newest first: the same event (member,
 * type, incarnation) seen by several nodes is shown once, at the first time
 * any of them saw it.
 */
export function recentEvents(nodes: readonly ClusterNode[], limit: number): SeenEvent[] {
  const byId = new Map<string, { event: RecentEvent; seenBy: string[] }>();
  for (const node of nodes) {
    for (const event of node.events ?? []) {
      const id = `${event.member}\n${event.type}\n${event.incarnation}`;
      const seen = byId.get(id);
      if (seen === undefined) byId.set(id, { event, seenBy: [node.name] });
      else {
        if (event.at < seen.event.at) seen.event = event;
        if (!seen.seenBy.includes(node.name)) seen.seenBy.push(node.name);
      }
    }
  }
  return [...byId.values()]
    .map(({ event, seenBy }) => ({ ...event, seenBy: seenBy.sort() }))
    .sort((a, b) => b.at - a.at)
    .slice(0, limit);
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return "—";
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatNumber(value: number | undefined, digits = 0): string {
  return value === undefined ? "—" : value.toFixed(digits);
}

export function formatPercent(value: number | undefined): string {
  return value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
}

export function describeFault(fault: ClusterNode["fault"]): string {
  if (fault === undefined) return "—";
  if (fault.mode === "slow") return `slow ${fault.delayMs ?? "?"} ms`;
  if (fault.mode === "partition") return `partition from ${(fault.peers ?? []).join(", ")}`;
  return fault.mode;
}
