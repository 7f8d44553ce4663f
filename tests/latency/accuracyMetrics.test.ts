import { describe, expect, it } from 'vitest';
import { kendallTau, meanAbsolutePercentageError, predictorAccuracy, withinShare } from '../../engine/latency/accuracyMetrics.js';

describe('latency accuracy metrics', () => {
  it("Kendall's τ counts concordant and discordant pairs (hand-computed)", () => {
    // Pairs of [3, 4, 1, 2, 5] against 1..5: 6 concordant, 4 discordant → (6 − 4) / 10.
    expect(kendallTau([1, 2, 3, 4, 5], [3, 4, 1, 2, 5])).toBeCloseTo(0.2, 12);
    expect(kendallTau([1, 2, 3], [10, 20, 30])).toBe(1);
    expect(kendallTau([1, 2, 3], [3, 2, 1])).toBe(-1);
  });

  it('τ-b corrects for ties (scipy.stats.kendalltau gives 0.9128709291752769)', () => {
    // One pair tied in x only, five concordant: 5 / √(6 − 1)(6 − 0).
    expect(kendallTau([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(5 / Math.sqrt(30), 12);
    expect(kendallTau([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(0.9128709291752769, 12);
    expect(kendallTau([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it('MAPE and the share within ±10% (an error of exactly 10% is within)', () => {
    const measured = [1, 2, 4];
    const predicted = [1.1, 1.8, 5];
    expect(meanAbsolutePercentageError(measured, predicted)).toBeCloseTo((0.1 + 0.1 + 0.25) / 3, 12);
    expect(withinShare(measured, predicted)).toBeCloseTo(2 / 3, 12);
    expect(withinShare(measured, predicted, 0.3)).toBe(1);
    expect(predictorAccuracy(measured, predicted)).toEqual({ kendallTau: 1, mape: expect.closeTo(0.15, 12), within10: expect.closeTo(2 / 3, 12), count: 3 });
  });

  it('refuses lists of different lengths', () => {
    expect(() => kendallTau([1, 2], [1])).toThrow();
    expect(() => meanAbsolutePercentageError([1, 2], [1])).toThrow();
  });
});
