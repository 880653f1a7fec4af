// The package ships JavaScript only; this is the part of its output the tests read
// (https://github.com/yunyu/parse-prometheus-text-format, modelled on prom2json).
declare module "parse-prometheus-text-format" {
  export interface ParsedSample {
    readonly labels?: Record<string, string>;
    /** Counters, gauges, untyped. */
    readonly value?: string;
    /** Histograms: cumulative count per upper bound (`le`), "+Inf" included. */
    readonly buckets?: Record<string, string>;
    readonly count?: string;
    readonly sum?: string;
  }

  export interface ParsedFamily {
    readonly name: string;
    readonly help: string;
    readonly type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    readonly metrics: readonly ParsedSample[];
  }

  /** Throws on a line that is not valid text format. */
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[];
}
