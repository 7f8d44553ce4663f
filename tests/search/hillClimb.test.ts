import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { smallCnn } from '../../engine/graph/presets.js';
import { HillClimb } from '../../engine/search/hillClimb.js';
import { driveStrategy, fingerprint } from '../helpers/fakeSearch.js';

describe('hill climbing with morphisms', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  const params = { nNeigh: 4, nNM: 2, epochNeigh: 1, epochSeed: 1 };
  // The fake trains an epoch in 0.01 s, so a neighbour is estimated at 0.013 s: 1 s buys a whole step, 0.03 s two
  // neighbours, 0.02 s one (not a step: the best must be trained on beside at least one child).
  const clock = (left: number[]) => {
    let call = 0;
    return () => left[Math.min(call++, left.length - 1)];
  };

  it('uses the search time to its end with a shorter last step: children first, the best itself last', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-hill-'));
    const { generations } = await driveStrategy(new HillClimb(params), smallCnn([12, 12, 1], 3), { generations: 10, services: { stateDir }, searchSecondsLeft: clock([1, 0.03, 0.02]) });
    expect(generations.map((g) => g.map((p) => p.id))).toEqual([['c0'], ['c1-1', 'c1-2', 'c1-3', 'c1-0'], ['c2-1', 'c2-0']]);
    const [child, best] = generations[2];
    expect(child.morphs.length).toBe(2);
    expect(best).toMatchObject({ morphs: [], parentId: child.parentId, inherit: true });
    expect((await readdir(stateDir)).sort()).toEqual(['hill-step-1.json', 'hill-step-2.json']);
  });

  it('replays the steps it proposed as they were, whatever time is left when a job resumes', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-hill-'));
    const seed = smallCnn([12, 12, 1], 3);
    const first = await driveStrategy(new HillClimb(params), seed, { generations: 10, services: { stateDir }, searchSecondsLeft: clock([1, 0.03, 0.02]) });
    // Resumed with almost no time left: the recorded steps come back whole, then the search ends.
    const replay = await driveStrategy(new HillClimb(params), seed, { generations: 10, services: { stateDir }, searchSecondsLeft: () => 0.001 });
    expect(fingerprint(replay.generations)).toBe(fingerprint(first.generations));
    // Without the record, the same clock would have cut the search after the seed.
    const fresh = await driveStrategy(new HillClimb(params), seed, { generations: 10, services: { stateDir: await mkdtemp(path.join(os.tmpdir(), 'netsprout-hill-')) }, searchSecondsLeft: () => 0.001 });
    expect(fresh.generations.length).toBe(1);
  });
});
