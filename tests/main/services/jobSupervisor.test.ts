import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../../engine/protocol/jobLock.js';
import { readJournal } from '../../../engine/search/journal.js';
import type { AppEvent } from '../../../main/common/appApi.js';
import { AppServices } from '../../../main/services/appServices.js';
import { REPO_ROOT, otherDeviceProfile, quadrantImageFolder, tempDir, waitFor } from '../../helpers/appFixtures.js';

/** A job's budget plus a few engine starts; a machine busy with other tests takes several times longer. */
const JOB_TEST_TIMEOUT_MS = 300_000;

const open: AppServices[] = [];
afterAll(async () => {
  for (const s of open) await s.close();
});

async function services(home: string, stopGraceMs?: number): Promise<AppServices> {
  const s = await AppServices.create({ home, appRoot: REPO_ROOT, platform: { mode: 'browser' }, sample: false, lock: false, stopGraceMs });
  open.push(s);
  return s;
}

const candidatesIn = (jobDir: string) => readJournal(path.join(jobDir, 'journal.jsonl')).events.filter((e) => e.type === 'candidate');

describe('job supervisor', () => {
  it('runs a job, relays its events, pauses and resumes it, survives its engine being killed, and finishes it', async () => {
    const home = await tempDir('supervisor');
    const app = await services(home);
    await app.updateSettings({ throttleMs: 200 });
    const events: AppEvent[] = [];
    app.onEvent((e) => events.push(e));
    const data = await quadrantImageFolder(120, 11);
    const project = await app.createProject({ name: 'Quadrants', dataPath: data });
    // The target: a device profiled elsewhere (no profiling of this machine eats into the short budget).
    const device = await app.importDeviceProfile(await otherDeviceProfile(path.join(home, 'board.json')));
    expect(device).toMatchObject({ builtIn: false, available: true, name: expect.stringMatching(/Cortex-A72/) });
    expect((await app.listTargets()).map((t) => t.target)).toEqual(['cpu', 'gpu', 'browser', device.target]);
    const jobEvents = (type: string) => events.filter((e) => e.type === 'job' && e.event.type === type);
    const statuses = () => events.filter((e) => e.type === 'jobStatus').map((e) => (e.type === 'jobStatus' ? e.status : ''));

    const started = await app.startJob({ projectId: project.id, budget: { seconds: 25 }, target: { target: device.target }, seed: 2, strategy: 'hill' });
    expect(started.status).toBe('running');
    expect(started.strategy).toBe('hill');
    await waitFor(() => jobEvents('candidate').length >= 1, 90_000, 'a first candidate');
    const enginePid = app.supervisor.enginePid(started.id)!;
    const paused = await app.pauseJob(started.id);
    expect(paused.status).toBe('paused');
    expect(isAlive(enginePid)).toBe(false);
    const beforePause = candidatesIn(started.jobDir).map((e) => e.id);
    expect(beforePause.length).toBeGreaterThanOrEqual(1);
    // The store keeps each candidate's summary as it arrives.
    expect((await app.getJob(started.id)).candidates).toBe(app.store.data.candidates.filter((c) => c.jobId === started.id && c.status === 'trained').length);

    const seen = events.length;
    expect((await app.resumeJob(started.id)).status).toBe('running');
    await waitFor(() => events.slice(seen).some((e) => e.type === 'job'), 60_000, 'the resumed engine to report');
    // The engine dies (kill -9): the job is interrupted, with the reason, and resumable.
    process.kill(app.supervisor.enginePid(started.id)!, 'SIGKILL');
    await waitFor(() => app.store.job(started.id)!.status === 'interrupted', 20_000, 'the job to be marked interrupted');
    const interrupted = await app.getJob(started.id);
    expect(interrupted.error?.code).toBe('ENGINE_DIED');
    expect(interrupted.error?.message).toMatch(/SIGKILL/);

    expect((await app.resumeJob(started.id)).status).toBe('running');
    // The status event is sent once the store has written the status to disk, so wait for the event, not the store.
    await waitFor(() => ['done', 'failed'].includes(statuses().at(-1)!) && statuses().length >= 6, 90_000, 'the job to finish');
    const done = await app.getJob(started.id);
    expect(done.status).toBe('done');
    expect(done.error).toBeUndefined();
    expect(statuses()).toEqual(['running', 'paused', 'running', 'interrupted', 'running', 'done']);
    // No candidate was lost or trained twice across the pause and the kill.
    const ids = candidatesIn(started.jobDir).map((e) => e.id);
    expect(ids.slice(0, beforePause.length)).toEqual(beforePause);
    expect(new Set(ids).size).toBe(ids.length);
    // The live view holds the job as the journal tells it, and the relayed events are the engine's.
    expect(done.leaderboard.map((r) => r.id).sort()).toEqual([...ids].map(String).sort());
    expect(done.summary?.bestId).toBe(done.recommendedId);
    expect(done.progress?.fraction).toBe(1);
    expect(jobEvents('done')).toHaveLength(1);
    expect(jobEvents('phase').length).toBeGreaterThanOrEqual(3);
    const relayed = new Set(jobEvents('candidate').map((e) => (e.type === 'job' && e.event.type === 'candidate' ? e.event.id : '')));
    expect(relayed.size).toBe(jobEvents('candidate').length);
    const detail = await app.getCandidate(started.id, done.summary!.bestId);
    expect(detail.lineage.at(-1)!.id).toBe(done.summary!.bestId);
    expect(detail.lineage[0].id).toBe('c0');
    // Every candidate's architecture in words and drawn, those whose weights the search deleted included.
    for (const r of done.leaderboard) expect(r.summary).toMatch(/^\d+ conv\b/);
    const dropped = done.leaderboard.find((r) => !existsSync(path.join(started.jobDir, 'candidates', r.id, 'weights.json')));
    if (dropped) expect((await app.getCandidate(started.id, dropped.id)).graph?.layers.length).toBeGreaterThan(3);

    // Results, a dropped file, and an export into the default folder, named after the project and the job.
    const exportsDir = path.join(home, 'exports');
    await app.updateSettings({ defaultExportDir: exportsDir });
    const png = readFileSync(path.join(data, 'q2', readdirSync(path.join(data, 'q2'))[0]));
    const [results, upload, exported] = await Promise.all([
      app.getResults(started.id),
      app.predictUpload(started.id, undefined, { name: 'my photo.png', base64: png.toString('base64') }),
      app.exportModel(started.id, { formats: ['onnx'] }),
    ]);
    expect(results).toMatchObject({ jobId: started.id, candidate: 'final', trainedFromId: done.summary!.bestId, recommendedId: done.summary!.bestId, classes: ['q0', 'q1', 'q2', 'q3'] });
    expect(results.alternatives.map((a) => a.id)).toEqual(done.front.map((f) => f.id));
    expect(await app.getResults(started.id)).toBe(results);
    expect(upload.predictions).toHaveLength(1);
    expect(upload.predictions[0].file).toBe('my photo.png');
    expect(results.classes).toContain(upload.predictions[0].label);
    expect(readdirSync(path.join(home, 'tmp'))).toEqual([]);
    expect(exported.outDir).toBe(path.join(exportsDir, `Quadrants-${started.id}`));
    expect(exported.files).toContain('model.onnx');
    expect(exported.modelCard).toBe(path.join(exported.outDir, 'model-card.html'));
    const card = await app.getModelCard(exported.exportId);
    expect(card.file).toBe(exported.modelCard);
    expect(card.html).toContain('Content-Security-Policy');
    expect(card.html).toMatch(/<h1>[^<]+<\/h1>[\s\S]*final model/);
  }, JOB_TEST_TIMEOUT_MS);

  it('queues a second job behind the running one, cancels either, and marks jobs left running by a dead app as interrupted', async () => {
    const home = await tempDir('supervisor');
    // An engine still starting (loading its backend) stops only once it is up: end it after 3 s.
    const app = await services(home, 3000);
    const data = await quadrantImageFolder(40, 12);
    const project = await app.createProject({ name: 'Quadrants', dataPath: data });
    const device = await app.importDeviceProfile(await otherDeviceProfile(path.join(home, 'board.json')));
    const a = await app.startJob({ projectId: project.id, budget: { seconds: 60 }, target: { target: device.target, maxLatencyMs: 5 } });
    const b = await app.startJob({ projectId: project.id, budget: { seconds: 60 }, target: { target: device.target } });
    // Unless one is chosen, the engine picks the strategy (a latency limit makes it multi-objective).
    expect([a.strategy, b.strategy]).toEqual(['auto', 'auto']);
    expect([a.status, b.status]).toEqual(['running', 'queued']);
    expect((await app.cancelJob(b.id)).status).toBe('cancelled');
    expect((await app.cancelJob(a.id)).status).toBe('cancelled');
    await expect(app.pauseJob(a.id)).rejects.toThrow(/not running/);
    // A job the store shows as running when the app starts belongs to an app that died.
    await app.store.update((d) => {
      d.jobs.find((j) => j.id === a.id)!.status = 'running';
    });
    const next = await services(home);
    expect(next.store.job(a.id)!.status).toBe('interrupted');
    expect((await next.getAppInfo()).notices.join(' ')).toMatch(/1 job was running when NetSprout last stopped/);
    expect(next.store.job(b.id)!.status).toBe('cancelled');
  });
});
