/**
 * The system under test, started locally: the deploy bundle (`wrangler deploy
 * --dry-run`) served by workerd through Miniflare's API, so requests reach the
 * runtime directly instead of through `wrangler dev`'s proxy.
 *
 * Each configuration (quorum over RPC, N=1, quorum over stub.fetch) is its own
 * Miniflare instance, hence its own workerd process and in-memory storage; only
 * the one under load uses CPU.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import ts from "typescript";
import { BENCH_ADMIN_TOKEN } from "./workloads";

const run = promisify(execFile);

export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** Builds the deploy bundle offline; returns the path of its entry module. */
export async function buildBundle(outdir = mkdtempSync(join(tmpdir(), "ringkv-bench-")), sourceDir = ROOT): Promise<string> {
  await run("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir], {
    cwd: sourceDir,
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    maxBuffer: 16 * 1024 * 1024,
  });
  return join(outdir, "index.js");
}

/**
 * The platform-floor worker (bench/floor/worker.ts) as a module workerd can run.
 * It imports nothing but `cloudflare:workers`, so stripping its types is all the
 * building it needs.
 */
export function buildFloor(outdir = mkdtempSync(join(tmpdir(), "ringkv-floor-"))): string {
  const source = readFileSync(join(ROOT, "bench", "floor", "worker.ts"), "utf8");
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  });
  const path = join(outdir, "floor.js");
  writeFileSync(path, outputText);
  return path;
}

export interface WranglerSettings {
  readonly compatibilityDate: string;
  readonly vars: Record<string, string>;
  /** wrangler.toml's `[assets]`: its string keys, and `run_worker_first` as a list. */
  readonly assets?: AssetSettings;
}

export interface AssetSettings {
  readonly directory: string;
  readonly html_handling?: string;
  readonly not_found_handling?: string;
  readonly run_worker_first?: readonly string[];
}

/**
 * The compatibility date and `[vars]` of wrangler.toml. Only the subset this
 * project's file uses is read (`key = "string"` lines and comments); anything
 * else inside `[vars]` is an error rather than a silent guess.
 */
export function readWranglerToml(path = join(ROOT, "wrangler.toml")): WranglerSettings {
  let section = "";
  let compatibilityDate = "";
  const vars: Record<string, string> = {};
  const assets: Record<string, string | string[]> = {};
  for (const [n, raw] of readFileSync(path, "utf8").split("\n").entries()) {
    const line = raw.replace(/^\s+|\s+$/g, "");
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[+([^\]]+)\]+$/.exec(line);
    if (header) {
      section = header[1]!.trim();
      continue;
    }
    const pair = /^([A-Za-z0-9_]+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(#.*)?$/.exec(line);
    if (section === "" && pair?.[1] === "compatibility_date") compatibilityDate = pair[2]!;
    if (section === "assets") readAssetLine(assets, pair, line, n + 1);
    if (section !== "vars") continue;
    if (!pair) throw new Error(`wrangler.toml:${n + 1}: cannot read this [vars] line: ${line}`);
    vars[pair[1]!] = tomlString(pair);
  }
  if (compatibilityDate === "") throw new Error("wrangler.toml has no compatibility_date");
  if (assets.directory === undefined) return { compatibilityDate, vars };
  return { compatibilityDate, vars, assets: { ...assets, directory: resolve(dirname(path), assets.directory as string) } };
}

/** The value of a `key = "string"` line, its escapes undone. */
function tomlString(pair: RegExpExecArray): string {
  return JSON.parse(`"${pair[2]!}"`) as string;
}

/** One `[assets]` line: `key = "string"`, or `run_worker_first = ["rule", ...]` on one line. */
function readAssetLine(assets: Record<string, string | string[]>, pair: RegExpExecArray | null, line: string, n: number): void {
  if (pair) {
    assets[pair[1]!] = tomlString(pair);
    return;
  }
  const list = /^run_worker_first\s*=\s*(\[[^\]]*\])\s*(#.*)?$/.exec(line);
  if (!list) throw new Error(`wrangler.toml:${n}: cannot read this [assets] line: ${line}`);
  assets.run_worker_first = JSON.parse(list[1]!) as string[];
}

/**
 * Miniflare's assets option for `[assets]`, routed as wrangler dev routes it:
 * `run_worker_first` rules go to the Worker, the `!` rules to the assets.
 */
function miniflareAssets(assets: AssetSettings) {
  const rules = assets.run_worker_first ?? [];
  const staticRouting = {
    user_worker: rules.filter((r) => !r.startsWith("!")),
    asset_worker: rules.filter((r) => r.startsWith("!")).map((r) => r.slice(1)),
  };
  return {
    directory: assets.directory,
    routerConfig: { has_user_worker: true, ...(rules.length > 0 && { static_routing: staticRouting }) },
    assetConfig: {
      ...(assets.html_handling !== undefined && { html_handling: assets.html_handling as "auto-trailing-slash" }),
      ...(assets.not_found_handling !== undefined && { not_found_handling: assets.not_found_handling as "none" }),
    },
  };
}

export interface LocalCluster {
  readonly label: string;
  readonly url: URL;
  /** The workerd process serving it, for CPU accounting; undefined if not found. */
  readonly pid: number | undefined;
  readonly vars: Readonly<Record<string, string>>;
  readonly inspectorPort: number | undefined;
  readonly storage: "tmpfs" | "disk";
  dispose(): Promise<void>;
}

export interface StartOptions {
  readonly label: string;
  readonly scriptPath: string;
  readonly settings: WranglerSettings;
  /** Per-run overrides of wrangler.toml's vars, e.g. REPLICAS=1. */
  readonly overrides?: Record<string, string>;
  /** Opens workerd's inspector (Chrome DevTools protocol) on this port; 0 for a free one (`LocalCluster.inspectorPort` says which). */
  readonly inspectorPort?: number;
  /**
   * Where the objects' SQLite files live. "tmpfs" (default) puts them on
   * /dev/shm, so a write costs what workerd and SQLite spend, not the fsync
   * latency of this machine's shared virtual disk; "disk" keeps Miniflare's
   * default (a temporary directory under os.tmpdir()).
   */
  readonly storage?: "tmpfs" | "disk";
  /** Which worker the script is: ringkv's bundle (default) or the platform floor. */
  readonly worker?: "ringkv" | "floor";
  /** The port to listen on; a free one when unset. */
  readonly port?: number;
  readonly host?: string;
  /**
   * A state directory laid out as `wrangler dev --persist-to` lays it out
   * (`<dir>/v3/do/ringkv-RingNode/...`), kept after dispose; overrides `storage`.
   */
  readonly persistTo?: string;
  /**
   * Serves wrangler.toml's `[assets]` (the dashboard) as `npm run dev` does.
   * Off in the benchmark, whose figures measure the Worker alone.
   */
  readonly assets?: boolean;
}

export async function startCluster(options: StartOptions): Promise<LocalCluster> {
  // The data API open, as under `npm run dev`: the benchmark measures the store, not token checks.
  const vars = { ...options.settings.vars, DATA_AUTH: "open", ...options.overrides };
  const before = new Set(workerdChildren());
  const persistent = options.persistTo !== undefined;
  const storageDir =
    !persistent && (options.storage ?? "tmpfs") === "tmpfs" && existsSync("/dev/shm") ? mkdtempSync("/dev/shm/ringkv-bench-") : undefined;
  const mf = new Miniflare({
    // The name wrangler gives the worker, so a persisted state directory is shared with `npm run dev`.
    name: options.worker === "floor" ? "floor" : "ringkv",
    modules: true,
    scriptPath: options.scriptPath,
    modulesRoot: dirname(options.scriptPath),
    compatibilityDate: options.settings.compatibilityDate,
    durableObjects:
      options.worker === "floor"
        ? { FLOOR: { className: "FloorReplica", useSQLite: true } }
        : { RING_NODE: { className: "RingNode", useSQLite: true } },
    bindings: vars,
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    cf: false,
    ...(storageDir === undefined ? {} : { durableObjectsPersist: storageDir }),
    ...(persistent && { defaultPersistRoot: join(options.persistTo, "v3") }),
    ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
    ...(options.assets === true && options.settings.assets !== undefined && { assets: miniflareAssets(options.settings.assets) }),
  });
  const url = await mf.ready;
  const inspectorPort = options.inspectorPort === undefined ? undefined : Number((await mf.getInspectorURL()).port);
  const pid = workerdChildren().find((p) => !before.has(p));
  return {
    label: options.label,
    url,
    pid,
    vars,
    inspectorPort,
    storage: storageDir === undefined ? "disk" : "tmpfs",
    dispose: async () => {
      await mf.dispose();
      if (storageDir !== undefined) rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

/** Pids of this process's workerd children (Miniflare spawns one per instance). */
export function workerdChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && comm.startsWith("workerd")) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** The workerd version Miniflare runs, for the report. */
export async function workerdVersion(): Promise<string> {
  try {
    const { stdout } = await run("npx", ["workerd", "--version"], { cwd: ROOT });
    return stdout.trim();
  } catch {
    return "unknown";
  }
}

/** Holds `node` slow with the fault switch (the cluster needs FAULT_SWITCH_VARS): every call it gets answers `delayMs` late. */
export async function holdSlow(url: string | URL, node: string, delayMs: number): Promise<void> {
  const response = await fetch(new URL(`/admin/nodes/${node}/fault`, url), {
    method: "POST",
    headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ mode: "slow", delayMs }),
  });
  if (!response.ok) throw new Error(`slowing ${node}: ${response.status} ${await response.text()}`);
}
