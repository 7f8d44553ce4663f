import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../engine/search/journal.js';
import { killAfterCandidates, quadrantFolder, runCli } from '../helpers/jobData.js';

const jobDir = async () => path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-job-')), 'job');

describe('EAS in a search job', () => {
  it('resumes an EAS job after kill -9 without repeating a candidate, rebuilding generations from the saved actions', async () => {
    const data = await quadrantFolder(200);
    const out = await jobDir();
    const journal = path.join(out, 'journal.jsonl');
    await killAfterCandidates(['search', '--data', data, '--budget', '26s', '--strategy', 'eas', '--out', out, '--json'], journal, 3, 60_000);
    const before = readJournal(journal).events.filter((e) => e.type === 'candidate');
    const r = await runCli(['resume', out, '--json']);
    expect(r.code, r.stderr + r.stdout.slice(-800)).toBe(0);
    const after = readJournal(journal).events.filter((e) => e.type === 'candidate');
    const ids = after.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of before) expect(after.find((e) => e.id === c.id)).toEqual(c);
    expect(existsSync(path.join(out, 'strategy', 'eas-generation-1.json'))).toBe(true);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(summary.elapsedSeconds).toBeLessThanOrEqual(26 * 1.02 + 0.5);
  });
});
