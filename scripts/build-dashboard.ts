/**
 * Builds the dashboard into `build/public`, the Worker's static assets
 * (`[assets]` in wrangler.toml): `dashboard.html` (served at /dashboard) and
 * `dashboard/app.js`, `dashboard/app.css`. The TypeScript is bundled by esbuild
 * (the bundler wrangler itself uses) into one file with no imports, so the page
 * loads nothing but its own three files (and `app.js.map`, for developer
 * tools): it works offline.
 *
 * `npm run dev`, `npm run build` and vitest's config call it, so a fresh clone
 * never serves (or tests against) a stale or missing page.
 */
import { buildSync } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ASSETS_DIR = join(root, "build", "public");

export function buildDashboard(): void {
  const source = join(root, "dashboard");
  const out = join(ASSETS_DIR, "dashboard");
  mkdirSync(out, { recursive: true });
  buildSync({
    entryPoints: [join(source, "src", "main.ts")],
    outfile: join(out, "app.js"),
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    sourcemap: "linked",
    logLevel: "warning",
  });
  copyFileSync(join(source, "style.css"), join(out, "app.css"));
  copyFileSync(join(source, "index.html"), join(ASSETS_DIR, "dashboard.html"));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) buildDashboard();
