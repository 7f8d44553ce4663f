import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../engine/search/journal.js';
import { readExperiments } from '../../engine/tapas/experimentDb.js';
import { quadrantFolder, runCli } from '../helpers/jobData.js';

const jobDir = async () => path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-job-')), 'job');

describe('portfolio strategies in search jobs', () => {
  for (const [strategy, budget] of [['ncevolve', 14], ['prune-replace', 18]] as const) {
    it(`runs ${strategy} end to end within the budget and records its networks in the experiment database`, async () => {
      const data = await quadrantFolder(160);
      const out = await jobDir();
      const lde = await mkdtemp(path.join(os.tmpdir(), 'netsprout-lde-'));
      const r = await runCli(['search', '--data', data, '--budget', `${budget}s`, '--strategy', strategy, '--out', out, '--json'], { NETSPROUT_EXPERIMENTS_DIR: lde });
      expect(r.code, r.stderr + r.stdout.slice(-800)).toBe(0);
      const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(last.elapsedSeconds).toBeLessThanOrEqual(budget * 1.02 + 0.5);
      const events = readJournal(path.join(out, 'journal.jsonl')).events;
      const candidates = events.filter((e) => e.type === 'candidate' && e.status === 'trained');
      expect(candidates.length).toBeGreaterThan(0);
      expect(events.find((e) => e.type === 'dataset')).toMatchObject({ dcn: expect.any(Number) });
      // Every trained candidate and the final model are in the database, with numbers only.
      const records = readExperiments({ dir: lde, starter: false });
      expect(records.length).toBe(candidates.length + 1);
      expect(records.every((x) => x.strategy === strategy && x.kind === 'images')).toBe(true);
      expect(JSON.stringify(records)).not.toContain(data);
      if (strategy === 'ncevolve') expect(candidates[0].id).toBe('n0');
      if (strategy === 'prune-replace') {
        expect(candidates[0]).toMatchObject({ id: 'p1', morphs: [{ op: 'prune-replace' }] });
        expect(events.some((e) => e.type === 'strategy' && e.event === 'prune-replace-iteration')).toBe(true);
        expect(existsSync(path.join(out, 'strategy', 'prune-replace.json'))).toBe(true);
      }
    });
  }
});
