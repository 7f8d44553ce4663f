import { describe, expect, it } from 'vitest';
import { gaussianKde, inverseDensityWeights, sampleByInverseDensity, sampleIndices } from '../../engine/search/densitySampling.js';
import { crowdingDistance, dominates, nonDominatedSort, paretoFront, rankAndCrowdingSelect } from '../../engine/search/dominance.js';
import { hypervolume } from '../../engine/search/hypervolume.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

/** Hypervolume by inclusion–exclusion over every subset of the points (exact, exponential: for small sets only). */
function hypervolumeByInclusionExclusion(points: number[][], ref: number[]): number {
  const inside = points.filter((p) => p.every((v, i) => v < ref[i]));
  let total = 0;
  for (let mask = 1; mask < 1 << inside.length; mask++) {
    const subset = inside.filter((_, i) => mask & (1 << i));
    const corner = ref.map((_, d) => Math.max(...subset.map((p) => p[d])));
    const box = ref.reduce((v, r, d) => v * (r - corner[d]), 1);
    total += (subset.length % 2 === 1 ? 1 : -1) * box;
  }
  return total;
}

describe('dominance and non-dominated sorting', () => {
  it('dominates means no worse everywhere and better somewhere', () => {
    expect(dominates([1, 2], [2, 2])).toBe(true);
    expect(dominates([1, 2], [1, 2])).toBe(false);
    expect(dominates([1, 3], [2, 2])).toBe(false);
    expect(dominates([0, 0, 1], [0, 0, 2])).toBe(true);
  });

  it('sorts into fronts as computed by hand', () => {
    // A(1,5) B(2,3) C(4,1) are non-dominated; D(3,4) is dominated by B; F(4,4) by B, C, D; E(5,5) by everything.
    const points = [
      [1, 5],
      [2, 3],
      [4, 1],
      [3, 4],
      [5, 5],
      [4, 4],
    ];
    expect(nonDominatedSort(points)).toEqual([[0, 1, 2], [3], [5], [4]]);
    expect(paretoFront(points)).toEqual([0, 1, 2]);
    expect(nonDominatedSort([])).toEqual([]);
    // Equal points are both non-dominated.
    expect(paretoFront([[1, 1], [1, 1], [2, 2]])).toEqual([0, 1]);
  });

  it('sorts three objectives', () => {
    const points = [
      [0.1, 3, 3],
      [0.2, 1, 3],
      [0.3, 3, 1],
      [0.2, 2, 3],
      [0.4, 3, 3],
    ];
    expect(nonDominatedSort(points)).toEqual([[0, 1, 2], [3], [4]]);
  });

  it('crowding distance: boundaries infinite, inner points the normalised gap between neighbours', () => {
    expect(crowdingDistance([[1, 5], [2, 3], [4, 1]])).toEqual([Infinity, 2, Infinity]);
    // f1 range 4: P1 (3 − 0)/4, P2 (4 − 1)/4; f2 range 5: P1 (5 − 1)/5, P2 (2 − 0)/5.
    const d = crowdingDistance([[0, 5], [1, 2], [3, 1], [4, 0]]);
    expect(d[0]).toBe(Infinity);
    expect(d[3]).toBe(Infinity);
    expect(d[1]).toBeCloseTo(0.75 + 0.8, 12);
    expect(d[2]).toBeCloseTo(0.75 + 0.4, 12);
    // A constant objective adds nothing.
    expect(crowdingDistance([[0, 1], [1, 1], [2, 1]])[1]).toBeCloseTo(1, 12);
  });

  it('selects by rank, then by crowding distance within the last front', () => {
    const points = [
      [0, 5],
      [1, 2],
      [3, 1],
      [4, 0],
      [5, 5],
    ];
    // Front 0 is the first four; two places: the boundary points have infinite distance.
    expect(rankAndCrowdingSelect(points, 2)).toEqual([0, 3]);
    expect(rankAndCrowdingSelect(points, 3)).toEqual([0, 3, 1]);
    expect(rankAndCrowdingSelect(points, 5).sort()).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('hypervolume', () => {
  it('2-D: the hand-computed sweep', () => {
    // 4·1 + 3·2 + 1·1
    expect(hypervolume([[1, 4], [2, 2], [4, 1]], [5, 5])).toBe(11);
    // Dominated points and order change nothing; a point not inside the reference box adds nothing.
    expect(hypervolume([[3, 3], [4, 1], [5, 0], [1, 4], [2, 2], [2, 4]], [5, 5])).toBe(11);
    expect(hypervolume([], [5, 5])).toBe(0);
    expect(hypervolume([[6, 1]], [5, 5])).toBe(0);
  });

  it('3-D: the hand-computed cases', () => {
    expect(hypervolume([[1, 0, 1], [0, 1, 0]], [2, 2, 2])).toBe(5);
    expect(hypervolume([[0, 0, 0]], [1, 2, 3])).toBe(6);
    // Boxes 2·2·1 and 1·1·2 overlap in a unit cube.
    expect(hypervolume([[0, 0, 1], [1, 1, 0]], [2, 2, 2])).toBe(5);
    expect(hypervolume([[0, 0, 1], [1, 1, 0], [1, 1, 1]], [2, 2, 2])).toBe(5);
  });

  it('agrees with inclusion–exclusion on random sets in 2, 3 and 4 dimensions', () => {
    const rng = makeRandom(11);
    for (const d of [2, 3, 4]) {
      for (let t = 0; t < 15; t++) {
        const points = Array.from({ length: 2 + rng.int(6) }, () => Array.from({ length: d }, () => Math.round(rng.next() * 10) / 10));
        const ref = new Array(d).fill(1);
        expect(hypervolume(points, ref)).toBeCloseTo(hypervolumeByInclusionExclusion(points, ref), 10);
      }
    }
  });
});

describe('density-based sampling (LEMONADE)', () => {
  it('a Gaussian kernel density with the bandwidth floor for a single point', () => {
    const kde = gaussianKde([[2]], 0.1);
    expect(kde.bandwidths).toEqual([0.1]);
    expect(kde.density([2])).toBeCloseTo(1 / (0.1 * Math.sqrt(2 * Math.PI)), 10);
    // Two points at 0 and 1 (sd 0.707, Scott factor 2^(−1/5)): the density at 0.5 is the kernel at distance 0.5.
    const two = gaussianKde([[0], [1]]);
    const h = Math.SQRT1_2 * 2 ** (-1 / 5);
    expect(two.bandwidths[0]).toBeCloseTo(h, 12);
    expect(two.density([0.5])).toBeCloseTo(Math.exp(-0.5 * (0.5 / h) ** 2) / (h * Math.sqrt(2 * Math.PI)), 12);
  });

  it('weights are inversely proportional to density and draws follow them', () => {
    expect(inverseDensityWeights([1, 2, 4])).toEqual([4 / 7, 2 / 7, 1 / 7]);
    const rng = makeRandom(4);
    const counts = [0, 0, 0];
    for (const i of sampleIndices(rng, [4 / 7, 2 / 7, 1 / 7], 7000, true)) counts[i]++;
    expect(counts[0] / 7000).toBeCloseTo(4 / 7, 1);
    expect(counts[1] / 7000).toBeCloseTo(2 / 7, 1);
    expect(counts[2] / 7000).toBeCloseTo(1 / 7, 1);
    // Without replacement: each index at most once, never more draws than positive weights.
    expect(sampleIndices(makeRandom(1), [0.5, 0, 0.5], 5, false).sort()).toEqual([0, 2]);
  });

  it('favours sparse regions of the cheap objectives', () => {
    // Five networks around (0, 0) and one alone at (3, 3) in (log latency, log size).
    const population = [[0, 0], [0.1, 0], [0, 0.1], [0.1, 0.1], [0.05, 0.05], [3, 3]];
    let lonely = 0;
    const rng = makeRandom(2);
    for (let t = 0; t < 400; t++) if (sampleByInverseDensity(rng, population, population, 1, true)[0] === 5) lonely++;
    // Uniform drawing would pick it one time in six; its density is about a fifth of the cluster's, so about half.
    expect(lonely / 400).toBeGreaterThan(0.4);
    // Candidate children: one in the crowded region, one in an empty one.
    const picks = [0, 0];
    for (let t = 0; t < 400; t++) picks[sampleByInverseDensity(rng, population, [[0.05, 0.05], [1.5, 1.5]], 1, false)[0]]++;
    expect(picks[1]).toBeGreaterThan(picks[0] * 3);
  });
});
