/**
 * npm start [-- --port 8787] [--ip 127.0.0.1] [--persist-to DIR] [--var KEY:VALUE ...] [--dashboard]
 *
 * Serves the deploy bundle (`wrangler deploy --dry-run`) through Miniflare's API,
 * as the benchmark does, instead of through `wrangler dev`'s proxy: the server
 * for local load tests. Same flags, defaults and vars as `npm run dev` (the dev
 * script's `--var`s, wrangler.toml's [dev] port, state in .wrangler/state,
 * shared with `npm run dev`), but no file watching and no reload.
 *
 * `--dashboard` also serves the dashboard at /dashboard, through the assets
 * router as `npm run dev` does. It is off by default so that this server is the
 * benchmark's, which has no assets router in front of every request (its cost:
 * docs/performance.md, "Tails and the dev path").
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildBundle, readWranglerToml, ROOT, startCluster } from "../bench/cluster";
import { buildDashboard } from "./build-dashboard";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    ip: { type: "string", default: "127.0.0.1" },
    "persist-to": { type: "string", default: join(ROOT, ".wrangler", "state") },
    var: { type: "string", multiple: true },
    dashboard: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log("npm start -- [--port PORT] [--ip IP] [--persist-to DIR] [--var KEY:VALUE ...] [--dashboard]");
  process.exit(0);
}

/** The `--var KEY:VALUE` flags of the `dev` script in package.json, so both servers start alike. */
function devScriptVars(): Record<string, string> {
  const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  return Object.fromEntries([...(scripts.dev ?? "").matchAll(/--var\s+([A-Za-z0-9_]+):(\S*)/g)].map((m) => [m[1]!, m[2]!]));
}

function varFlags(flags: readonly string[] | undefined): Record<string, string> {
  return Object.fromEntries(
    (flags ?? []).map((flag) => {
      const colon = flag.indexOf(":");
      if (colon < 1) throw new Error(`--var KEY:VALUE, got ${flag}`);
      return [flag.slice(0, colon), flag.slice(colon + 1)];
    }),
  );
}

/** wrangler.toml's `[dev] port`, the port `npm run dev` uses by default. */
function devPort(): number {
  const match = /^\[dev\][^[]*?^port\s*=\s*(\d+)/m.exec(readFileSync(join(ROOT, "wrangler.toml"), "utf8"));
  return match ? Number(match[1]) : 8787;
}

const port = values.port === undefined ? devPort() : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got ${values.port}`);

console.log("building the deploy bundle...");
if (values.dashboard) buildDashboard();
const cluster = await startCluster({
  assets: values.dashboard,
  label: "start",
  scriptPath: await buildBundle(),
  settings: readWranglerToml(),
  overrides: { ...devScriptVars(), ...varFlags(values.var) },
  port,
  host: values.ip,
  persistTo: resolve(values["persist-to"]),
});
console.log(`ringkv ready on ${cluster.url.href} (workerd through Miniflare's API; state in ${resolve(values["persist-to"])})`);
console.log(
  values.dashboard
    ? `dashboard: ${new URL("dashboard", cluster.url).href}`
    : "dashboard: not served (start with -- --dashboard, or use npm run dev)",
);
console.log("press Ctrl-C to stop");

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  cluster.dispose().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error("stopping failed:", error);
      process.exit(1);
    },
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
