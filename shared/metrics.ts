/**
 * A small metrics registry: counters, gauges and histograms with fixed buckets,
 * collected into plain data (which crosses Workers RPC as it is) and rendered in
 * the Prometheus text exposition format 0.0.4. No I/O, no clock: callers observe
 * values they measured themselves.
 *
 * Values live in memory, so they start from zero whenever the isolate or the
 * object holding the registry starts; Prometheus' `rate()` and `increase()`
 * treat a counter that goes down as a reset.
 */

export type Labels = Readonly<Record<string, string>>;

export interface ValueSample {
  readonly labels: Labels;
  readonly value: number;
}

export interface HistogramSample {
  readonly labels: Labels;
  /** Upper bounds of the buckets, ascending; the last bucket (+Inf) is implicit. */
  readonly bounds: readonly number[];
  /** Observations per bucket, not cumulative: `bounds.length + 1` entries, the last above every bound. */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

export type MetricFamily =
  | { readonly name: string; readonly help: string; readonly type: "counter" | "gauge"; readonly samples: readonly ValueSample[] }
  | { readonly name: string; readonly help: string; readonly type: "histogram"; readonly samples: readonly HistogramSample[] };

/** Latency buckets in seconds, 1 ms to 10 s: a replica timeout (1 s by default) falls in the middle. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** One series per distinct label set, keyed by the labels in name order. */
class Series<T> {
  private readonly byKey = new Map<string, { labels: Labels; state: T }>();
  /**
   * The same series by labels in the order a caller wrote them: an observation
   * on a hot path finds its series without sorting. Bounded by the series
   * times the label orders the code uses (one per call site at most).
   */
  private readonly byOrder = new Map<string, T>();

  constructor(
    private readonly family: string,
    private readonly create: () => T,
    private readonly reserved: readonly string[] = [],
  ) {}

  get(labels: Labels): T {
    let order = "";
    for (const name in labels) order += `${name}=${labels[name]}\u0000`;
    const seen = this.byOrder.get(order);
    if (seen !== undefined) return seen;
    const state = this.canonical(labels);
    this.byOrder.set(order, state);
    return state;
  }

  private canonical(labels: Labels): T {
    const names = Object.keys(labels).sort();
    const key = names.map((name) => `${name}=${labels[name]}`).join("\u0000");
    let found = this.byKey.get(key);
    if (found === undefined) {
      // Checked once per series, not per observation: label names are the code's own.
      for (const name of names) {
        if (!LABEL_NAME.test(name) || name.startsWith("__") || this.reserved.includes(name)) {
          throw new TypeError(`${this.family}: invalid label name ${JSON.stringify(name)}`);
        }
      }
      found = { labels: { ...labels }, state: this.create() };
      this.byKey.set(key, found);
    }
    return found.state;
  }

  entries(): { labels: Labels; state: T }[] {
    return [...this.byKey.values()];
  }
}

export class Counter {
  private readonly series: Series<{ value: number }>;

  constructor(readonly name: string) {
    this.series = new Series(name, () => ({ value: 0 }));
  }

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new RangeError(`${this.name}: a counter only goes up (by ${by})`);
    this.series.get(labels).value += by;
  }

  /** Mirrors a monotonic total kept elsewhere (a cache's hits): set at collection time. */
  setTotal(value: number, labels: Labels = {}): void {
    this.series.get(labels).value = value;
  }

  samples(): ValueSample[] {
    return this.series.entries().map(({ labels, state }) => ({ labels, value: state.value }));
  }
}

export class Gauge {
  private readonly series: Series<{ value: number }>;

  constructor(readonly name: string) {
    this.series = new Series(name, () => ({ value: 0 }));
  }

  set(value: number, labels: Labels = {}): void {
    this.series.get(labels).value = value;
  }

  samples(): ValueSample[] {
    return this.series.entries().map(({ labels, state }) => ({ labels, value: state.value }));
  }
}

export class Histogram {
  private readonly series: Series<{ counts: number[]; sum: number; count: number }>;

  constructor(
    readonly name: string,
    readonly bounds: readonly number[],
  ) {
    if (bounds.length === 0 || bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!))) {
      throw new RangeError(`${name}: bucket bounds must be finite and ascending`);
    }
    this.series = new Series(name, () => ({ counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 }), ["le"]);
  }

  observe(value: number, labels: Labels = {}): void {
    const state = this.series.get(labels);
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    state.counts[i]!++;
    state.sum += value;
    state.count++;
  }

  samples(): HistogramSample[] {
    return this.series.entries().map(({ labels, state }) => ({
      labels,
      bounds: this.bounds,
      counts: [...state.counts],
      sum: state.sum,
      count: state.count,
    }));
  }
}

type Metric =
  | { kind: "counter"; help: string; metric: Counter }
  | { kind: "gauge"; help: string; metric: Gauge }
  | { kind: "histogram"; help: string; metric: Histogram };

export class Registry {
  private readonly metrics = new Map<string, Metric>();

  counter(name: string, help: string): Counter {
    return this.add(name, { kind: "counter", help, metric: new Counter(name) }).metric as Counter;
  }

  gauge(name: string, help: string): Gauge {
    return this.add(name, { kind: "gauge", help, metric: new Gauge(name) }).metric as Gauge;
  }

  histogram(name: string, help: string, bounds: readonly number[]): Histogram {
    return this.add(name, { kind: "histogram", help, metric: new Histogram(name, bounds) }).metric as Histogram;
  }

  /** Every metric with its series so far, in registration order; a metric never observed has no samples. */
  collect(): MetricFamily[] {
    return [...this.metrics.values()].map((m): MetricFamily => {
      const { name } = m.metric;
      if (m.kind === "histogram") return { name, help: m.help, type: "histogram", samples: m.metric.samples() };
      return { name, help: m.help, type: m.kind, samples: m.metric.samples() };
    });
  }

  private add(name: string, metric: Metric): Metric {
    if (!METRIC_NAME.test(name)) throw new TypeError(`invalid metric name ${JSON.stringify(name)}`);
    if (this.metrics.has(name)) throw new TypeError(`metric ${name} registered twice`);
    this.metrics.set(name, metric);
    return metric;
  }
}

/** The families with `labels` added to every sample (the node a scrape asked, the router isolate). */
export function withLabels(families: readonly MetricFamily[], labels: Labels): MetricFamily[] {
  return families.map((family): MetricFamily => {
    if (family.type === "histogram")
      return { ...family, samples: family.samples.map((s) => ({ ...s, labels: { ...s.labels, ...labels } })) };
    return { ...family, samples: family.samples.map((s) => ({ ...s, labels: { ...s.labels, ...labels } })) };
  });
}

/**
 * Families of the same name from several sources (every node) as one family
 * each, in order of first appearance. A later family whose type differs from the
 * first of its name (code of two versions during a deploy) is left out rather
 * than rendered as an invalid exposition.
 */
export function mergeFamilies(lists: readonly (readonly MetricFamily[])[]): MetricFamily[] {
  const merged = new Map<string, { name: string; help: string; type: MetricFamily["type"]; samples: (ValueSample | HistogramSample)[] }>();
  for (const families of lists) {
    for (const family of families) {
      const found = merged.get(family.name);
      if (found === undefined) merged.set(family.name, { ...family, samples: [...family.samples] });
      else if (found.type === family.type) found.samples.push(...family.samples);
    }
  }
  return [...merged.values()] as MetricFamily[];
}

/** The Prometheus text format, version 0.0.4: `Content-Type: text/plain; version=0.0.4`. */
export const TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

/** Renders families in the text format; ends with a newline, as the format requires. */
export function renderText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    if (family.type !== "histogram") {
      for (const s of family.samples) lines.push(`${family.name}${labelText(s.labels)} ${formatNumber(s.value)}`);
      continue;
    }
    for (const s of family.samples) {
      let cumulative = 0;
      s.bounds.forEach((bound, i) => {
        cumulative += s.counts[i] ?? 0;
        lines.push(`${family.name}_bucket${labelText(s.labels, formatNumber(bound))} ${cumulative}`);
      });
      lines.push(`${family.name}_bucket${labelText(s.labels, "+Inf")} ${s.count}`);
      lines.push(`${family.name}_sum${labelText(s.labels)} ${formatNumber(s.sum)}`);
      lines.push(`${family.name}_count${labelText(s.labels)} ${s.count}`);
    }
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

function labelText(labels: Labels, le?: string): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabel(value)}"`);
  if (le !== undefined) pairs.push(`le="${le}"`);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}
