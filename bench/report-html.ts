/**
 * The report as one self-contained HTML file: inline SVG charts drawn here, no
 * script, no CDN, nothing fetched; it opens from disk.
 */
import type { BaselineSummary, Ratios, RunRecord, Target } from "./analysis";

export interface BenchReport {
  readonly mode: string;
  readonly started_at: string;
  readonly duration_s: number;
  readonly target: unknown;
  readonly environment: Readonly<Record<string, unknown>>;
  readonly settings: {
    readonly vars: Readonly<Record<string, string>>;
    readonly clusters: Readonly<Record<string, { title: string; overrides: Readonly<Record<string, string>> }>>;
    readonly [key: string]: unknown;
  };
  readonly runs: readonly RunRecord[];
  readonly ratios: Ratios;
  readonly ring_lookups_per_s: number;
  readonly targets: readonly Target[];
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

interface Series {
  readonly label: string;
  readonly color: string;
  readonly dashed?: boolean;
  readonly points: readonly (readonly [number, number])[];
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : "n/a");

/** Nice ticks for a linear axis from 0 to max. */
function linearTicks(max: number): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step * 0.001; t += step) ticks.push(t);
  if (ticks[ticks.length - 1]! < max) ticks.push(ticks[ticks.length - 1]! + step);
  return ticks;
}

/** 1-2-5 ticks for a log axis covering [min, max]. */
function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= min / 1.0001 && t <= max * 1.0001) ticks.push(t);
    }
  }
  return ticks;
}

function tickLabel(t: number): string {
  if (t >= 1000) return `${t / 1000}k`;
  if (t >= 1) return String(Math.round(t * 100) / 100);
  return String(Number(t.toPrecision(2)));
}

interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Maps a data x to the plotted x (e.g. log2 of the concurrency, or "nines"). */
  readonly xTransform: (x: number) => number;
  readonly xTicks: readonly { value: number; label: string }[];
  readonly yLog?: boolean;
  readonly width?: number;
  readonly height?: number;
}

function chart(series: readonly Series[], o: ChartOptions): string {
  const width = o.width ?? 820;
  const height = o.height ?? 360;
  const m = { left: 64, right: 290, top: 34, bottom: 48 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (all.length === 0) return `<p class="note">${esc(o.title)}: no data.</p>`;
  const xs = o.xTicks.map((t) => o.xTransform(t.value));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const ys = all.map(([, y]) => y);
  let yTicks: number[];
  let yMin: number;
  let yMax: number;
  if (o.yLog) {
    const lo = Math.max(1e-3, Math.min(...ys.filter((y) => y > 0)));
    const hi = Math.max(...ys);
    yMin = 10 ** Math.floor(Math.log10(lo));
    yMax = 10 ** Math.ceil(Math.log10(hi));
    yTicks = logTicks(yMin, yMax);
  } else {
    yTicks = linearTicks(Math.max(...ys));
    yMin = 0;
    yMax = yTicks[yTicks.length - 1]!;
  }
  const px = (x: number) => m.left + ((o.xTransform(x) - xMin) / (xMax - xMin || 1)) * plotW;
  const py = (y: number) =>
    o.yLog
      ? m.top + plotH - ((Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH
      : m.top + plotH - ((y - yMin) / (yMax - yMin || 1)) * plotH;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(o.title)}">`,
  );
  parts.push(`<text x="${m.left}" y="20" class="ct">${esc(o.title)}</text>`);
  for (const t of yTicks) {
    const y = py(t);
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y + 4}" text-anchor="end" class="tick">${tickLabel(t)}</text>`);
  }
  for (const t of o.xTicks) {
    const x = px(t.value);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + plotH}" class="grid"/>`);
    parts.push(`<text x="${x}" y="${m.top + plotH + 16}" text-anchor="middle" class="tick">${esc(t.label)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 8}" text-anchor="middle" class="axis">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis">${esc(o.yLabel)}</text>`);
  for (const s of series) {
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    if (pts.length === 0) continue;
    const d = pts.map(([x, y], i) => `${i === 0 ? "M" : "L"}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    if (pts.length <= 8) {
      for (const [x, y] of pts)
        parts.push(
          `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(s.label)}: ${fmt(y, 2)}</title></circle>`,
        );
    }
  }
  series.forEach((s, i) => {
    const y = m.top + 8 + i * 18;
    const x = m.left + plotW + 14;
    parts.push(
      `<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
    );
    parts.push(`<text x="${x + 28}" y="${y + 4}" class="legend">${esc(s.label)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

/** Percentile axis in "nines": 0 → 0%, 1 → 90%, 2 → 99%, 3 → 99.9%, 4 → 99.99%. */
const nines = (p: number): number => (p >= 100 ? 4.3 : -Math.log10(1 - p / 100));
const PERCENTILE_TICKS = [
  { value: 0, label: "0%" },
  { value: 50, label: "50%" },
  { value: 90, label: "90%" },
  { value: 99, label: "99%" },
  { value: 99.9, label: "99.9%" },
  { value: 99.99, label: "99.99%" },
];

function cdfChart(title: string, runs: readonly { label: string; run: RunRecord }[]): string {
  const series = runs.map(({ label, run }, i) => ({
    label: `${label} (p99 ${fmt(run.p99_ms)} ms)`,
    color: PALETTE[i % PALETTE.length]!,
    dashed: run.cluster === "n1" || run.cluster === "noop",
    points: run.cdf.filter(([p]) => p < 100).map(([p, ms]) => [p, ms] as const),
  }));
  return chart(series, {
    title,
    xLabel: "percentile (log scale of 1/(1-p))",
    yLabel: "latency, ms (log)",
    xTransform: nines,
    xTicks: PERCENTILE_TICKS,
    yLog: true,
  });
}

const CONCURRENCY_TICKS = [1, 8, 32, 128].map((c) => ({ value: c, label: String(c) }));

function baselineLabel(b: { cluster: string; mix: string }): string {
  if (b.cluster === "noop") return "no-op GET /health";
  const names: Record<string, string> = {
    quorum: "quorum RPC",
    n1: "N=1",
    fetch: "quorum fetch",
    floor3: "floor 3 objects",
    floor1: "floor 1 object",
  };
  const who = names[b.cluster] ?? b.cluster;
  return `${who} ${b.mix}`;
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], className = ""): string {
  return (
    `<table class="${className}"><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("") +
    "</tbody></table>"
  );
}

export function renderHtml(report: BenchReport, baselines: readonly BaselineSummary[]): string {
  const r = report.ratios;
  const body: string[] = [];
  body.push(`<h1>ringkv benchmark: ${esc(report.mode)} run, ${esc(report.started_at)}</h1>`);
  body.push(
    `<p class="note">${report.runs.length} runs in ${fmt(report.duration_s, 0)} s. Throughput is requests completed per second inside each run's window (closed loop, fixed connections); latency percentiles come from an HDR histogram (µs). ` +
      `Figures drift between runs on a shared 2-core machine: compare within this report, by the ratios.</p>`,
  );

  body.push("<h2>Targets</h2>");
  body.push(
    table(
      ["target", "measured", "goal", ""],
      report.targets.map((t) => [
        esc(t.name),
        t.value === null ? "n/a" : t.value >= 1000 ? `${(t.value / 1e6).toFixed(2)} M/s` : fmt(t.value, 3),
        esc(t.goal),
        t.pass === null ? "n/a" : t.pass ? '<span class="pass">PASS</span>' : '<span class="miss">MISS</span>',
      ]),
    ),
  );

  body.push(`<h2>Ratios at ${r.connections} connections</h2>`);
  const per = (name: string) => {
    const d = r.detail[`c${r.connections}`]?.[name];
    return d ? d.perRound.map((x) => fmt(x)).join(", ") : "";
  };
  body.push(
    table(
      ["ratio", "median", "per round"],
      [
        ["read throughput, quorum / N=1", fmt(r.read ?? NaN), per("read")],
        ["write throughput, quorum / N=1", fmt(r.write ?? NaN), per("write")],
        ["read p99, quorum / N=1", fmt(r.read_p99 ?? NaN), per("read_p99")],
        ["write p99, quorum / N=1", fmt(r.write_p99 ?? NaN), per("write_p99")],
        ["read workerd CPU per request, quorum / N=1", fmt(r.read_cost ?? NaN), per("read_cost")],
        ["write workerd CPU per request, quorum / N=1", fmt(r.write_cost ?? NaN), per("write_cost")],
        ["read throughput, quorum RPC / quorum stub.fetch", fmt(r.rpc_vs_fetch_read ?? NaN), per("rpc_vs_fetch_read")],
        ["write throughput, quorum RPC / quorum stub.fetch", fmt(r.rpc_vs_fetch_write ?? NaN), per("rpc_vs_fetch_write")],
        ["read throughput, platform floor 3 objects / 1 (no ringkv code)", fmt(r.floor_read ?? NaN), per("floor_read")],
        ["write throughput, platform floor 3 objects / 1 (no ringkv code)", fmt(r.floor_write ?? NaN), per("floor_write")],
        ["read ratio, ringkv / platform floor", fmt(r.read_vs_floor ?? NaN), ""],
        ["write ratio, ringkv / platform floor", fmt(r.write_vs_floor ?? NaN), ""],
        ["p99, quorum 90/10 / read-only", fmt(r.tails.mixed_p99 ?? NaN), per("mixed_p99")],
        ["p99.9, quorum 90/10 / read-only", fmt(r.tails.mixed_p999 ?? NaN), per("mixed_p999")],
        ["read throughput, one replica slow / healthy", fmt(r.tails.slow_read ?? NaN), per("slow_read")],
        ["read p99, one replica slow / healthy", fmt(r.tails.slow_read_p99 ?? NaN), per("slow_read_p99")],
        ["write p99, one replica slow / healthy", fmt(r.tails.slow_write_p99 ?? NaN), per("slow_write_p99")],
        ...Object.entries(r.vs_noop).map(([k, v]) => [`${esc(k.replace("_", " "))} / no-op`, fmt(v ?? NaN), ""]),
      ],
    ),
  );

  // Baselines: throughput against concurrency, and the latency CDF at the ratio concurrency.
  const groups = new Map<string, BaselineSummary[]>();
  for (const b of baselines) {
    const key = `${b.cluster}|${b.mix}`;
    groups.set(key, [...(groups.get(key) ?? []), b]);
  }
  const baseSeries: Series[] = [...groups.values()].map((list, i) => ({
    label: baselineLabel(list[0]!),
    color: PALETTE[i % PALETTE.length]!,
    dashed: list[0]!.cluster === "n1" || list[0]!.cluster === "noop",
    points: list.map((b) => [b.connections, b.rps] as const).sort((a, b) => a[0] - b[0]),
  }));
  body.push("<h2>Baselines</h2>");
  body.push(
    `<p class="note">Uniform keys, 100 B values. Each point is the median of ${esc(String(report.settings.rounds))} interleaved rounds at the ratio concurrency (${esc(String(report.settings.other_rounds ?? report.settings.rounds))} at the others) (the runs of a round follow each other, so drift hits every configuration alike).</p>`,
  );
  if (new Set(baselines.map((b) => b.connections)).size > 1) {
    body.push(
      chart(baseSeries, {
        title: "Throughput against concurrency",
        xLabel: "connections (log scale)",
        yLabel: "requests/s",
        xTransform: Math.log2,
        xTicks: CONCURRENCY_TICKS.filter((t) => baselines.some((b) => b.connections === t.value)),
      }),
    );
  }
  const atRatio = baselines.filter((b) => b.connections === r.connections);
  body.push(
    cdfChart(
      `Latency by percentile, reads and no-op, ${r.connections} connections`,
      atRatio.filter((b) => b.mix !== "write").map((b) => ({ label: baselineLabel(b), run: b.representative })),
    ),
  );
  body.push(
    cdfChart(
      `Latency by percentile, writes and no-op, ${r.connections} connections`,
      atRatio.filter((b) => b.mix !== "read").map((b) => ({ label: baselineLabel(b), run: b.representative })),
    ),
  );
  const timelines = atRatio
    .filter((b) => b.representative.timeline.length > 1)
    .map((b, i) => ({
      label: baselineLabel(b),
      color: PALETTE[i % PALETTE.length]!,
      dashed: b.cluster === "n1" || b.cluster === "noop",
      points: b.representative.timeline.map(([t, n]) => [t / 1000, n * 4] as const),
    }));
  if (timelines.length > 0) {
    const span = Math.max(...timelines.flatMap((t) => t.points.map(([x]) => x)));
    const step = span > 6 ? 1 : 0.5;
    body.push(
      chart(timelines, {
        title: `Throughput over each run's window, ${r.connections} connections (250 ms slices)`,
        xLabel: "seconds into the window",
        yLabel: "requests/s",
        xTransform: (x) => x,
        xTicks: Array.from({ length: Math.floor(span / step) + 1 }, (_, i) => ({ value: i * step, label: String(i * step) })),
      }),
    );
  }
  body.push(
    table(
      ["workload", "connections", "req/s (median)", "min-max", "p50 ms", "p99 ms", "p99.9 ms", "errors", "workerd µs/req"],
      baselines.map((b) => [
        esc(baselineLabel(b)),
        String(b.connections),
        fmt(b.rps, 0),
        `${fmt(b.rps_min, 0)}-${fmt(b.rps_max, 0)}`,
        fmt(b.p50_ms),
        fmt(b.p99_ms),
        fmt(b.p999_ms),
        String(b.errors),
        b.server_us_per_request === null ? "-" : fmt(b.server_us_per_request, 0),
      ]),
    ),
  );

  // The workload matrix on the quorum configuration.
  const matrix = report.runs.filter((x) => x.phase === "matrix");
  if (matrix.length > 0) {
    body.push("<h2>Workloads (quorum, RPC)</h2>");
    const maxRps = Math.max(...matrix.map((x) => x.rps));
    const levels = [...new Set(matrix.map((x) => x.connections))].sort((a, b) => a - b);
    const rowsKey = [...new Set(matrix.map((x) => `${x.mix}|${x.distribution}|${x.value_bytes}`))];
    body.push(
      table(
        ["mix", "keys", "value", ...levels.map((c) => `c=${c}: req/s, p99 ms`)],
        rowsKey.map((k) => {
          const [mix, distribution, bytes] = k.split("|");
          return [
            esc(mix!),
            esc(distribution!),
            Number(bytes) === 100 ? "100 B" : "10 KiB",
            ...levels.map((c) => {
              const run = matrix.find((x) => `${x.mix}|${x.distribution}|${x.value_bytes}` === k && x.connections === c);
              if (!run) return "";
              const w = Math.round((run.rps / maxRps) * 100);
              return `<div class="bar" style="width:${w}%"></div><span>${fmt(run.rps, 0)}</span> <span class="dim">${fmt(run.p99_ms, 1)}</span>${run.errors > 0 ? ` <span class="miss">${run.errors} err</span>` : ""}`;
            }),
          ];
        }),
        "matrix",
      ),
    );
    const cdfLevel = levels.includes(r.connections) ? r.connections : levels[levels.length - 1]!;
    for (const bytes of [100, 10240]) {
      const chosen = matrix.filter((x) => x.connections === cdfLevel && x.value_bytes === bytes);
      if (chosen.length === 0) continue;
      body.push(
        cdfChart(
          `Latency by percentile, ${bytes === 100 ? "100 B" : "10 KiB"} values, ${cdfLevel} connections`,
          chosen.map((x) => ({ label: `${x.mix} ${x.distribution}`, run: x })),
        ),
      );
    }
    if (levels.length > 1) {
      const mixes = [...new Set(matrix.map((x) => x.mix))];
      const series: Series[] = [];
      for (const bytes of [100, 10240]) {
        for (const mix of mixes) {
          const pts = matrix
            .filter((x) => x.mix === mix && x.distribution === "uniform" && x.value_bytes === bytes)
            .map((x) => [x.connections, x.rps] as const)
            .sort((a, b) => a[0] - b[0]);
          if (pts.length > 0) {
            series.push({
              label: `${mix}, ${bytes === 100 ? "100 B" : "10 KiB"}`,
              color: PALETTE[series.length % PALETTE.length]!,
              dashed: bytes !== 100,
              points: pts,
            });
          }
        }
      }
      body.push(
        chart(series, {
          title: "Throughput against concurrency, uniform keys",
          xLabel: "connections (log scale)",
          yLabel: "requests/s",
          xTransform: Math.log2,
          xTicks: CONCURRENCY_TICKS.filter((t) => levels.includes(t.value)),
        }),
      );
    }
  }

  body.push("<h2>Every run</h2>");
  body.push(
    '<p class="note">CPU in cores\' worth (1.00 = one core busy for the whole window): workerd (the server), the load generator process, and everything else on the machine. A run whose "other" column is high shared the machine with something else.</p>',
  );
  body.push(
    table(
      ["run", "req/s", "p50", "p90", "p99", "p99.9", "max", "errors", "workerd", "loadgen", "other", "µs/req"],
      report.runs.map((x) => [
        esc(x.name),
        fmt(x.rps, 0),
        fmt(x.p50_ms),
        fmt(x.p90_ms),
        fmt(x.p99_ms),
        fmt(x.p999_ms),
        fmt(x.max_ms, 1),
        x.errors > 0 ? `<span class="miss">${x.errors}</span>` : "0",
        x.cpu.server === null ? "-" : fmt(x.cpu.server),
        fmt(x.cpu.loadgen),
        x.cpu.others === null ? "-" : fmt(x.cpu.others),
        x.server_us_per_request === null ? "-" : fmt(x.server_us_per_request, 0),
      ]),
      "runs",
    ),
  );

  const failing = report.runs.filter((x) => x.error_samples.length > 0);
  if (failing.length > 0) {
    body.push("<h2>Errors</h2>");
    body.push(
      table(
        ["run", "errors", "status codes", "first answers"],
        failing.map((x) => [
          esc(x.name),
          String(x.errors),
          esc(JSON.stringify(Object.fromEntries(Object.entries(x.status_codes).filter(([c]) => !c.startsWith("2"))))),
          `<pre>${esc([...new Set(x.error_samples.map((e) => e.split("\n")[0]!))].join("\n"))}</pre>`,
        ]),
      ),
    );
  }

  body.push("<h2>Settings and environment</h2>");
  body.push(
    `<pre>${esc(JSON.stringify({ target: report.target, environment: report.environment, settings: report.settings }, null, 2))}</pre>`,
  );

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ringkv benchmark ${esc(report.started_at)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:12px 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:middle}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
table.matrix td{position:relative;min-width:130px}
.bar{position:absolute;left:0;top:2px;bottom:2px;background:#dbe9f6;z-index:0}
table.matrix td span{position:relative;z-index:1}
.dim{color:#777}.pass{color:#157f1f;font-weight:600}.miss{color:#b3261e;font-weight:600}
.note{color:#555;max-width:900px}
svg{display:block;margin:16px 0;background:#fff}
svg .ct{font-size:14px;font-weight:600}svg .tick{font-size:11px;fill:#555}svg .axis{font-size:12px;fill:#333}svg .legend{font-size:12px}
svg .grid{stroke:#eee}svg .frame{fill:none;stroke:#999}
pre{background:#f7f7f7;padding:12px;overflow:auto;font-size:12px}
table.runs{font-size:12px}
</style></head><body>
${body.join("\n")}
</body></html>
`;
}
