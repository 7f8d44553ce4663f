import { describe, expect, it } from 'vitest';
import { editDistance } from '../../engine/graph/editDistance.js';
import { BourgainEmbedding, GaussianProcess, euclidean } from '../../engine/search/gaussianProcess.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { smallCnn } from '../../engine/graph/presets.js';
import { graphHash } from '../../engine/graph/serialize.js';
import { initialWeights } from '../../engine/hardware/measuredModel.js';
import type { ModelState } from '../../engine/morph/modelState.js';
import { initBackend } from '../../engine/backend/ladder.js';
import { BayesOpt } from '../../engine/search/bayesOpt.js';
import { trainingWork } from '../../engine/search/budget.js';
import { graphMetrics } from '../../engine/graph/metrics.js';
import type { Graph } from '../../engine/graph/types.js';
import { driveStrategy } from '../helpers/fakeSearch.js';
import { costsOf, objectiveSpace } from '../../engine/search/objectives.js';
import { CHILD_MAX_GROWTH, type CandidateResult, type StrategyContext } from '../../engine/search/strategy.js';
import type { StrategyServices } from '../../engine/search/strategyServices.js';
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
    // Far from every observation: the prior, whose mean and spread are the observed costs'.
    const mean = y.reduce((a, b) => a + b) / y.length;
    const spread = Math.sqrt(y.reduce((a, v) => a + (v - mean) ** 2, 0) / (y.length - 1));
    const far = gp.predict(coords[0].map((c) => c + 100));
    expect(far.std).toBeCloseTo(spread, 6);
    expect(far.mean).toBeCloseTo(mean, 5);
  });

  it("predicts in the costs' units: costs ten times larger (noise alike) give ten times the mean's deviation and the spread", () => {
    // Costs (1 − accuracy) differ by hundredths; a unit prior variance would make σ dwarf every difference in μ,
    // and μ − 2.5σ would rank architectures by their distance from the observed ones alone.
    const y = graphs.map((_, i) => 0.1 + 0.004 * ((i * 7) % 5));
    const small = new GaussianProcess(coords, y, 0.5, 1e-6);
    const large = new GaussianProcess(coords, y.map((v) => 10 * v), 0.5, 1e-4);
    const probe = Array.from({ length: 4 }, (_, i) => coords[i].map((c, j) => c + 0.1 * ((i + j) % 3)));
    for (const x of probe) {
      const a = small.predict(x);
      const b = large.predict(x);
      expect(b.mean).toBeCloseTo(10 * a.mean, 6);
      expect(b.std).toBeCloseTo(10 * a.std, 6);
      expect(a.std).toBeLessThan(0.01);
    }
  });
});

describe('Bayesian optimisation within the search time', () => {
  /**
   * A BayesOpt run on a clock of its own: every limit check of the acquisition search (`fits`, called for each
   * child it examines) costs 10 ms, so the acquisition takes time as on a busy machine, the same on every run.
   */
  async function secondGeneration(o: { searchSeconds: number; trained?: Set<string> }) {
    const clock = { now: 0 };
    const seed = smallCnn([12, 12, 1], 3);
    const states = new Map<string, ModelState>([['c0', { graph: seed, weights: initialWeights(seed) }]]);
    const bayes = new BayesOpt({ epochNeigh: 1, epochSeed: 1, batch: 4 });
    let searchEnd = Infinity;
    const ctx: StrategyContext = {
      seed,
      rng: makeRandom(7),
      loadState: async (id) => states.get(id)!,
      epochSeconds: () => 0.001,
      searchSecondsLeft: () => searchEnd - clock.now,
      fits: () => {
        clock.now += 0.01;
        return true;
      },
      costs: (g) => costsOf(g, null),
      objectives: objectiveSpace(costsOf(seed, null), { maxParams: 1e7 }),
      services: { completed: (id: string) => (o.trained?.has(id) ? ({ id } as CandidateResult) : undefined) } as unknown as StrategyServices,
    };
    const first = (await bayes.nextGeneration(ctx))!;
    expect(first.map((p) => p.id)).toEqual(['c0']);
    const c = costsOf(seed, null);
    bayes.observe([{ id: 'c0', parentId: null, morphs: [], accuracyInherited: null, accuracy: 0.6, params: c.params, macs: c.macs, sizeBytes: c.sizeBytes, latencyPredictedMs: null, seconds: 1, epochs: 1, status: 'trained' }]);
    searchEnd = clock.now + o.searchSeconds;
    const start = clock.now;
    const second = (await bayes.nextGeneration(ctx)) ?? [];
    return { second, seconds: clock.now - start, hashes: second.map((p) => graphHash(p.state.graph)) };
  }

  it('stops proposing when the next acquisition would not fit in the search time left, and proposes the same networks again when replaying a trained generation', async () => {
    const ample = await secondGeneration({ searchSeconds: 1e6 });
    expect(ample.second.map((p) => p.id)).toEqual(['b1-0', 'b1-1', 'b1-2', 'b1-3']);
    // Each acquisition examines hundreds of children here: seconds on this clock.
    expect(ample.seconds).toBeGreaterThan(4);
    // Time for about one and a half acquisitions: the first proposal is made; the second would end past the search time.
    const once = ample.seconds / 4;
    const tight = await secondGeneration({ searchSeconds: 1.5 * once });
    expect(tight.hashes).toEqual(ample.hashes.slice(0, 1));
    expect(tight.seconds).toBeLessThan(1.5 * once);
    // A resumed job whose journal holds the whole generation gets it back in full, the same networks in the same order.
    const replay = await secondGeneration({ searchSeconds: 1.5 * once, trained: new Set(['b1-0', 'b1-1', 'b1-2', 'b1-3']) });
    expect(replay.hashes).toEqual(ample.hashes);
  });

  it("proposes networks within twice their observed ancestor's epoch cost, where the unbounded acquisition goes far dearer", async () => {
    await initBackend('cpu');
    const seed = smallCnn([28, 28, 1], 10);
    const work = (g: Graph) => trainingWork(graphMetrics(g), 64);
    const proposals = async (maxGrowth: number) => {
      const { generations } = await driveStrategy(new BayesOpt({ epochNeigh: 1, epochSeed: 1, batch: 3, maxGrowth }), seed, { generations: 3, epochSeconds: (g) => work(g) * 1e-9, accuracy: (g) => 0.5 + 0.1 * Math.log10(work(g)) / 10 });
      const byId = new Map(generations.flat().map((p) => [p.id, p]));
      return generations.slice(1).flat().map((p) => work(p.state.graph) / work(byId.get(p.parentId!)!.state.graph));
    };
    const bounded = await proposals(CHILD_MAX_GROWTH);
    expect(bounded.length).toBe(6);
    for (const r of bounded) expect(r).toBeLessThanOrEqual(CHILD_MAX_GROWTH);
    expect(Math.max(...(await proposals(Infinity)))).toBeGreaterThan(CHILD_MAX_GROWTH);
  });
});
