/**
 * Latency recording: an HDR histogram in microseconds (1 µs to 60 s, 3
 * significant digits: every value within 0.1%), summarised into percentiles and
 * a percentile curve for the report's CDF charts.
 */
import * as hdr from "hdr-histogram-js";

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

export interface LatencySummary {
  readonly count: number;
  readonly mean_ms: number;
  readonly min_ms: number;
  readonly p50_ms: number;
  readonly p90_ms: number;
  readonly p99_ms: number;
  readonly p999_ms: number;
  readonly max_ms: number;
  /** [percentile, ms] points, denser towards the tail, for a percentile (CDF) plot. */
  readonly cdf: readonly (readonly [number, number])[];
}

const ms = (us: number): number => Math.round(us) / 1000;

export function summarise(h: Histogram): LatencySummary {
  if (h.totalCount === 0) {
    return { count: 0, mean_ms: 0, min_ms: 0, p50_ms: 0, p90_ms: 0, p99_ms: 0, p999_ms: 0, max_ms: 0, cdf: [] };
  }
  return {
    count: h.totalCount,
    mean_ms: ms(h.mean),
    min_ms: ms(h.minNonZeroValue),
    p50_ms: ms(h.getValueAtPercentile(50)),
    p90_ms: ms(h.getValueAtPercentile(90)),
    p99_ms: ms(h.getValueAtPercentile(99)),
    p999_ms: ms(h.getValueAtPercentile(99.9)),
    max_ms: ms(h.maxValue),
    cdf: cdfPoints(h),
  };
}

/**
 * Percentiles spaced evenly in log(1 / (1 - p)), as HdrHistogram's plots are:
 * 0 .. 99.99 with as much detail between 99 and 99.99 as between 0 and 90,
 * plus 100 (the maximum). Stops at the resolution the sample count supports.
 */
function cdfPoints(h: Histogram): [number, number][] {
  const points: [number, number][] = [];
  const nines = Math.min(4, Math.log10(h.totalCount));
  const steps = 60;
  for (let i = 0; i <= steps; i++) {
    const p = 100 * (1 - Math.pow(10, (-nines * i) / steps));
    points.push([Math.round(p * 1e4) / 1e4, ms(h.getValueAtPercentile(p))]);
  }
  points.push([100, ms(h.maxValue)]);
  return points;
}

export function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}
