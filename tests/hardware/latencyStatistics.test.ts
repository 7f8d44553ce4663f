import { describe, expect, it } from 'vitest';
import { median, quantileSorted, summariseTimes } from '../../engine/hardware/latencyStatistics.js';

describe('latency statistics', () => {
  it('quantiles interpolate linearly between order statistics (numpy default)', () => {
    const s = [1, 2, 3, 4];
    expect(quantileSorted(s, 0.5)).toBe(2.5);
    expect(quantileSorted(s, 0.25)).toBe(1.75);
    expect(quantileSorted(s, 0.1)).toBeCloseTo(1.3, 12);
    expect(quantileSorted(s, 0.9)).toBeCloseTo(3.7, 12);
    expect(quantileSorted(s, 0)).toBe(1);
    expect(quantileSorted(s, 1)).toBe(4);
    expect(quantileSorted([], 0.5)).toBeNaN();
    expect(median([5, 1, 3])).toBe(3);
  });

  it('summarises unsorted runs: median, spread, interquartile mean', () => {
    const s = summariseTimes([5, 1, 4, 2, 3]);
    expect(s).toEqual({
      runs: 5,
      medianMs: 3,
      meanMs: 3,
      minMs: 1,
      maxMs: 5,
      p10Ms: expect.closeTo(1.4, 12),
      p90Ms: expect.closeTo(4.6, 12),
      q1Ms: 2,
      q3Ms: 4,
      iqrMs: 2,
      interquartileMeanMs: 3,
    });
    // One slow outlier moves the mean, not the median.
    const o = summariseTimes([1, 1, 1, 1, 100]);
    expect(o.medianMs).toBe(1);
    expect(o.meanMs).toBeCloseTo(20.8, 12);
    expect(() => summariseTimes([])).toThrow();
  });
});
