import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { currentEngine, engineOf, summariseSeeds } from '../../bench/benchRecords.js';

const git = (...args: string[]): string | null => {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};
// Engine trees are read from git: the second test needs a checkout with its history (a CI clone has one).
const head = git('rev-parse', '--short', 'HEAD');

describe('benchmark records', () => {
  it('summarises each strategy over its seeds, against random search only on the seeds both ran', () => {
    const runs = [
      { strategy: 'random', seed: 0, testAccuracy: 0.9 },
      { strategy: 'random', seed: 1, testAccuracy: 0.8 },
      { strategy: 'hill', seed: 1, testAccuracy: 0.86 },
      { strategy: 'hill', seed: 0, testAccuracy: 0.92 },
      { strategy: 'hill', seed: 2, testAccuracy: 0.95 },
      { strategy: 'eas', seed: 0, testAccuracy: null },
    ];
    const [random, hill, ...rest] = summariseSeeds(runs);
    expect(rest).toEqual([]); // a run without a test accuracy is left out, and so is a strategy with none
    expect(random.vsRandom).toBeNull();
    expect(hill.runs.map((r) => r.seed)).toEqual([0, 1, 2]);
    expect(hill.mean).toBeCloseTo((0.92 + 0.86 + 0.95) / 3, 12);
    expect(hill.sd).toBeCloseTo(Math.sqrt(((0.92 - 0.91) ** 2 + (0.86 - 0.91) ** 2 + (0.95 - 0.91) ** 2) / 2), 12);
    // Seeds 0 and 1 are paired (+0.02, +0.06); seed 2 has no random run.
    expect(hill.pairedSeeds).toBe(2);
    expect(hill.vsRandom).toBeCloseTo(0.04, 12);
  });

  it.skipIf(!head)('matches a run recorded without an engine stamp by the engine tree of its commit (skipped outside a git checkout)', () => {
    const tree = git('rev-parse', '--short', 'HEAD:engine');
    expect(engineOf({ commit: head as string })).toBe(tree as string);
    expect(engineOf({ commit: head as string, engine: 'abc1234' })).toBe('abc1234');
    expect(engineOf({})).toBe('unknown');
    expect(currentEngine().startsWith(tree as string)).toBe(true);
  });
});
