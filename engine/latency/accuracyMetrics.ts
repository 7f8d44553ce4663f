/**
 * How well predicted latencies match measured ones on architectures held out from fitting: Kendall's τ (the
 * ranking, which is what a search decides on), the mean absolute percentage error, and the share of predictions
 * within ±10% of the measurement (nn-Meter's headline figure).
 */

/**
 * Kendall's τ-b: (concordant − discordant) / √((n0 − ties in x)(n0 − ties in y)) over all n0 = n(n−1)/2 pairs.
 * Equals τ-a when there are no ties. O(n²), fine for the few hundred architectures of a profile.
 */
export function kendallTau(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error('kendallTau needs two lists of the same length');
  const n = x.length;
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i] - x[j]);
      const dy = Math.sign(y[i] - y[j]);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const n1 = concordant + discordant + tiesX;
  const n2 = concordant + discordant + tiesY;
  if (n1 === 0 || n2 === 0) return Number.NaN;
  return (concordant - discordant) / Math.sqrt(n1 * n2);
}

/** Mean of |predicted − measured| / measured, as a fraction (0.05 = 5%). */
export function meanAbsolutePercentageError(measured: readonly number[], predicted: readonly number[]): number {
  if (measured.length !== predicted.length) throw new Error('MAPE needs two lists of the same length');
  if (measured.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < measured.length; i++) sum += Math.abs(predicted[i] - measured[i]) / measured[i];
  return sum / measured.length;
}

/** Share of predictions with |predicted − measured| ≤ tolerance · measured. */
export function withinShare(measured: readonly number[], predicted: readonly number[], tolerance = 0.1): number {
  if (measured.length !== predicted.length) throw new Error('withinShare needs two lists of the same length');
  if (measured.length === 0) return Number.NaN;
  let inside = 0;
  // A small epsilon so that an error of exactly 10% (up to rounding) counts as within.
  for (let i = 0; i < measured.length; i++) if (Math.abs(predicted[i] - measured[i]) <= tolerance * measured[i] * (1 + 1e-12)) inside++;
  return inside / measured.length;
}

export interface PredictorAccuracy {
  kendallTau: number;
  /** Fraction, not percent. */
  mape: number;
  /** Fraction within ±10%. */
  within10: number;
  count: number;
}

export function predictorAccuracy(measured: readonly number[], predicted: readonly number[]): PredictorAccuracy {
  return {
    kendallTau: kendallTau(measured, predicted),
    mape: meanAbsolutePercentageError(measured, predicted),
    within10: withinShare(measured, predicted, 0.1),
    count: measured.length,
  };
}
