import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STRATEGIES, STRATEGY_INFO } from '../../../engine/search/jobSpec.js';
import type { AppEvent } from '../../../main/common/appApi.js';
import { dispatch } from '../../../main/services/apiDispatch.js';
import { AppServices, withModelCardPolicy } from '../../../main/services/appServices.js';
import type { JobRecord } from '../../../main/services/jobFolderRecord.js';
import { REPO_ROOT, fakeJobFolder, tempDir } from '../../helpers/appFixtures.js';

const open: AppServices[] = [];
afterAll(async () => {
  for (const s of open) await s.close();
});

async function services(home: string): Promise<AppServices> {
  const s = await AppServices.create({ home, appRoot: REPO_ROOT, platform: { mode: 'browser' }, sample: false, lock: false });
  open.push(s);
  return s;
}

const project = { id: 'p1', name: 'Flowers', dataPath: '/data/flowers', kind: 'images', createdAt: '2026-01-01T00:00:00.000Z', isSample: false };

describe('app services', () => {
  it("lists the engine's strategies in plain words, 'auto' first and the default", async () => {
    const app = await services(await tempDir('services'));
    const info = await app.getAppInfo();
    expect(info.defaultStrategy).toBe('auto');
    expect(info.strategies[0]).toEqual({ id: 'auto', ...STRATEGY_INFO.auto });
    expect(info.strategies.map((s) => s.id).sort()).toEqual([...STRATEGIES].sort());
    for (const s of info.strategies) {
      expect(s.title.length).toBeGreaterThan(2);
      expect(s.summary).toMatch(/^[A-Z].{20,140}\.$/);
    }
  });

  it('works the notices out when asked: a job left running by a dead app is noticed until it is dealt with', async () => {
    const home = await tempDir('services');
    const first = await services(home);
    const jobDir = await fakeJobFolder(first.locations.jobsDir, 'job-left', project, false);
    const job: JobRecord = { id: 'job-left', projectId: project.id, status: 'running', strategy: 'hill', budgetSeconds: 60, seed: 0, target: { target: 'cpu' }, jobDir, createdAt: '2026-01-02T03:04:05.000Z', updatedAt: '2026-01-02T03:04:05.000Z', elapsedSeconds: 9, bestAccuracy: 0.7, candidates: 2, summary: null };
    await first.store.update((d) => {
      d.projects.push(project);
      d.jobs.push(job);
    });
    await first.close();

    const app = await services(home);
    const events: AppEvent[] = [];
    app.onEvent((e) => events.push(e));
    expect(app.store.job(job.id)!.status).toBe('interrupted');
    expect((await app.getAppInfo()).notices.join(' ')).toMatch(/1 job was running when NetSprout last stopped/);
    // Dealt with (cancelled here; resumed or deleted alike): the notice goes, and the page is told.
    await app.cancelJob(job.id);
    expect((await app.getAppInfo()).notices.join(' ')).not.toMatch(/was running/);
    expect(events).toContainEqual({ type: 'notices', notices: expect.not.arrayContaining([expect.stringMatching(/was running/)]) });
  });

  it('shows the model card of an export it made, with a strict policy of its own, and nothing else', async () => {
    const app = await services(await tempDir('services'));
    const outDir = path.join(await tempDir('export'), 'Flowers-job');
    await mkdir(outDir, { recursive: true });
    await writeFile(path.join(outDir, 'model-card.html'), '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Card</title></head><body><h1>Model card</h1></body></html>');
    await app.store.update((d) => {
      d.exports.push({ id: 'x-1', jobId: 'job-a', candidateId: null, outDir, exportedAt: '2026-01-01T00:00:00.000Z' });
    });
    const card = await app.getModelCard('x-1');
    expect(card.file).toBe(path.join(outDir, 'model-card.html'));
    expect(card.html).toMatch(/^<!doctype html><html lang="en"><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; [^"]*"><meta charset="utf-8">/);
    expect(card.html).toContain('<h1>Model card</h1>');

    // An id the app never handed out, a path for an id, a card replaced by a link to another file: refused.
    await expect(app.getModelCard('x-2')).rejects.toMatchObject({ code: 'EXPORT_MISSING' });
    const traversal = await dispatch(app, 'getModelCard', ['../../etc/passwd']);
    expect(traversal).toMatchObject({ ok: false, status: 400, error: { code: 'API_BAD_ARGUMENTS' } });
    const secret = path.join(await tempDir('secret'), 'secret.html');
    await writeFile(secret, '<p>not a model card</p>');
    const linked = path.join(await tempDir('export'), 'linked');
    await mkdir(linked);
    await symlink(secret, path.join(linked, 'model-card.html'));
    await app.store.update((d) => {
      d.exports.push({ id: 'x-3', jobId: 'job-a', candidateId: null, outDir: linked, exportedAt: '2026-01-01T00:00:00.000Z' });
    });
    await expect(app.getModelCard('x-3')).rejects.toMatchObject({ code: 'MODEL_CARD_MISSING' });
  });

  it('puts the policy in the head, or makes one', () => {
    expect(withModelCardPolicy('<HTML><HEAD lang="x"><title>t</title></HEAD></HTML>')).toMatch(/^<HTML><HEAD lang="x"><meta http-equiv="Content-Security-Policy" content="[^"]+"><title>/);
    expect(withModelCardPolicy('<p>bare</p>')).toMatch(/^<head><meta http-equiv="Content-Security-Policy" content="[^"]+"><\/head><p>bare<\/p>$/);
  });
});
