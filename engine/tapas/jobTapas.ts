/**
 * TAPAS inside a search job: the dataset's difficulty (remembered per dataset, else measured with the probe and
 * journaled, so a resumed job does not measure again), the accuracy predictor fitted on the experiments of
 * datasets of similar difficulty (the experiments used are copied into the job folder, so that a resumed job fits
 * the same predictor and its strategy replays the same choices), and the recording of every trained network in
 * the experiment database.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DataKind } from '../data/detectKind.js';
import type { Graph } from '../graph/types.js';
import type { PredictionQuery, TrainingSettings } from '../search/strategyServices.js';
import type { TrainData } from '../train/trainer.js';
import { AccuracyPredictor, experimentsForJob } from './accuracyPredictor.js';
import { encodeArchitecture } from './architectureEncoding.js';
import { datasetFingerprint, measureDifficulty } from './datasetDifficulty.js';
import { appendExperiments, knownDifficulty, readExperiments, rememberDifficulty, type ExperimentRecord } from './experimentDb.js';

export interface JobTapas {
  dcn: number;
  dataset: string;
  predictor: AccuracyPredictor | null;
  /** Predicted validation accuracies, or null without a predictor. */
  predict: ((queries: PredictionQuery[]) => number[]) | null;
  /** Adds a trained network to the experiment database. */
  record(r: { graph: Graph; epochs: number; parentAccuracy: number | null; training?: TrainingSettings; accuracy: number; strategy: string; final?: boolean }): void;
}

export interface JobTapasOptions {
  jobDir: string;
  kind: DataKind;
  inputShape: number[];
  classes: number;
  vocabularySize?: number;
  train: TrainData;
  validation: TrainData;
  seed: number;
  /** The journal's events so far (a `dataset` event holds what was measured before a resume). */
  events: Array<{ type: string; [key: string]: unknown }>;
  journal(event: { type: string; [key: string]: unknown }): void;
  log(message: string): void;
  /** Seconds the probe may take at most. */
  probeSeconds: number;
  /** Pause or cancel: stops the probe between batches (engine/stopSignal.ts). */
  signal?: AbortSignal;
}

export function experimentKind(kind: DataKind): ExperimentRecord['kind'] {
  return kind === 'idx' ? 'images' : kind;
}

export async function prepareJobTapas(o: JobTapasOptions): Promise<JobTapas> {
  const kind = experimentKind(o.kind);
  const facts = { kind: o.kind, inputShape: o.inputShape, classes: o.classes, train: o.train, validation: o.validation, vocabularySize: o.vocabularySize };
  let known = o.events.find((e) => e.type === 'dataset') as { dataset: string; dcn: number; job: string } | undefined;
  if (!known) {
    const dataset = datasetFingerprint(facts);
    let dcn = knownDifficulty(dataset);
    let how = 'remembered';
    if (dcn === null) {
      const m = await measureDifficulty(facts, { seed: o.seed, deadline: performance.now() + o.probeSeconds * 1000, signal: o.signal });
      dcn = m.dcn;
      how = `measured by the probe network in ${m.seconds.toFixed(1)} s`;
      rememberDifficulty(dataset, dcn);
    }
    known = { dataset, dcn, job: randomUUID().slice(0, 12) };
    o.journal({ type: 'dataset', ...known });
    o.log(`Dataset difficulty (DCN) ${dcn.toFixed(3)}, ${how}.`);
  }
  const snapshot = path.join(o.jobDir, 'tapas-experiments.jsonl');
  let fitted: ExperimentRecord[];
  if (existsSync(snapshot)) {
    fitted = readFileSync(snapshot, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as ExperimentRecord);
  } else {
    const { records, tau } = experimentsForJob(readExperiments(), { ...known, kind });
    fitted = records;
    writeFileSync(snapshot, records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
    o.log(records.length ? `Accuracy predictor (TAPAS): ${records.length} experiments on ${kind} of similar difficulty (|ΔDCN| ≤ ${tau.toFixed(2)}).` : `Accuracy predictor (TAPAS): no experiments on ${kind} yet; candidates are not screened.`);
  }
  const predictor = AccuracyPredictor.fit(fitted, o.seed);
  const { dcn, dataset, job } = known;
  const trainCount = o.train.y.length;
  const input = (q: { graph: Graph; epochs: number; parentAccuracy: number | null; training?: TrainingSettings }) => ({ arch: encodeArchitecture(q.graph), kind, classes: o.classes, trainCount, dcn, epochs: q.epochs, parentAccuracy: q.parentAccuracy, training: q.training });
  return {
    dcn,
    dataset,
    predictor,
    predict: predictor ? (queries) => predictor.predict(queries.map(input)) : null,
    record(r) {
      const { arch } = input(r);
      appendExperiments([{ v: 1, job, dataset, kind, classes: o.classes, trainCount, dcn, arch, epochs: r.epochs, parentAccuracy: r.parentAccuracy, ...(r.training && { training: r.training }), accuracy: Number(r.accuracy.toFixed(5)), strategy: r.strategy, ...(r.final && { final: true }) }]);
    },
  };
}
