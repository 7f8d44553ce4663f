import { describe, expect, it } from 'vitest';
import { editDistance } from '../../engine/graph/editDistance.js';
import { BourgainEmbedding, GaussianProcess, euclidean } from '../../engine/search/gaussianProcess.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { randomImageGraph } from '../helpers/randomGraphs.js';

describe('Gaussian process on the embedded edit distance', () => {
  const graphs = Array.from({ length: 12 }, (_, i) => randomImageGraph(300 + i));
  const distances = graphs.map((a) => graphs.map((b) => editDistance(a, b)));
  const embedding = new BourgainEmbedding(graphs.length, makeRandom(1));
  const coords = distances.map((row) => embedding.embed(row));

  it('embeds identical architectures at the same point and keeps distances in proportion', () => {
    expect(euclidean(embedding.embed(distances[3]), coords[3])).toBe(0);
    // Bourgain: the embedded distance never exceeds the original one (each coordinate is 1-Lipschitz, scaled).
    for (let i = 0; i < graphs.length; i++) for (let j = 0; j < graphs.length; j++) expect(euclidean(coords[i], coords[j])).toBeLessThanOrEqual(distances[i][j] + 1e-9);
  });

  it('gives a valid (positive definite) kernel matrix, fits the observations, and is unsure far from them', () => {
    const y = graphs.map((_, i) => 0.1 + 0.02 * i);
    const gp = new GaussianProcess(coords, y, 0.5, 1e-6);
    for (let i = 0; i < graphs.length; i++) {
      const p = gp.predict(coords[i]);
      expect(p.mean).toBeCloseTo(y[i], 2);
      expect(p.std).toBeLessThan(0.05);
    }
    const far = gp.predict(coords[0].map((c) => c + 100));
    expect(far.std).toBeGreaterThan(0.9);
    expect(far.mean).toBeCloseTo(y.reduce((a, b) => a + b) / y.length, 5);
  });
});
