/**
 * The statistics of a set of timed runs: the median as the latency, the 10th/90th percentiles and the
 * interquartile range as its spread. Quantiles interpolate linearly between order statistics (numpy's default,
 * "type 7"), so the figures can be recomputed from the stored times with any statistics package.
 */

export interface TimingSummary {
  runs: number;
  medianMs: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  p10Ms: number;
  p90Ms: number;
  q1Ms: number;
  q3Ms: number;
  iqrMs: number;
  /** Mean of the runs within [q1, q3] (BRP-NAS's robust statistic), for comparison with other protocols. */
  interquartileMeanMs: number;
}

/** The q-quantile (0 ≤ q ≤ 1) of values sorted ascending, interpolating linearly. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function median(values: readonly number[]): number {
  return quantileSorted([...values].sort((a, b) => a - b), 0.5);
}

export function summariseTimes(times: readonly number[]): TimingSummary {
  if (times.length === 0) throw new Error('summariseTimes needs at least one run');
  const s = [...times].sort((a, b) => a - b);
  const q1 = quantileSorted(s, 0.25);
  const q3 = quantileSorted(s, 0.75);
  const inner = s.filter((t) => t >= q1 && t <= q3);
  return {
    runs: s.length,
    medianMs: quantileSorted(s, 0.5),
    meanMs: s.reduce((a, b) => a + b, 0) / s.length,
    minMs: s[0],
    maxMs: s[s.length - 1],
    p10Ms: quantileSorted(s, 0.1),
    p90Ms: quantileSorted(s, 0.9),
    q1Ms: q1,
    q3Ms: q3,
    iqrMs: q3 - q1,
    interquartileMeanMs: inner.reduce((a, b) => a + b, 0) / inner.length,
  };
}
