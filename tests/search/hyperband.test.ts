import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { mlp, smallCnn, textCnn } from '../../engine/graph/presets.js';
import { validateGraph } from '../../engine/graph/validate.js';
import { graphMetrics } from '../../engine/graph/metrics.js';
import { chainGraph, sampleChain } from '../../engine/search/chainSpace.js';
import { bracketEpochs, Hyperband, hyperbandBrackets, hyperbandPlan } from '../../engine/search/hyperband.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { driveStrategy, fingerprint } from '../helpers/fakeSearch.js';

beforeAll(async () => {
  await initBackend();
});

describe('Hyperband++ brackets', () => {
  it('follows Li et al.: R = 81, η = 3 gives five brackets from 81 configurations at 1 epoch to 5 at 81', () => {
    const b = hyperbandBrackets(81, 3);
    expect(b.map((x) => x.s)).toEqual([4, 3, 2, 1, 0]);
    expect(b[0].rungs).toEqual([
      { n: 81, epochs: 1 },
      { n: 27, epochs: 3 },
      { n: 9, epochs: 9 },
      { n: 3, epochs: 27 },
      { n: 1, epochs: 81 },
    ]);
    expect(b[1].rungs).toEqual([
      { n: 34, epochs: 3 },
      { n: 11, epochs: 9 },
      { n: 3, epochs: 27 },
      { n: 1, epochs: 81 },
    ]);
    expect(b[4].rungs).toEqual([{ n: 5, epochs: 81 }]);
    // Survivors train on: a rung adds only the difference in epochs.
    expect(bracketEpochs(hyperbandBrackets(9, 3)[0])).toBe(9 * 1 + 3 * 2 + 1 * 6);
  });

  it('sizes R from the budget: more affordable epochs, a larger R, and the brackets fit', () => {
    expect(hyperbandPlan(5).R).toBe(1);
    expect(hyperbandPlan(30).R).toBe(3);
    expect(hyperbandPlan(80).R).toBe(9);
    expect(hyperbandPlan(1e6).R).toBe(27);
    for (const e of [10, 50, 200, 1000]) {
      const { R } = hyperbandPlan(e);
      if (R > 1) expect(hyperbandBrackets(R).reduce((a, b) => a + bracketEpochs(b), 0)).toBeLessThanOrEqual(e);
    }
  });
});

describe('Hyperband++ search', () => {
  it('samples valid chain networks with training hyper-parameters for images, text and tables', () => {
    const rng = makeRandom(1);
    for (const seed of [smallCnn([12, 12, 1], 3), textCnn(20, 50, 2), mlp([7], 3)]) {
      for (let i = 0; i < 10; i++) {
        const c = sampleChain(seed, rng);
        expect(() => validateGraph(chainGraph(seed, c))).not.toThrow();
        expect(c.training.lrStart).toBeGreaterThan(0);
      }
    }
  });

  it('on a slow machine, draws again the configurations that would outlast the search instead of ending it', async () => {
    const seed = smallCnn([12, 12, 1], 4);
    // An epoch costs 1 s per 10K multiply-adds: the seed 19 s, most of the chain space more than the 60 s left.
    const epochSeconds = (g: Parameters<typeof graphMetrics>[0]) => graphMetrics(g).macs / 1e4;
    const a = await driveStrategy(new Hyperband({ R: 1, eta: 3 }), seed, { generations: 8, epochSeconds, searchSecondsLeft: () => 60 });
    expect(a.generations).toHaveLength(8);
    for (const p of a.generations.flat()) expect(epochSeconds(p.state.graph) * p.epochs).toBeLessThanOrEqual(60);
    expect(new Set(a.generations.flat().map((p) => p.id)).size).toBe(8);
    // When not even the seed fits, the seed is still tried once (the job's hard end stops it), and the search ends.
    const b = await driveStrategy(new Hyperband({ R: 1, eta: 3 }), seed, { generations: 8, epochSeconds, searchSecondsLeft: () => 1 });
    expect(b.generations.map((g) => g.map((p) => p.id))).toEqual([['h0-0']]);
  });

  it('runs successive halving: the best 1/η train on from their own weights, deterministically', async () => {
    const seed = smallCnn([12, 12, 1], 4);
    const run = () => driveStrategy(new Hyperband({ R: 9, eta: 3 }), seed, { generations: 7 });
    const a = await run();
    expect(fingerprint(a.generations)).toBe(fingerprint((await run()).generations));
    expect(a.generations.map((g) => g.length)).toEqual([9, 3, 1, 5, 1, 3, 9]);
    const first = a.generations[0];
    expect(first.every((p) => !p.inherit && p.parentId === null && p.epochs === 1 && p.training?.lrStart)).toBe(true);
    const second = a.generations[1];
    const acc = new Map(a.results.map((r) => [r.id, r.accuracy]));
    const top3 = [...first].sort((x, y) => acc.get(y.id)! - acc.get(x.id)!).slice(0, 3).map((p) => p.id);
    expect(second.map((p) => p.parentId).sort()).toEqual(top3.sort());
    for (const p of second) {
      expect(p.inherit).toBe(true);
      expect(p.epochs).toBe(2);
      expect(p.training).toEqual(first.find((q) => q.id === p.parentId)!.training);
    }
    expect(a.generations[2][0].epochs).toBe(6);
    expect(a.generations[3].every((p) => p.epochs === 3)).toBe(true);
  });
});
