/**
 * Dataset characterisation (TAPAS's DC, NeuNetS §4.1.2; Scheidegger et al. 2018): a small probe network, the same
 * for every dataset of a kind, is trained for a few epochs on a subsample; its validation accuracy in [0, 1] is the
 * dataset's difficulty number (DCN; higher is easier). It is measured once per dataset and remembered, by an
 * opaque fingerprint (a hash of the data's shape, counts, label histogram and first examples), in the experiment
 * database's folder.
 */
import { createHash } from 'node:crypto';
import type { DataKind } from '../data/detectKind.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';
import { throwIfStopped } from '../stopSignal.js';
import { GraphModel } from '../train/graphModel.js';
import { evaluate, readBatch, train, type BatchData, type TrainData } from '../train/trainer.js';

/** Bumped when the probe changes, so that difficulties measured differently are not mixed. */
export const PROBE_VERSION = 1;

/** The probe for a kind of data: three Conv-BN-ReLU (16, 32, 32) with pooling for images, a 1-D conv for text, an MLP for tables. */
export function probeGraph(inputShape: number[], classes: number, vocabularySize?: number): Graph {
  const b = new GraphBuilder();
  let x: string;
  if (inputShape.length === 3) {
    x = b.input(inputShape);
    let side = Math.min(inputShape[0], inputShape[1]);
    for (const width of [16, 32, 32]) {
      x = b.convBnRelu(x, width);
      if (side >= 4) {
        x = b.maxPool2d(x);
        side = Math.floor(side / 2);
      }
    }
    x = b.globalAvgPool(x);
  } else if (vocabularySize) {
    x = b.input(inputShape, 'int32', 'tokens');
    x = b.embedding(x, vocabularySize, 32);
    x = b.activation(b.batchNorm(b.conv1d(x, 32, 5)), 'relu');
    x = b.globalMaxPool(x);
  } else {
    x = b.input(inputShape);
    if (inputShape.length > 1) x = b.flatten(x);
    x = b.activation(b.batchNorm(b.dense(x, 64)), 'relu');
  }
  return b.build(b.dense(x, classes, 'softmax'));
}

/** The first `n` examples of a dataset, as batch data (nothing copied until a batch is read). */
export function firstExamples(d: TrainData, n: number): TrainData {
  if (n >= d.y.length) return d;
  const sub: BatchData = { y: d.y.slice(0, n), numClasses: d.numClasses, read: (indices, rng) => readBatch(d, Int32Array.from(indices), rng) };
  return sub;
}

export interface DatasetFacts {
  kind: DataKind;
  inputShape: number[];
  classes: number;
  train: TrainData;
  validation: TrainData;
}

/** An opaque id of a dataset: a hash of its kind, shape, counts, label histogram and its first 16 examples. */
export function datasetFingerprint(d: DatasetFacts): string {
  const h = createHash('sha256');
  const histogram = new Array<number>(d.classes).fill(0);
  for (const y of d.train.y) histogram[y]++;
  h.update(JSON.stringify({ kind: d.kind, shape: d.inputShape, classes: d.classes, train: d.train.y.length, validation: d.validation.y.length, histogram }));
  const n = Math.min(16, d.train.y.length);
  const first = readBatch(d.train, Int32Array.from({ length: n }, (_, i) => i));
  const values = first.dataSync();
  first.dispose();
  h.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return h.digest('hex').slice(0, 16);
}

/**
 * Trains the probe on at most `maxTrain` examples for up to `epochs` epochs (stopping at `deadline`,
 * performance.now() ms) and returns its accuracy on at most `maxValidation` validation examples.
 */
export async function measureDifficulty(
  d: DatasetFacts & { vocabularySize?: number },
  opts: { seed?: number; epochs?: number; maxTrain?: number; maxValidation?: number; deadline?: number; signal?: AbortSignal } = {},
): Promise<{ dcn: number; seconds: number }> {
  const t0 = performance.now();
  const model = GraphModel.create(probeGraph(d.inputShape, d.classes, d.vocabularySize), opts.seed ?? 0);
  try {
    await train(model, firstExamples(d.train, opts.maxTrain ?? 2000), {
      epochs: opts.epochs ?? 3,
      batchSize: 64,
      optimizer: 'adam',
      lrStart: 3e-3,
      lrEnd: 3e-4,
      seed: opts.seed ?? 0,
      deadline: opts.deadline,
      signal: opts.signal,
    });
    // A probe stopped by a pause or cancel measured nothing (and must not be remembered as the data's difficulty).
    throwIfStopped(opts.signal, 'measuring how hard the data is');
    const { accuracy } = await evaluate(model, firstExamples(d.validation, opts.maxValidation ?? 1000));
    return { dcn: Number(accuracy.toFixed(4)), seconds: (performance.now() - t0) / 1000 };
  } finally {
    model.dispose();
  }
}
