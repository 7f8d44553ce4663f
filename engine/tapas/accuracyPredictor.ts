/**
 * The train-less accuracy predictor (TAPAS's TAP, NeuNetS §4.1.2): fitted on the experiments of datasets of
 * similar difficulty (|DCN − DCN(D)| ≤ τ = 0.05, eq. 10, widened until enough experiments are found), it predicts
 * the validation accuracy a network reaches from its architecture encoding, the dataset's difficulty, kind, classes
 * and size, the training epochs and hyper-parameters, and the accuracy of the network it grows from.
 *
 * The paper's TAP is two stacked LSTMs that predict layer by layer from the measured accuracies of every
 * sub-network (18 GPU-months of incrementally trained networks). A job here knows no sub-network accuracies and
 * has a database of hundreds, not hundreds of thousands, of experiments, so the predictor is a random forest
 * (ml-random-forest) on whole-network features; the role of the paper's known sub-network accuracy A_i is played
 * by the accuracy of the parent network whose weights a morphed candidate inherits (1/N_c from scratch, the
 * paper's A_0). It fits in well under a second and scores thousands of networks a second.
 */
import { RandomForestRegression } from 'ml-random-forest';
import type { TrainingSettings } from '../search/strategyServices.js';
import type { ArchitectureEncoding } from './architectureEncoding.js';
import type { ExperimentRecord } from './experimentDb.js';

/** What is known about a candidate before training it. */
export interface PredictorInput {
  arch: ArchitectureEncoding;
  kind: ExperimentRecord['kind'];
  classes: number;
  trainCount: number;
  dcn: number;
  epochs: number;
  parentAccuracy: number | null;
  training?: TrainingSettings;
}

const ARCH_FEATURES = ['logParams', 'logMacs', 'depth', 'layers', 'maxKernel', 'meanLogWidth', 'logMaxWidth', 'logInput', 'dilated', 'n_conv', 'n_separable', 'n_conv1d', 'n_dense', 'n_pool', 'n_batchNorm', 'n_dropout', 'n_add', 'n_concat'];

export function featureVector(x: PredictorInput): number[] {
  const f = x.arch.features;
  const chance = 1 / Math.max(2, x.classes);
  return [
    ...ARCH_FEATURES.map((k) => f[k] ?? 0),
    x.dcn,
    Math.log10(1 + x.trainCount),
    Math.log2(Math.max(2, x.classes)),
    x.kind === 'images' ? 1 : 0,
    x.kind === 'text' ? 1 : 0,
    x.kind === 'table' ? 1 : 0,
    Math.log2(1 + x.epochs),
    x.parentAccuracy ?? chance,
    x.parentAccuracy === null ? 0 : 1,
    Math.log10(x.training?.lrStart ?? 0.05),
    x.training?.optimizer === 'adam' ? 1 : 0,
    Math.log10(x.training?.weightDecay ?? 5e-4),
  ];
}

/** Experiments on datasets whose difficulty is within τ of `dcn`; τ doubles until at least `min` are found. */
export function selectExperiments(records: ExperimentRecord[], dcn: number, tau = 0.05, min = 40): { records: ExperimentRecord[]; tau: number } {
  let t = tau;
  for (;;) {
    const near = records.filter((r) => Math.abs(r.dcn - dcn) <= t + 1e-12);
    if (near.length >= min || t >= 1) return { records: near, tau: t };
    t *= 2;
  }
}

/**
 * What a job fits its predictor on: the experiments of other jobs on the same kind of data, of datasets whose
 * difficulty is near its own (selectExperiments).
 */
export function experimentsForJob(records: ExperimentRecord[], job: { job: string; kind: ExperimentRecord['kind']; dcn: number }): { records: ExperimentRecord[]; tau: number } {
  return selectExperiments(
    records.filter((r) => r.kind === job.kind && r.job !== job.job),
    job.dcn,
  );
}

export class AccuracyPredictor {
  private constructor(private readonly forest: RandomForestRegression, readonly fittedOn: number) {}

  /** Fits on `records`; null when there are too few to learn from. */
  static fit(records: ExperimentRecord[], seed = 0): AccuracyPredictor | null {
    const usable = records.filter((r) => Number.isFinite(r.accuracy) && r.arch?.features);
    if (usable.length < 12) return null;
    const forest = new RandomForestRegression({
      nEstimators: 60,
      maxFeatures: 0.7,
      replacement: true,
      useSampleBagging: true,
      noOOB: true,
      seed: seed + 17,
      treeOptions: { minNumSamples: 3, maxDepth: 10 },
    } as never);
    forest.train(usable.map(featureVector), usable.map((r) => r.accuracy));
    return new AccuracyPredictor(forest, usable.length);
  }

  predict(inputs: PredictorInput[]): number[] {
    if (!inputs.length) return [];
    return this.forest.predict(inputs.map(featureVector)).map((p) => Math.min(1, Math.max(0, p)));
  }
}

function ranks(x: readonly number[]): number[] {
  const order = x.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(x.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (ties get their mean rank); 0 when either list is constant. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error('spearman needs two lists of the same length');
  const n = x.length;
  if (n < 2) return 0;
  const rx = ranks(x);
  const ry = ranks(y);
  const mean = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) ** 2;
    syy += (ry[i] - mean) ** 2;
  }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : 0;
}

export interface HeldOutJob {
  job: string;
  dataset: string;
  experiments: number;
  spearman: number;
}

/**
 * How well the predictor ranks the networks of jobs it was not fitted on: for each job, fit on the other jobs'
 * experiments as the job itself would (experimentsForJob: same kind of data, similar difficulty), predict the
 * held-out job's, and correlate the ranks with the accuracies reached. Jobs with fewer than `minExperiments` are
 * skipped.
 */
export function leaveOneJobOut(records: ExperimentRecord[], minExperiments = 5): { jobs: HeldOutJob[]; meanSpearman: number } {
  const jobs = [...new Set(records.map((r) => r.job))];
  const out: HeldOutJob[] = [];
  for (const job of jobs) {
    const held = records.filter((r) => r.job === job);
    if (held.length < minExperiments) continue;
    const { records: near } = experimentsForJob(records, held[0]);
    const predictor = AccuracyPredictor.fit(near);
    if (!predictor) continue;
    const predicted = predictor.predict(held);
    out.push({ job, dataset: held[0].dataset, experiments: held.length, spearman: spearman(predicted, held.map((r) => r.accuracy)) });
  }
  return { jobs: out, meanSpearman: out.length ? out.reduce((a, j) => a + j.spearman, 0) / out.length : 0 };
}
