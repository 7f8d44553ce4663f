import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AppApiArgs } from '../../../main/common/appApi.js';
import { REPO_ROOT, tempDir } from '../../helpers/appFixtures.js';

const run = promisify(execFile);

describe('desktop app build', () => {
  it('bundles a main process and a preload that load, the preload exposing one function per AppApi call and no schemas', async () => {
    // Inside the repository (out/ is ignored by git), so that the bundles find node_modules as the app does.
    const out = path.join(REPO_ROOT, 'out', `test-build-${process.pid}`);
    onTestFinished(() => rm(out, { recursive: true, force: true }));
    await run(process.execPath, [path.join(REPO_ROOT, 'main', 'electron', 'build.mjs'), '--out', out], { cwd: REPO_ROOT });
    const preload = readFileSync(path.join(out, 'preload', 'preload.cjs'), 'utf8');
    // A sandboxed preload may require only electron; it carries no zod (the schemas are checked in main).
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(preload).not.toMatch(/zod/i);
    const home = await tempDir('build-home');
    const { stdout } = await run(process.execPath, [path.join(REPO_ROOT, 'tests', 'main', 'electron', 'fixtures', 'loadBundles.mjs'), out], { cwd: REPO_ROOT, env: { ...process.env, NETSPROUT_HOME: home } });
    const calls = JSON.parse(stdout.trim().split('\n').at(-1)!) as unknown[][];
    const exposed = calls.find((c) => c[0] === 'exposeInMainWorld')!;
    expect(exposed[1]).toBe('netsprout');
    expect((exposed[2] as string[]).sort()).toEqual([...Object.keys(AppApiArgs), 'onEvent', 'pathForFile'].sort());
    // The main process keeps Chromium's files in the data folder's own sub-folder.
    expect(calls).toContainEqual(['setPath', 'sessionData', path.join(home, 'chromium')]);
  });
});
