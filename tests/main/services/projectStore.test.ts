import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProjectRecord } from '../../../main/services/jobFolderRecord.js';
import { ProjectStore } from '../../../main/services/projectStore.js';
import { fakeJobFolder, tempDir } from '../../helpers/appFixtures.js';

const project = (id: string): ProjectRecord => ({ id, name: `Project ${id}`, dataPath: '/data/flowers', kind: 'images', createdAt: '2026-01-01T00:00:00.000Z', isSample: false });

describe('projects store', () => {
  it('writes atomically: a reader never sees a partial file, concurrent updates all land, no temporary file is left', async () => {
    const home = await tempDir('store');
    const file = path.join(home, 'store.json');
    const store = await ProjectStore.open(file, path.join(home, 'jobs'));
    let reading = true;
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        if (existsSync(file)) {
          JSON.parse(await readFile(file, 'utf8'));
          reads++;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.update((d) => d.projects.push({ ...project(`p${i}`), name: 'x'.repeat(2000) }))));
    reading = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.projects).toHaveLength(200);
    expect(readdirSync(home).filter((f) => f.includes('.tmp'))).toEqual([]);
    const again = await ProjectStore.open(file, path.join(home, 'jobs'));
    expect(again.opening.state).toBe('loaded');
    expect(again.data.projects).toHaveLength(200);
  });

  it('is rebuilt from the job folders when it is lost', async () => {
    const home = await tempDir('store');
    const jobsDir = path.join(home, 'jobs');
    await fakeJobFolder(jobsDir, 'job-a', project('p1'), true);
    await fakeJobFolder(jobsDir, 'job-b', project('p1'), false);
    await fakeJobFolder(jobsDir, 'job-c', project('p2'), true);
    await mkdir(path.join(jobsDir, 'not-a-job'));
    const file = path.join(home, 'store.json');
    const first = await ProjectStore.open(file, jobsDir);
    expect(first.opening).toMatchObject({ state: 'rebuilt', jobsAdded: 3 });
    await rm(file);
    const store = await ProjectStore.open(file, jobsDir);
    expect(store.opening.state).toBe('rebuilt');
    expect(store.data.projects.map((p) => p.id).sort()).toEqual(['p1', 'p2']);
    expect(store.job('job-a')).toMatchObject({ status: 'done', candidates: 2, bestAccuracy: 0.7, elapsedSeconds: 59.5, summary: { bestId: 'c1', valAccuracy: 0.72 } });
    // A job that did not finish is one the app lost track of: interrupted, and so resumable.
    expect(store.job('job-b')).toMatchObject({ status: 'interrupted', candidates: 2, summary: null });
    expect(store.data.candidates.filter((c) => c.jobId === 'job-a').map((c) => c.id)).toEqual(['c0', 'c1', 'c2']);
    expect(JSON.parse(readFileSync(file, 'utf8')).jobs).toHaveLength(3);
  });

  it('sets a corrupt store aside, never overwriting it, and rebuilds', async () => {
    const home = await tempDir('store');
    const jobsDir = path.join(home, 'jobs');
    await fakeJobFolder(jobsDir, 'job-a', project('p1'), true);
    const file = path.join(home, 'store.json');
    await writeFile(file, '{"format": "netsprout-store", "projects": [ {"id": "p9"');
    const store = await ProjectStore.open(file, jobsDir);
    expect(store.opening.state).toBe('recovered');
    expect(store.opening.reason).toMatch(/cannot be read/);
    expect(readFileSync(store.opening.setAside!, 'utf8')).toBe('{"format": "netsprout-store", "projects": [ {"id": "p9"');
    expect(store.data.jobs.map((j) => j.id)).toEqual(['job-a']);
    // Valid JSON that is not a store is set aside too.
    await writeFile(file, JSON.stringify({ format: 'netsprout-store', version: 1, projects: 'many' }));
    const again = await ProjectStore.open(file, jobsDir);
    expect(again.opening.state).toBe('recovered');
    expect(again.opening.reason).toMatch(/schema/);
    expect(readdirSync(home).filter((f) => f.includes('.corrupt-'))).toHaveLength(2);
    expect(again.data.projects.map((p) => p.id)).toEqual(['p1']);
  });

  it('adds job folders the store does not list, keeping what it holds', async () => {
    const home = await tempDir('store');
    const jobsDir = path.join(home, 'jobs');
    const file = path.join(home, 'store.json');
    const store = await ProjectStore.open(file, jobsDir);
    await store.update((d) => d.projects.push(project('p7')));
    await fakeJobFolder(jobsDir, 'job-x', project('p1'), false);
    const again = await ProjectStore.open(file, jobsDir);
    expect(again.opening).toMatchObject({ state: 'loaded', jobsAdded: 1 });
    expect(again.data.projects.map((p) => p.id).sort()).toEqual(['p1', 'p7']);
  });
});
