/**
 * Gaussian-process regression over architectures with the Auto-Keras kernel κ(a, b) = exp(−ρ²(a, b)), ρ the
 * edit distance after a Bourgain embedding into Euclidean space (so the kernel matrix is positive semi-definite):
 * each architecture's coordinates are its distances to random subsets of the observed ones (sizes 2^i, O(log² n)
 * subsets), and ρ is the scaled Euclidean distance between coordinates.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import type { SeededRandom } from '../train/seededRandom.js';

export class BourgainEmbedding {
  private readonly subsets: number[][];

  /** Random subsets of the n reference points (the observed architectures). */
  constructor(n: number, rng: SeededRandom) {
    const levels = Math.max(1, Math.ceil(Math.log2(Math.max(2, n))));
    const repeats = levels;
    this.subsets = [];
    for (let i = 1; i <= levels; i++) {
      for (let r = 0; r < repeats; r++) {
        const size = Math.min(n, 2 ** (i - 1));
        const picked = new Set<number>();
        while (picked.size < size) picked.add(rng.int(n));
        this.subsets.push([...picked]);
      }
    }
  }

  /** Coordinates of a point from its distances to the n reference points. */
  embed(distancesToReferences: number[]): number[] {
    return this.subsets.map((s) => Math.min(...s.map((j) => distancesToReferences[j])) / Math.sqrt(this.subsets.length));
  }
}

export function euclidean(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

export class GaussianProcess {
  private readonly alpha: Matrix;
  private readonly chol: CholeskyDecomposition;
  private readonly mean: number;
  /** The prior standard deviation of the costs: their spread among the observations. */
  private readonly scale: number;

  /**
   * The costs are standardised before fitting (their mean and sample standard deviation; the prior's signal
   * variance is theirs, as scikit-learn's `normalize_y` does): with a unit prior variance, costs that differ by
   * hundredths (1 − accuracy) would be dwarfed by the prior's uncertainty, and the lower confidence bound μ − βσ
   * would rank architectures by their distance from the observed ones alone.
   * @param coords embedded coordinates of the observed points
   * @param y observed costs (lower is better)
   * @param lengthScale ρ is divided by it before the kernel
   * @param noise observation noise variance in the costs' units (re-training the same network gives different
   *   accuracies: half a point of accuracy by default, about the standard error of a validation accuracy near 90%
   *   on 6,000 samples)
   */
  constructor(
    private readonly coords: number[][],
    y: number[],
    private readonly lengthScale: number,
    noise = 0.005 ** 2,
  ) {
    const n = coords.length;
    this.mean = y.reduce((a, b) => a + b, 0) / n;
    const variance = n > 1 ? y.reduce((a, v) => a + (v - this.mean) ** 2, 0) / (n - 1) : 0;
    // One observation, or all alike: no spread to learn from; the prior's scale is then the noise's, at least.
    this.scale = Math.sqrt(Math.max(variance, noise, 1e-12));
    const K = new Matrix(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K.set(i, j, this.kernel(coords[i], coords[j]) + (i === j ? noise / this.scale ** 2 : 0));
    this.chol = new CholeskyDecomposition(K);
    this.alpha = this.chol.solve(Matrix.columnVector(y.map((v) => (v - this.mean) / this.scale)));
  }

  kernel(a: number[], b: number[]): number {
    const rho = euclidean(a, b) / this.lengthScale;
    return Math.exp(-rho * rho);
  }

  predict(x: number[]): { mean: number; std: number } {
    const k = Matrix.columnVector(this.coords.map((c) => this.kernel(c, x)));
    const mean = this.mean + this.scale * k.transpose().mmul(this.alpha).get(0, 0);
    const v = this.chol.solve(k);
    const variance = Math.max(0, 1 - k.transpose().mmul(v).get(0, 0));
    return { mean, std: this.scale * Math.sqrt(variance) };
  }
}
