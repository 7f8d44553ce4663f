/**
 * From a path to training tensors: detect the kind (or take the override), check the data, and cut the splits.
 * Unusable data ends in one NetSproutError that carries every finding; usable data keeps its warnings.
 */
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { isHiddenOrSystem } from './fileWalk.js';
import * as tf from '@tensorflow/tfjs-core';
import { NetSproutError } from '../errors.js';
import type { TensorData } from '../train/trainer.js';
import { makeRandom } from '../train/seededRandom.js';
import { detectKind, type DataKind } from './detectKind.js';
import { FindingList, type Finding } from './findings.js';
import { loadIdxFolder } from './idx.js';
import { idxToTensorData, pixelStats } from './idxTensors.js';
import { imageTensorData, loadImageFolder } from './images/imageDataset.js';
import type { PreprocessSpec } from './preprocessSpec.js';

export interface PreparedData {
  kind: DataKind;
  inputShape: number[];
  classes: string[];
  train: TensorData;
  validation: TensorData;
  test?: TensorData;
  findings: Finding[];
  spec?: PreprocessSpec;
  classWeights?: number[];
}

export interface PrepareOptions {
  kind?: DataKind;
  seed?: number;
  /** Use at most this many training examples (quick runs). */
  limit?: number;
  valFraction?: number;
}

export class DataUnusableError extends NetSproutError {
  readonly findings: Finding[];
  constructor(where: string, findings: Finding[]) {
    const errors = findings.filter((f) => f.severity === 'error');
    super(
      errors[0]?.code ?? 'DATA_UNUSABLE',
      `${where} cannot be used: ${errors.map((e) => e.message).join(' ')}`,
      errors.map((e) => e.hint).join(' '),
      errors.flatMap((e) => e.files),
    );
    this.findings = findings;
  }
}

export async function resolveKind(p: string, findings: FindingList, override?: DataKind): Promise<DataKind | null> {
  if (!existsSync(p)) {
    findings.error('MISSING_PATH', `${p} does not exist.`, 'Check the path; drag the folder in, or pick it with the file dialog.', [p]);
    return null;
  }
  if (statSync(p).isDirectory() && (await readdir(p)).filter((n) => !isHiddenOrSystem(n)).length === 0) {
    findings.error('EMPTY_FOLDER', `The folder ${p} is empty.`, 'Put one sub-folder of examples per class in it.', [p]);
    return null;
  }
  const kind = override ?? (await detectKind(p));
  if (!kind) {
    findings.error(
      'UNKNOWN_KIND',
      `NetSprout found no images, text files, table or IDX files in ${p}.`,
      'Give a folder with one sub-folder of images per class, a CSV table, or a folder of .txt files per class.',
      [p],
    );
  }
  return kind;
}

export async function prepareData(p: string, opts: PrepareOptions = {}): Promise<PreparedData> {
  const findings = new FindingList();
  const kind = await resolveKind(p, findings, opts.kind);
  if (!kind) throw new DataUnusableError(p, findings.items);
  const seed = opts.seed ?? 0;
  if (kind === 'idx') {
    const dataset = await loadIdxFolder(p);
    const split = dataset.train;
    const classes = Math.max(...split.labels) + 1;
    const order = makeRandom(seed).shuffle(Array.from({ length: split.count }, (_, i) => i)) as number[];
    const limit = Math.min(split.count, opts.limit ?? split.count);
    const valCount = Math.max(1, Math.round(limit * (opts.valFraction ?? 0.1)));
    const val = order.slice(0, valCount);
    const train = order.slice(valCount, limit);
    const norm = pixelStats(split, train);
    return {
      kind,
      inputShape: [split.height, split.width, 1],
      classes: Array.from({ length: classes }, (_, i) => String(i)),
      train: idxToTensorData(split, train, norm, classes),
      validation: idxToTensorData(split, val, norm, classes),
      test: dataset.test ? idxToTensorData(dataset.test, Array.from({ length: dataset.test.count }, (_, i) => i), norm, classes) : undefined,
      findings: [],
    };
  }
  if (kind === 'images') {
    const { dataset } = await loadImageFolder(p, { seed, fractions: { validation: opts.valFraction ?? 0.1, test: 0.1 } }, findings);
    if (!dataset) throw new DataUnusableError(p, findings.items);
    // A limit takes a random (seeded) subset: the splits are sorted, and so grouped by class.
    const train = opts.limit && opts.limit < dataset.splits.train.length ? (makeRandom(seed).shuffle([...dataset.splits.train]) as number[]).slice(0, opts.limit).sort((a, b) => a - b) : dataset.splits.train;
    const { height, width, channels } = dataset.spec;
    return {
      kind,
      inputShape: [height, width, channels],
      classes: dataset.spec.classes,
      train: imageTensorData(dataset, train),
      validation: imageTensorData(dataset, dataset.splits.validation),
      test: dataset.splits.test.length ? imageTensorData(dataset, dataset.splits.test) : undefined,
      findings: findings.items,
      spec: dataset.spec,
      classWeights: dataset.balance.classWeights,
    };
  }
  throw new NetSproutError(
    'DATA_KIND_NOT_YET',
    `${p} looks like ${kind === 'table' ? 'a table' : 'text'}; this version of NetSprout trains on images and IDX files only.`,
    'Use an image folder (one sub-folder per class) or IDX files for now.',
    [p],
  );
}

export function disposePrepared(d: PreparedData): void {
  tf.dispose([d.train.x, d.validation.x, ...(d.test ? [d.test.x] : [])]);
}
