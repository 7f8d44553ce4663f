import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { smallCnn } from '../../engine/graph/presets.js';
import { chainGraph, sampleChain } from '../../engine/search/chainSpace.js';
import { AccuracyPredictor, experimentsForJob, leaveOneJobOut, spearman } from '../../engine/tapas/accuracyPredictor.js';
import { encodeArchitecture } from '../../engine/tapas/architectureEncoding.js';
import { datasetFingerprint, measureDifficulty } from '../../engine/tapas/datasetDifficulty.js';
import { rememberSpeed, speedHistory } from '../../engine/search/machineSpeed.js';
import { appendExperiments, clearExperiments, experimentsSummary, knownDifficulty, readExperiments, rememberDifficulty, type ExperimentRecord } from '../../engine/tapas/experimentDb.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { quadrantImages } from '../helpers/syntheticData.js';
import { runCli } from '../helpers/jobData.js';

beforeAll(async () => {
  await initBackend();
});

/** Experiments whose accuracy follows a hidden rule of architecture, epochs and difficulty, with noise. */
function syntheticExperiments(jobs: number, perJob: number, seed: number): ExperimentRecord[] {
  const rng = makeRandom(seed);
  const base = smallCnn([16, 16, 1], 10);
  const out: ExperimentRecord[] = [];
  for (let j = 0; j < jobs; j++) {
    const dcn = 0.5 + 0.4 * rng.next();
    for (let k = 0; k < perJob; k++) {
      const arch = encodeArchitecture(chainGraph(base, sampleChain(base, rng)));
      const epochs = 1 + rng.int(8);
      const f = arch.features;
      const skill = 0.35 * Math.tanh(f.depth / 4) + 0.1 * Math.log2(epochs) / 3 + 0.05 * f.n_add - 0.03 * Math.abs(f.logParams - 4.3);
      const accuracy = Math.min(0.99, Math.max(0.05, dcn * (0.55 + skill) + rng.normal() * 0.015));
      out.push({ v: 1, job: `job${j}`, dataset: `d${j % 3}`, kind: 'images', classes: 10, trainCount: 5000, dcn, arch, epochs, parentAccuracy: null, accuracy, strategy: 'synthetic' });
    }
  }
  return out;
}

describe('the train-less accuracy predictor', () => {
  it('ranks the networks of jobs it was not fitted on far better than chance', () => {
    const records = syntheticExperiments(6, 30, 1);
    const { jobs, meanSpearman } = leaveOneJobOut(records);
    expect(jobs).toHaveLength(6);
    expect(meanSpearman).toBeGreaterThan(0.5);
    // Shuffled accuracies carry nothing to learn: about chance.
    const rng = makeRandom(9);
    const shuffled = records.map((r) => ({ ...r }));
    const accs = rng.shuffle(shuffled.map((r) => r.accuracy));
    shuffled.forEach((r, i) => (r.accuracy = accs[i]));
    expect(Math.abs(leaveOneJobOut(shuffled).meanSpearman)).toBeLessThan(meanSpearman - 0.3);
  });

  it('scores each held-out job with the predictor a job would fit: other jobs on the same kind of data only', () => {
    const images = syntheticExperiments(4, 20, 4);
    // Text jobs whose accuracies run against the images' rule: had they been in the fit, the scores would change.
    const text = syntheticExperiments(3, 20, 5).map((r) => ({ ...r, job: `text-${r.job}`, kind: 'text' as const, accuracy: 1 - r.accuracy }));
    const mixed = leaveOneJobOut([...images, ...text]);
    expect(mixed.jobs).toHaveLength(7);
    expect(mixed.jobs.filter((j) => !j.job.startsWith('text-'))).toEqual(leaveOneJobOut(images).jobs);
    const picked = experimentsForJob([...images, ...text], { job: 'job1', kind: 'images', dcn: images[20].dcn }).records;
    expect(picked.length).toBeGreaterThan(0);
    expect(picked.every((r) => r.kind === 'images' && r.job !== 'job1')).toBe(true);
  });

  it('computes Spearman correlations with ties, and needs enough experiments to fit', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 10);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 10);
    expect(spearman([1, 1, 2, 3], [1, 2, 3, 4])).toBeCloseTo(0.9487, 3);
    expect(AccuracyPredictor.fit(syntheticExperiments(1, 5, 2))).toBeNull();
  });
});

describe('the experiment database', () => {
  it('appends, reads, summarises and clears experiments in its folder, keeping the starter database apart', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-lde-'));
    expect(readExperiments({ dir, starter: false })).toEqual([]);
    const records = syntheticExperiments(2, 3, 3);
    appendExperiments(records, dir);
    expect(readExperiments({ dir, starter: false })).toEqual(records);
    rememberDifficulty('abc', 0.75, dir);
    expect(knownDifficulty('abc', dir)).toBe(0.75);
    expect(knownDifficulty('other', dir)).toBeNull();
    const s = experimentsSummary(dir);
    expect(s).toMatchObject({ dir, records: 6, jobs: 2, datasets: 2 });
    expect(s.bytes).toBeGreaterThan(1000);
    // Only numbers and opaque ids: no file names, no class names.
    expect(JSON.stringify(readExperiments({ dir, starter: false }))).not.toMatch(/\/|\.png|\.csv/);
    // The machine's training speed in its last jobs lives alongside and is cleared with it.
    rememberSpeed({ backend: 'wasm', kind: 'images', secPerSampleWork: 3e-10, trainings: 4 }, dir);
    expect(speedHistory('wasm', 'images', dir)).toEqual([3e-10]);
    clearExperiments(dir);
    expect(experimentsSummary(dir)).toMatchObject({ records: 0, bytes: 0 });
    expect(speedHistory('wasm', 'images', dir)).toEqual([]);
  });

  it('is shown and cleared with `netsprout experiments`', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-lde-'));
    appendExperiments(syntheticExperiments(3, 6, 4), dir);
    const shown = await runCli(['experiments', '--json'], { NETSPROUT_EXPERIMENTS_DIR: dir });
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ dir, records: 18, jobs: 3 });
    const cleared = await runCli(['experiments', '--clear'], { NETSPROUT_EXPERIMENTS_DIR: dir });
    expect(cleared.stdout).toContain('18 experiments');
    expect(readExperiments({ dir, starter: false })).toEqual([]);
  });
});

describe('dataset characterisation', () => {
  it('gives an easy dataset a higher difficulty number than the same images with random labels', async () => {
    const make = (random: boolean) => {
      const d = quadrantImages(480, 12, 4);
      const y = random ? Int32Array.from(d.y, (_, i) => (i * 7 + (i >> 2)) % 4) : d.y;
      const x = tf.tensor4d(d.x, [480, 12, 12, 1]);
      return { kind: 'images' as const, inputShape: [12, 12, 1], classes: 4, train: { x: x.slice(0, 400), y: y.slice(0, 400), numClasses: 4 }, validation: { x: x.slice(400), y: y.slice(400), numClasses: 4 } };
    };
    const easy = make(false);
    const hard = make(true);
    const a = await measureDifficulty(easy, { epochs: 3 });
    const b = await measureDifficulty(hard, { epochs: 3 });
    expect(a.dcn).toBeGreaterThan(0.8);
    expect(b.dcn).toBeLessThan(a.dcn - 0.3);
    expect(datasetFingerprint(easy)).not.toBe(datasetFingerprint(hard));
    expect(datasetFingerprint(easy)).toBe(datasetFingerprint(make(false)));
  });
});
