/**
 * Ridge regression on whole-network features (the thesis's pick below 100 samples): latency in ms as a linear
 * function of multiply-accumulates by kind, memory traffic, numbers of layers and element-wise operations and
 * branching. Each observation is weighted by 1/ms², so the fit minimises relative rather than absolute squared
 * error (small networks count as much as large ones). The penalty λ is chosen by k-fold cross-validation on the
 * fitting data; the intercept is not penalised.
 */
import { Matrix, solve } from 'ml-matrix';
import { makeRandom } from '../train/seededRandom.js';
import type { ArchitectureDescription } from './architectureFeatures.js';
import { MIN_PREDICTION_MS, type FitData, type LatencyPredictor } from './latencyPredictor.js';

export interface RidgeParams {
  lambda: number;
  /** Applied to the standardised features x' = x / scale (no centring: a network of nothing costs the intercept). */
  scale: number[];
  coefficients: number[];
  intercept: number;
  cvMape: number | null;
}

export const RIDGE_LAMBDAS = [0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];

/** Weighted ridge: minimises Σ w_i (y_i − b − x_i·β)² + λ|β|², x already scaled. */
export function solveRidge(x: number[][], y: number[], w: number[], lambda: number): { intercept: number; coefficients: number[] } {
  const d = x[0].length;
  const a = Matrix.zeros(d + 1, d + 1);
  const b = Matrix.zeros(d + 1, 1);
  for (let i = 0; i < x.length; i++) {
    const row = [1, ...x[i]];
    for (let p = 0; p <= d; p++) {
      b.set(p, 0, b.get(p, 0) + w[i] * row[p] * y[i]);
      for (let q = 0; q <= d; q++) a.set(p, q, a.get(p, q) + w[i] * row[p] * row[q]);
    }
  }
  // Scale λ with the total weight so that its meaning does not depend on the number or size of observations.
  const total = w.reduce((s, v) => s + v, 0);
  for (let p = 1; p <= d; p++) a.set(p, p, a.get(p, p) + lambda * total + 1e-12 * total);
  const beta = solve(a, b).getColumn(0);
  return { intercept: beta[0], coefficients: beta.slice(1) };
}

export class RidgePredictor implements LatencyPredictor {
  readonly name = 'ridge' as const;
  private params: RidgeParams | null = null;

  constructor(private readonly lambdas = RIDGE_LAMBDAS, private readonly folds = 5) {}

  static fromParams(params: RidgeParams): RidgePredictor {
    const p = new RidgePredictor();
    p.params = params;
    return p;
  }

  fit(data: FitData): void {
    const obs = data.observations;
    if (obs.length < 2) throw new Error('Ridge regression needs at least two observations.');
    const rows = obs.map((o) => o.description.features);
    const scale = rows[0].map((_, j) => {
      const rms = Math.sqrt(rows.reduce((a, r) => a + r[j] ** 2, 0) / rows.length);
      return rms > 1e-12 ? rms : 1;
    });
    const x = rows.map((r) => r.map((v, j) => v / scale[j]));
    const y = obs.map((o) => o.ms);
    const w = y.map((v) => 1 / (v * v));
    // Too few observations to cross-validate: a moderate penalty rather than none.
    let lambda = this.lambdas.includes(1e-3) ? 1e-3 : this.lambdas[0];
    let cvMape: number | null = null;
    if (obs.length >= this.folds * 2 && this.lambdas.length > 1) {
      const order = makeRandom(data.seed ?? 0).shuffle(Array.from({ length: obs.length }, (_, i) => i)) as number[];
      let best = Infinity;
      for (const l of this.lambdas) {
        let err = 0;
        for (let k = 0; k < this.folds; k++) {
          const test = new Set(order.filter((_, i) => i % this.folds === k));
          const tr = order.filter((i) => !test.has(i));
          const m = solveRidge(tr.map((i) => x[i]), tr.map((i) => y[i]), tr.map((i) => w[i]), l);
          for (const i of test) {
            const p = Math.max(MIN_PREDICTION_MS, m.intercept + x[i].reduce((s, v, j) => s + v * m.coefficients[j], 0));
            err += Math.abs(p - y[i]) / y[i];
          }
        }
        err /= obs.length;
        if (err < best - 1e-12) {
          best = err;
          lambda = l;
        }
      }
      cvMape = best;
    }
    const m = solveRidge(x, y, w, lambda);
    this.params = { lambda, scale, coefficients: m.coefficients, intercept: m.intercept, cvMape };
  }

  predict(d: ArchitectureDescription): number {
    if (!this.params) throw new Error('RidgePredictor.predict before fit');
    const p = this.params;
    return Math.max(MIN_PREDICTION_MS, p.intercept + d.features.reduce((s, v, j) => s + (v / p.scale[j]) * p.coefficients[j], 0));
  }

  toJSON(): RidgeParams {
    if (!this.params) throw new Error('RidgePredictor.toJSON before fit');
    return this.params;
  }
}
