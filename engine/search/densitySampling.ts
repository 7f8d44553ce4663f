/**
 * LEMONADE's sampling rule (Elsken et al. 2019, §4): a kernel density estimate over the cheap objectives of the
 * population (those known before training: predicted latency, size), and draws with probability inversely
 * proportional to that density, so that sparse regions of the front get more parents and more children.
 *
 * The estimate is a product of Gaussian kernels with one bandwidth per dimension by Scott's rule
 * (h = σ · n^(−1/(d+4))), never below `minBandwidth` (a population of one, or equal values, still spreads).
 * Objectives are best given in log space (latency and size span orders of magnitude).
 */
import type { SeededRandom } from '../train/seededRandom.js';

export interface DensityEstimate {
  bandwidths: number[];
  density(x: readonly number[]): number;
}

export function gaussianKde(points: readonly (readonly number[])[], minBandwidth = 0.1): DensityEstimate {
  const n = points.length;
  if (n === 0) throw new Error('a density estimate needs at least one point');
  const d = points[0].length;
  const factor = n ** (-1 / (d + 4));
  const bandwidths = Array.from({ length: d }, (_, j) => {
    const mean = points.reduce((s, p) => s + p[j], 0) / n;
    const sd = Math.sqrt(points.reduce((s, p) => s + (p[j] - mean) ** 2, 0) / Math.max(1, n - 1));
    return Math.max(minBandwidth, sd * factor);
  });
  const norm = bandwidths.reduce((s, h) => s * h * Math.sqrt(2 * Math.PI), 1);
  return {
    bandwidths,
    density(x) {
      let sum = 0;
      for (const p of points) {
        let e = 0;
        for (let j = 0; j < d; j++) e += ((x[j] - p[j]) / bandwidths[j]) ** 2;
        sum += Math.exp(-0.5 * e);
      }
      return sum / (n * norm);
    },
  };
}

/** Probabilities proportional to 1/density (a density of 0 is treated as the smallest positive one). */
export function inverseDensityWeights(densities: readonly number[]): number[] {
  const positive = densities.filter((v) => v > 0);
  const floor = positive.length ? Math.min(...positive) : 1;
  const w = densities.map((v) => 1 / Math.max(v, floor));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

/** Draws `k` indices with the given probabilities, with or without replacement (then at most all of them). */
export function sampleIndices(rng: SeededRandom, probabilities: readonly number[], k: number, replace: boolean): number[] {
  const w = [...probabilities];
  const out: number[] = [];
  const count = replace ? k : Math.min(k, w.filter((x) => x > 0).length);
  for (let s = 0; s < count; s++) {
    const total = w.reduce((a, b) => a + b, 0);
    let r = rng.next() * total;
    let pick = w.length - 1;
    for (let i = 0; i < w.length; i++) {
      if (w[i] <= 0) continue;
      r -= w[i];
      if (r < 0) {
        pick = i;
        break;
      }
    }
    while (w[pick] <= 0 && pick > 0) pick--;
    out.push(pick);
    if (!replace) w[pick] = 0;
  }
  return out;
}

/** LEMONADE's rule in one call: `k` of `candidates` drawn with probability ∝ 1/density under the population's KDE. */
export function sampleByInverseDensity(rng: SeededRandom, population: readonly (readonly number[])[], candidates: readonly (readonly number[])[], k: number, replace: boolean): number[] {
  const kde = gaussianKde(population);
  return sampleIndices(rng, inverseDensityWeights(candidates.map((c) => kde.density(c))), k, replace);
}
