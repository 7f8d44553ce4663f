/**
 * From a path to training tensors: detect the kind (or take the override), check the data, and cut the splits.
 * Unusable data ends in one NetSproutError that carries every finding; usable data keeps its warnings.
 */
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { isHiddenOrSystem } from './fileWalk.js';
import * as tf from '@tensorflow/tfjs-core';
import { NetSproutError } from '../errors.js';
import { disposeTrainData, type TensorData, type TrainData } from '../train/trainer.js';
import { makeRandom } from '../train/seededRandom.js';
import { detectKind, type DataKind } from './detectKind.js';
import { FindingList, type Finding } from './findings.js';
import { loadIdxFolder } from './idx.js';
import { idxBatchData, idxToTensorData, pixelStats } from './idxTensors.js';
import { userAugmentation, type AugmentSpec } from './images/augmentation.js';
import { imageBatchData, loadImageFolder, type ImageLoadOptions } from './images/imageDataset.js';
import type { ImagePreprocessSpec, PreprocessSpec } from './preprocessSpec.js';
import { checkClasses } from './classBalance.js';
import { stratifiedSplits } from './splits.js';
import { encodeTableRows, fitTableSpec, isMissing, scanTable } from './tables/csvTable.js';
import { encodeTexts, fitTextSpec, scanTextCsv, scanTextFolder } from './text/textData.js';

export interface PreparedData {
  kind: DataKind;
  inputShape: number[];
  classes: string[];
  train: TrainData;
  validation: TrainData;
  test?: TrainData;
  findings: Finding[];
  spec?: PreprocessSpec;
  classWeights?: number[];
  /** Token ids run from 0 to vocabularySize − 1 (text). */
  vocabularySize?: number;
}

export interface PrepareOptions {
  /** Augmentation for images: 'auto' by rule, 'none', or explicit. */
  augment?: ImageLoadOptions['augment'];
  /** Images of other shapes: padded (letterbox) or centre-cropped to the working resolution. */
  fit?: 'pad' | 'crop';
  kind?: DataKind;
  /** The column to predict (tables, text CSV); default: the last. */
  target?: string;
  vocabularySize?: number;
  seed?: number;
  /** Use at most this many training examples (quick runs). */
  limit?: number;
  valFraction?: number;
  /** Pause or cancel (engine/stopSignal.ts): checked between files while the data is read and decoded. */
  signal?: AbortSignal;
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
    const px = split.height * split.width;
    // IDX images are used as they are unless the person asks: on Fashion-MNIST, crops and flips cost test accuracy
    // in trainings of the length a search on a CPU affords (README, Data). An explicit setting applies as for a folder.
    const augment: AugmentSpec =
      typeof opts.augment === 'object'
        ? userAugmentation(opts.augment, (k) => split.images.subarray(k * px, (k + 1) * px), train.length, split.height, split.width, 1, (j) => train[j])
        : opts.augment === 'none'
          ? { cropPadding: 0, flip: false, reason: 'turned off by the user' }
          : { cropPadding: 0, flip: false, reason: 'none: IDX images are used as they are (crops and flips lowered Fashion-MNIST test accuracy after 8 epochs; --augment turns them on)' };
    const classNames = Array.from({ length: classes }, (_, i) => String(i));
    const spec: ImagePreprocessSpec = {
      kind: 'images',
      version: 1,
      height: split.height,
      width: split.width,
      channels: 1,
      fit: 'pad',
      mean: [norm.mean],
      std: [norm.std],
      classes: classNames,
      augment,
    };
    return {
      kind,
      inputShape: [split.height, split.width, 1],
      classes: classNames,
      spec,
      train: augment.cropPadding > 0 || augment.flip ? idxBatchData(split, train, norm, augment, classes) : idxToTensorData(split, train, norm, classes),
      validation: idxToTensorData(split, val, norm, classes),
      test: dataset.test ? idxToTensorData(dataset.test, Array.from({ length: dataset.test.count }, (_, i) => i), norm, classes) : undefined,
      findings: [],
    };
  }
  if (kind === 'images') {
    const { dataset } = await loadImageFolder(p, { seed, target: opts.target, augment: opts.augment, fit: opts.fit, fractions: { validation: opts.valFraction ?? 0.1, test: 0.1 }, signal: opts.signal }, findings);
    if (!dataset) throw new DataUnusableError(p, findings.items);
    // A limit takes a random (seeded) subset: the splits are sorted, and so grouped by class.
    const train = limitIndices(dataset.splits.train, opts.limit, seed);
    const { height, width, channels } = dataset.spec;
    return {
      kind,
      inputShape: [height, width, channels],
      classes: dataset.spec.classes,
      train: imageBatchData(dataset, train),
      validation: imageBatchData(dataset, dataset.splits.validation),
      test: dataset.splits.test.length ? imageBatchData(dataset, dataset.splits.test) : undefined,
      findings: findings.items,
      spec: dataset.spec,
      classWeights: dataset.balance.classWeights,
    };
  }
  if (kind === 'table') {
    const scan = await scanTable(p, findings, opts.target);
    if (!scan) throw new DataUnusableError(p, findings.items);
    const keep = scan.rows.map((_, i) => i).filter((i) => !isMissing(scan.rows[i][scan.targetIndex]));
    if (keep.length < scan.rows.length) {
      findings.warning('MISSING_VALUES', `${scan.rows.length - keep.length} row(s) have no value in the target column "${scan.target}"; they were skipped.`, 'Fill in the target for those rows.', [p]);
    }
    const rawLabels = keep.map((i) => scan.rows[i][scan.targetIndex].trim());
    const balance = checkClasses(rawLabels, findings, `The target column "${scan.target}"`, 'value');
    if (findings.hasErrors) throw new DataUnusableError(p, findings.items);
    const labels = Int32Array.from(rawLabels, (l) => balance.classes.indexOf(l));
    const splits = stratifiedSplits(labels, seed, { validation: opts.valFraction ?? 0.1, test: 0.1 });
    const rows = keep.map((i) => scan.rows[i]);
    const spec = fitTableSpec(scan, splits.train.map((k) => keep[k]), balance.classes);
    const x = encodeTableRows(spec, scan.header, rows);
    const part = (idx: number[]) => rowsTensorData(x, spec.width, labels, idx, balance.classes.length, 'float32');
    return {
      kind,
      inputShape: [spec.width],
      classes: balance.classes,
      train: part(limitIndices(splits.train, opts.limit, seed)),
      validation: part(splits.validation),
      test: splits.test.length ? part(splits.test) : undefined,
      findings: findings.items,
      spec,
      classWeights: balance.classWeights,
    };
  }
  const examples = statSync(p).isDirectory() ? await scanTextFolder(p, findings, opts.signal) : await scanTextCsv(p, findings, opts.target);
  if (!examples) throw new DataUnusableError(p, findings.items);
  const balance = checkClasses(examples.map((e) => e.label), findings, 'The dataset');
  if (findings.hasErrors) throw new DataUnusableError(p, findings.items);
  const labels = Int32Array.from(examples, (e) => balance.classes.indexOf(e.label));
  const splits = stratifiedSplits(labels, seed, { validation: opts.valFraction ?? 0.1, test: 0.1 });
  const spec = fitTextSpec(splits.train.map((i) => examples[i].text), balance.classes, opts.vocabularySize);
  const ids = encodeTexts(spec, examples.map((e) => e.text));
  const part = (idx: number[]) => rowsTensorData(ids, spec.sequenceLength, labels, idx, balance.classes.length, 'int32');
  return {
    kind,
    inputShape: [spec.sequenceLength],
    classes: balance.classes,
    train: part(limitIndices(splits.train, opts.limit, seed)),
    validation: part(splits.validation),
    test: splits.test.length ? part(splits.test) : undefined,
    findings: findings.items,
    spec,
    classWeights: balance.classWeights,
    vocabularySize: spec.vocabulary.length + 2,
  };
}

/** A random (seeded) subset of at most `limit` indices, in their original order. */
function limitIndices(indices: number[], limit: number | undefined, seed: number): number[] {
  if (!limit || limit >= indices.length) return indices;
  return (makeRandom(seed).shuffle([...indices]) as number[]).slice(0, limit).sort((a, b) => a - b);
}

/** Rows of a flat [n, width] array as a tensor, for the chosen examples. */
function rowsTensorData(data: Float32Array | Int32Array, width: number, labels: Int32Array, idx: number[], numClasses: number, dtype: 'float32' | 'int32'): TensorData {
  const out = dtype === 'int32' ? new Int32Array(idx.length * width) : new Float32Array(idx.length * width);
  idx.forEach((i, k) => out.set(data.subarray(i * width, (i + 1) * width), k * width));
  return { x: tf.tensor2d(out, [idx.length, width], dtype), y: Int32Array.from(idx, (i) => labels[i]), numClasses };
}

export function disposePrepared(d: PreparedData): void {
  for (const part of [d.train, d.validation, d.test]) if (part) disposeTrainData(part);
}
