import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../engine/search/journal.js';
import { BIN, quadrantFolder, runCli } from '../helpers/jobData.js';

const jobDir = async () => path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-job-')), 'job');

describe('EAS in a search job', () => {
  it('resumes an EAS job after kill -9 without repeating a candidate, rebuilding generations from the saved actions', async () => {
    const data = await quadrantFolder(200);
    const out = await jobDir();
    const child = spawn(process.execPath, [BIN, 'search', '--data', data, '--budget', '26s', '--strategy', 'eas', '--out', out, '--json'], { stdio: 'ignore' });
    const journal = path.join(out, 'journal.jsonl');
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const n = existsSync(journal) ? readJournal(journal).events.filter((e) => e.type === 'candidate').length : 0;
        if (n >= 3) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        } else if (Date.now() - started > 60_000) {
          clearInterval(timer);
          reject(new Error('no candidates within 60 s'));
        }
      }, 100);
    });
    await new Promise((r) => child.once('exit', r));
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
