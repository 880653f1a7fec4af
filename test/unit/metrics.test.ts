import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { mergeFamilies, Registry, renderText, withLabels, type MetricFamily } from "../../shared/metrics";

describe("Registry", () => {
  it("counts per label set, and a counter only goes up", () => {
    const registry = new Registry();
    const requests = registry.counter("app_requests_total", "Requests.");
    requests.inc({ route: "/a", status: "200" });
    requests.inc({ status: "200", route: "/a" }, 2);
    requests.inc({ route: "/a", status: "200" });
    requests.inc({ route: "/b", status: "500" });
    expect(() => requests.inc({}, -1)).toThrow(RangeError);
    expect(registry.collect()).toEqual([
      {
        name: "app_requests_total",
        help: "Requests.",
        type: "counter",
        samples: [
          { labels: { route: "/a", status: "200" }, value: 4 },
          { labels: { route: "/b", status: "500" }, value: 1 },
        ],
      },
    ]);
  });

  it("puts each observation in the first bucket whose bound it does not exceed", () => {
    const registry = new Registry();
    const latency = registry.histogram("app_seconds", "Latency.", [0.1, 1]);
    for (const v of [0.05, 0.1, 0.5, 3]) latency.observe(v);
    const [family] = registry.collect();
    expect(family!.samples).toEqual([{ labels: {}, bounds: [0.1, 1], counts: [2, 1, 1], sum: 3.65, count: 4 }]);
  });

  it("refuses bad names, duplicate metrics, unordered buckets and the reserved le label", () => {
    const registry = new Registry();
    expect(() => registry.counter("bad-name", "")).toThrow(TypeError);
    registry.gauge("app_up", "");
    expect(() => registry.counter("app_up", "")).toThrow(TypeError);
    expect(() => registry.histogram("app_h", "", [1, 0.5])).toThrow(RangeError);
    expect(() => registry.histogram("app_h2", "", [0.5, 1]).observe(1, { le: "x" })).toThrow(TypeError);
    expect(() => registry.gauge("app_g", "").set(1, { "bad-label": "x" })).toThrow(TypeError);
  });
});

describe("renderText", () => {
  it("writes HELP, TYPE and samples, cumulative buckets, and parses back", () => {
    const registry = new Registry();
    registry.counter("app_requests_total", "Requests by route.").inc({ route: "/s/key" }, 5);
    registry.gauge("app_up", "Up.").set(0, { node: "node-1" });
    // Unlabelled: the parser merges a histogram's labelled series into one (see test/integration/metrics.test.ts).
    const h = registry.histogram("app_seconds", "Latency.", [0.1, 1]);
    for (const v of [0.05, 0.5, 3]) h.observe(v);
    const text = renderText(registry.collect());
    expect(text.endsWith("\n")).toBe(true);
    expect(text).toContain('app_seconds_bucket{le="0.1"} 1\napp_seconds_bucket{le="1"} 2\napp_seconds_bucket{le="+Inf"} 3\n');
    expect(parsePrometheusTextFormat(text)).toEqual([
      { name: "app_requests_total", help: "Requests by route.", type: "COUNTER", metrics: [{ labels: { route: "/s/key" }, value: "5" }] },
      { name: "app_up", help: "Up.", type: "GAUGE", metrics: [{ labels: { node: "node-1" }, value: "0" }] },
      {
        name: "app_seconds",
        help: "Latency.",
        type: "HISTOGRAM",
        metrics: [{ buckets: { "0.1": "1", "1": "2", "+Inf": "3" }, sum: "3.55", count: "3" }],
      },
    ]);
  });

  it("escapes label values and help text", () => {
    const registry = new Registry();
    registry.counter("app_total", 'Help with \\ and\na newline "quoted".').inc({ path: 'a\\b\n"c"' });
    const text = renderText(registry.collect());
    expect(text).toContain('app_total{path="a\\\\b\\n\\"c\\""} 1');
    const [family] = parsePrometheusTextFormat(text);
    expect(family!.help).toBe('Help with \\ and\na newline "quoted".');
    expect(family!.metrics[0]!.labels).toEqual({ path: 'a\\b\n"c"' });
  });

  it("writes special values as the format spells them, and nothing for no families", () => {
    const registry = new Registry();
    const g = registry.gauge("app_g", "");
    g.set(Infinity, { v: "a" });
    g.set(-Infinity, { v: "b" });
    g.set(NaN, { v: "c" });
    expect(renderText(registry.collect())).toContain('app_g{v="a"} +Inf\napp_g{v="b"} -Inf\napp_g{v="c"} NaN\n');
    expect(renderText([])).toBe("");
  });
});

describe("withLabels and mergeFamilies", () => {
  function nodeFamilies(reads: number): MetricFamily[] {
    const registry = new Registry();
    registry.counter("node_reads_total", "Reads.").inc({}, reads);
    registry.histogram("node_lag_seconds", "Lag.", [1]).observe(0.5);
    return registry.collect();
  }

  it("labels every sample of each source and merges families by name", () => {
    const merged = mergeFamilies([withLabels(nodeFamilies(2), { node: "node-1" }), withLabels(nodeFamilies(7), { node: "node-2" })]);
    expect(merged.map((f) => f.name)).toEqual(["node_reads_total", "node_lag_seconds"]);
    expect(merged[0]!.samples).toEqual([
      { labels: { node: "node-1" }, value: 2 },
      { labels: { node: "node-2" }, value: 7 },
    ]);
    const text = renderText(merged);
    expect(parsePrometheusTextFormat(text)[0]!.metrics).toEqual([
      { labels: { node: "node-1" }, value: "2" },
      { labels: { node: "node-2" }, value: "7" },
    ]);
    expect(text).toContain('node_lag_seconds_count{node="node-1"} 1\n');
    expect(text).toContain('node_lag_seconds_bucket{node="node-2",le="1"} 1\n');
  });

  it("leaves out a later family whose type differs from the first of its name", () => {
    const other: MetricFamily[] = [{ name: "node_reads_total", help: "", type: "gauge", samples: [{ labels: {}, value: 1 }] }];
    const merged = mergeFamilies([nodeFamilies(1), other]);
    expect(merged[0]!.type).toBe("counter");
    expect(merged[0]!.samples).toHaveLength(1);
  });
});
