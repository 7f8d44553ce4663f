import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { smallCnn } from '../../engine/graph/presets.js';
import { graphMetrics } from '../../engine/graph/metrics.js';
import type { Graph } from '../../engine/graph/types.js';
import { HillClimb } from '../../engine/search/hillClimb.js';
import { CHILD_MAX_GROWTH } from '../../engine/search/strategy.js';
import { trainingWork } from '../../engine/search/budget.js';
import { driveStrategy, fingerprint } from '../helpers/fakeSearch.js';

describe('hill climbing with morphisms', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  const params = { nNeigh: 4, nNM: 2, epochNeigh: 1, epochSeed: 1 };
  // The fake trains any network's epoch in 0.01 s: 1 s buys a whole step, 0.025 s the best and one child, 0.015 s
  // the best alone (not a step: at least one child must be trained beside it).
  const clock = (left: number[]) => {
    let call = 0;
    return () => left[Math.min(call++, left.length - 1)];
  };

  it('uses the search time to its end with a shorter last step: children first, the best itself last', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-hill-'));
    const { generations } = await driveStrategy(new HillClimb(params), smallCnn([12, 12, 1], 3), { generations: 10, services: { stateDir }, searchSecondsLeft: clock([1, 0.025, 0.015]) });
    expect(generations.map((g) => g.map((p) => p.id))).toEqual([['c0'], ['c1-1', 'c1-2', 'c1-3', 'c1-0'], ['c2-1', 'c2-0']]);
    const [child, best] = generations[2];
    expect(child.morphs.length).toBe(2);
    expect(best).toMatchObject({ morphs: [], parentId: child.parentId, inherit: true });
    expect((await readdir(stateDir)).sort()).toEqual(['hill-step-1.json', 'hill-step-2.json']);
  });

  it('replays the steps it proposed as they were, whatever time is left when a job resumes', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-hill-'));
    const seed = smallCnn([12, 12, 1], 3);
    const first = await driveStrategy(new HillClimb(params), seed, { generations: 10, services: { stateDir }, searchSecondsLeft: clock([1, 0.025, 0.015]) });
    // Resumed with almost no time left: the recorded steps come back whole, then the search ends.
    const replay = await driveStrategy(new HillClimb(params), seed, { generations: 10, services: { stateDir }, searchSecondsLeft: () => 0.001 });
    expect(fingerprint(replay.generations)).toBe(fingerprint(first.generations));
    // Without the record, the same clock would have cut the search after the seed.
    const fresh = await driveStrategy(new HillClimb(params), seed, { generations: 10, services: { stateDir: await mkdtemp(path.join(os.tmpdir(), 'netsprout-hill-')) }, searchSecondsLeft: () => 0.001 });
    expect(fresh.generations.length).toBe(1);
  });

  it('costs each child by its own size: a step keeps the children that fit beside the best, in order', async () => {
    const seed = smallCnn([12, 12, 1], 3);
    const macs = (g: Graph) => graphMetrics(g).macs;
    const base = macs(seed);
    // An epoch costs 0.01 s per seed's worth of multiply-adds; the first step gets exactly the best plus its first child.
    // Children as dear as morphisms make them (the growth bound has a test of its own).
    const unbounded = { ...params, maxGrowth: Infinity };
    const epochSeconds = (g: Graph) => (0.01 * macs(g)) / base;
    const first = await driveStrategy(new HillClimb(unbounded), seed, { generations: 2, searchSecondsLeft: () => 1e6, epochSeconds });
    const [c1] = first.generations[1];
    expect(macs(c1.state.graph)).toBeGreaterThan(base);
    const left = (0.01 * (base + macs(c1.state.graph))) / base + 1e-9;
    const { generations } = await driveStrategy(new HillClimb(unbounded), seed, { generations: 2, searchSecondsLeft: () => left, epochSeconds });
    expect(generations[1].map((p) => p.id)).toEqual(['c1-1', 'c1-0']);
  });

  it("keeps each child within twice its parent's epoch cost, where unbounded morphisms make some far dearer", async () => {
    const seed = smallCnn([28, 28, 1], 10);
    const work = (g: Graph) => trainingWork(graphMetrics(g), 64);
    const epochSeconds = (g: Graph) => work(g) * 1e-9;
    const growth = async (maxGrowth: number) => {
      const { generations } = await driveStrategy(new HillClimb({ nNeigh: 8, nNM: 3, epochNeigh: 1, epochSeed: 1, maxGrowth }), seed, { generations: 4, searchSecondsLeft: () => 1e6, epochSeconds, accuracy: (g) => work(g) });
      const byId = new Map(generations.flat().map((p) => [p.id, p]));
      const children = generations.flat().filter((p) => p.morphs.length > 0);
      return { children, ratios: children.map((c) => work(c.state.graph) / work(byId.get(c.parentId!)!.state.graph)) };
    };
    const bounded = await growth(CHILD_MAX_GROWTH);
    expect(bounded.children.length).toBeGreaterThanOrEqual(15);
    for (const r of bounded.ratios) expect(r).toBeLessThanOrEqual(CHILD_MAX_GROWTH);
    // Still neighbours that grow: most children carry all three morphisms.
    expect(bounded.children.filter((c) => c.morphs.length === 3).length).toBeGreaterThan(bounded.children.length / 2);
    const unbounded = await growth(Infinity);
    expect(Math.max(...unbounded.ratios)).toBeGreaterThan(CHILD_MAX_GROWTH);
  });
});
