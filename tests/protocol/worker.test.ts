import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineMessage, EvaluateResult, PredictResult, ThroughputResult } from '../../engine/protocol/messages.js';
import { createJob } from '../../engine/search/searchJob.js';
import { readJournal } from '../../engine/search/journal.js';
import { quadrantImageFolder, runWorker, tableCsv, tempDir, type WorkerRun } from '../helpers/appFixtures.js';

/** A job's budget plus a few engine starts; a machine busy with other tests takes several times longer. */
const JOB_TEST_TIMEOUT_MS = 300_000;

const resultOf = <T>(messages: EngineMessage[]): T => {
  const last = messages.at(-1)!;
  if (last.kind !== 'result') throw new Error(`expected a result, got ${JSON.stringify(last).slice(0, 500)}`);
  return last.result as T;
};

describe('engine worker', () => {
  it('inspects an image folder: summary, findings and a preview of PNG thumbnails per class', async () => {
    const data = await quadrantImageFolder(48);
    await writeFile(path.join(data, 'q0', 'broken.png'), 'not a png');
    const r = await runWorker({ task: 'inspect', path: data, previewPerClass: 3 });
    expect(r.code).toBe(0);
    expect(r.messages[0]).toMatchObject({ kind: 'ready', protocol: 1 });
    const s = resultOf<{ kind: string; usable: boolean; classes: Array<{ name: string }>; findings: Array<{ code: string }>; preview: { samples: Array<{ label: string; image?: string }> } }>(r.messages);
    expect(s.kind).toBe('images');
    expect(s.classes.map((c) => c.name)).toEqual(['q0', 'q1', 'q2', 'q3']);
    expect(s.findings.map((f) => f.code)).toContain('NOT_AN_IMAGE');
    for (const c of s.classes) {
      const samples = s.preview.samples.filter((x) => x.label === c.name);
      expect(samples.length).toBe(3);
      for (const x of samples) expect(x.image).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    }
  });

  it('inspects a table: the preview holds rows by class', async () => {
    const csv = await tableCsv(60);
    const r = await runWorker({ task: 'inspect', path: csv, previewPerClass: 2 });
    const s = resultOf<{ kind: string; preview: { samples: Array<{ label: string; row?: Record<string, string> }> } }>(r.messages);
    expect(s.kind).toBe('table');
    expect(s.preview.samples).toHaveLength(4);
    for (const x of s.preview.samples) {
      expect(Object.keys(x.row!)).toEqual(['x', 'y', 'colour', 'label']);
      expect(x.row!.label).toBe(x.label);
    }
  });

  it('refuses a malformed task with a clear error and exit code 2', async () => {
    const r = await runWorker({ task: 'inspect', previewPerClass: 3 });
    expect(r.code).toBe(2);
    expect(r.messages).toHaveLength(1);
    const m = r.messages[0];
    expect(m.kind).toBe('error');
    if (m.kind !== 'error') return;
    expect(m.error.code).toBe('ENGINE_BAD_TASK');
    expect(m.error.message).toMatch(/path/);
    const unknown = await runWorker({ task: 'dance' });
    expect(unknown.code).toBe(2);
    expect(unknown.messages[0]).toMatchObject({ kind: 'error', error: { code: 'ENGINE_BAD_TASK' } });
  });

  it('reports the backends, measures the seed network\'s throughput, and answers a profile too short to fit with its error', async () => {
    const data = await quadrantImageFolder(80, 7);
    const out = path.join(await tempDir('profile'), 'device.json');
    const [b, t, pf] = await Promise.all([runWorker({ task: 'backends' }), runWorker({ task: 'throughput', path: data }), runWorker({ task: 'profile', seconds: 2, out })]);
    // A real profile needs minutes (tests/latency); two seconds cannot measure the eight architectures it needs.
    expect(pf.code).toBe(1);
    expect(pf.messages.at(-1)).toMatchObject({ kind: 'error', error: { code: 'PROFILE_TOO_FEW_SAMPLES' } });
    expect(existsSync(out)).toBe(false);
    const backends = resultOf<{ chosen: string; backends: Array<{ name: string; available: boolean }> }>(b.messages);
    expect(backends.backends.find((x) => x.name === backends.chosen)?.available).toBe(true);
    const tp = resultOf<ThroughputResult>(t.messages);
    // 80 images: 10% held out for validation and 10% for testing.
    expect(tp.trainExamples).toBe(64);
    expect(tp.samplesPerSecond).toBeGreaterThan(0);
    expect(tp.epochSeconds).toBeCloseTo(tp.trainExamples / tp.samplesPerSecond, 6);
  });

  it('runs a job that pauses between batches and resumes to the end, then evaluates, predicts and exports its model', async () => {
    const data = await quadrantImageFolder(160, 9);
    const jobDir = path.join(await tempDir('worker-job'), 'job');
    await createJob(jobDir, { data, budgetSeconds: 15, seed: 1, strategy: 'hill' });

    // Pause once the first candidate is in.
    let paused = false;
    const first = await runWorker({ task: 'runJob', jobDir }, (m, send) => {
      if (!paused && m.kind === 'event' && m.event.type === 'candidate') {
        paused = true;
        send({ control: 'pause' });
      }
    });
    expect(first.code).toBe(0);
    const stop = first.messages.at(-1)!;
    expect(stop).toMatchObject({ kind: 'error', error: { code: 'JOB_CANCELLED' }, stopped: 'paused' });
    const before = readJournal(path.join(jobDir, 'journal.jsonl')).events.filter((e) => e.type === 'candidate').map((e) => e.id);
    expect(before.length).toBeGreaterThanOrEqual(1);
    expect(existsSync(path.join(jobDir, 'engine.pid'))).toBe(false);

    const second = await runWorker({ task: 'runJob', jobDir });
    expect(second.code).toBe(0);
    const types = second.messages.filter((m) => m.kind === 'event').map((m) => (m.kind === 'event' ? m.event.type : ''));
    expect(types).toContain('phase');
    expect(types.at(-1)).toBe('done');
    const summary = resultOf<{ summary: { bestId: string; candidates: number } }>(second.messages).summary;
    const after = readJournal(path.join(jobDir, 'journal.jsonl')).events.filter((e) => e.type === 'candidate').map((e) => e.id);
    // Nothing trained before the pause was lost or trained again.
    expect(after.slice(0, before.length)).toEqual(before);
    expect(new Set(after).size).toBe(after.length);
    expect(summary.candidates).toBe(after.length - readJournal(path.join(jobDir, 'journal.jsonl')).events.filter((e) => e.type === 'candidate' && e.status === 'failed').length);

    const [ev, pr, ex] = await Promise.all([
      runWorker({ task: 'evaluate', jobDir, samples: 6 }),
      runWorker({ task: 'predict', model: jobDir, files: [path.join(data, 'q1', readdirFirst(path.join(data, 'q1'))), path.join(data, 'nothing-here.png')] }),
      runWorker({ task: 'export', jobDir, formats: ['onnx'], outDir: path.join(path.dirname(jobDir), 'export') }),
    ]);
    const e = resultOf<EvaluateResult>(ev.messages);
    expect(e.candidate).toBe('final');
    expect(e.classes).toEqual(['q0', 'q1', 'q2', 'q3']);
    const total = e.confusion.flat().reduce((a, b) => a + b, 0);
    expect(e.perClass.reduce((a, c) => a + c.support, 0)).toBe(total);
    expect(e.accuracy).toBeCloseTo(e.confusion.reduce((a, row, k) => a + row[k], 0) / total, 9);
    expect(e.samples).toHaveLength(6);
    for (const s of e.samples) {
      expect(e.classes).toContain(s.predicted);
      expect(s.confidence).toBeGreaterThan(0);
      expect(s.image).toMatch(/^data:image\/png;base64,/);
    }
    const p = resultOf<PredictResult>(pr.messages);
    expect(p.predictions).toHaveLength(2);
    expect(['q0', 'q1', 'q2', 'q3']).toContain(p.predictions[0].label);
    expect(Object.values(p.predictions[0].probabilities!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(p.predictions[1].error?.code).toBe('MISSING_PATH');
    const x = resultOf<{ outDir: string; files: string[] }>(ex.messages);
    expect(x.files).toContain('model.onnx');
    expect(existsSync(path.join(x.outDir, 'model-card.html'))).toBe(true);
    const steps = ex.messages.filter((m) => m.kind === 'event').map((m) => (m.kind === 'event' ? m.event : null));
    expect(steps.map((s) => s?.phase)).toEqual(['export:data', 'export:onnx', 'export:card']);
  }, JOB_TEST_TIMEOUT_MS);

  it('stops a job paused while it profiles its target device between architectures, without waiting for the profile', async () => {
    const data = await quadrantImageFolder(40, 13);
    const jobDir = path.join(await tempDir('worker-job'), 'job');
    // A long budget makes a long profile (a tenth of it): the pause must not wait for it.
    await createJob(jobDir, { data, budgetSeconds: 1200, seed: 1, strategy: 'hill', targetDevice: 'cpu' });
    const cacheBefore = process.env.NETSPROUT_CACHE_DIR;
    // A cache of its own: no profile of this machine made by another test is reused.
    process.env.NETSPROUT_CACHE_DIR = await tempDir('profile-cache');
    let paused = false;
    let run: WorkerRun;
    try {
      run = await runWorker({ task: 'runJob', jobDir }, (m, send) => {
        if (!paused && m.kind === 'event' && m.event.type === 'progress' && m.event.phase === 'profile') {
          paused = true;
          send({ control: 'pause' });
        }
      });
    } finally {
      process.env.NETSPROUT_CACHE_DIR = cacheBefore;
    }
    expect(paused).toBe(true);
    expect(run.code).toBe(0);
    expect(run.messages.at(-1)).toMatchObject({ kind: 'error', error: { code: 'JOB_CANCELLED', message: expect.stringMatching(/^Stopped while measuring/) }, stopped: 'paused' });
    // Stopped in the profile: no target recorded, nothing searched; a resume profiles again.
    const events = readJournal(path.join(jobDir, 'journal.jsonl')).events;
    expect(events.filter((e) => e.type === 'target' || e.type === 'plan' || e.type === 'candidate')).toEqual([]);
  }, JOB_TEST_TIMEOUT_MS);
});

function readdirFirst(dir: string): string {
  return readdirSync(dir).filter((f) => f.endsWith('.png')).sort()[0];
}
