/**
 * Trains a GraphModel on data held in tensors: mini-batch SGD with momentum (or Adam) under an SGDR schedule,
 * weight decay, optional early stopping, progress events, and cancellation between batches. A training whose loss
 * becomes NaN or infinite starts again from the weights it began with, at a fifth of the learning rate (twice at
 * most), and says so in its result; only then is the divergence an error.
 * The same seed on the same backend gives the same weights; no tensor outlives its batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NetSproutError } from '../errors.js';
import type { GraphModel } from './graphModel.js';
import { adam, sgd, type Optimizer } from './optimizers.js';
import { makeRandom, type SeededRandom } from './seededRandom.js';
import { sgdrLearningRate } from './sgdrSchedule.js';
import { classificationLoss } from './trainingOps.js';

export interface TensorData {
  /** All samples: float32 [N, ...] (images, tables) or int32 [N, L] (token ids). */
  x: tf.Tensor;
  /** Class index of every sample. */
  y: Int32Array;
  numClasses: number;
}

/** Data that builds its batches on demand (from bytes in memory or on disk), with augmentation in training. */
export interface BatchData {
  y: Int32Array;
  numClasses: number;
  /** The examples at `indices` (positions into y), as one tensor; `rng` is given in training only. */
  read(indices: ArrayLike<number>, rng?: SeededRandom): tf.Tensor;
}

export type TrainData = TensorData | BatchData;

export function isTensorData(d: TrainData): d is TensorData {
  return (d as TensorData).x instanceof tf.Tensor;
}

/** A batch of examples by position; augmentation applies when `rng` is given. */
export function readBatch(d: TrainData, indices: Int32Array, rng?: SeededRandom): tf.Tensor {
  if (isTensorData(d)) return tf.tidy(() => tf.gather(d.x, tf.tensor1d(indices, 'int32')));
  return d.read(indices, rng);
}

export function disposeTrainData(d: TrainData): void {
  if (isTensorData(d)) d.x.dispose();
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  optimizer: 'sgd' | 'adam';
  lrStart: number;
  lrEnd: number;
  restartEpochs?: number;
  restartMultiplier?: number;
  /** A linear warm-up of the learning rate over the first steps (a network fresh from a morphism). */
  warmupSteps?: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  seed?: number;
  /** Stop when validation accuracy has not improved by minDelta for `patience` epochs. */
  earlyStopping?: { patience: number; minDelta?: number; restoreBest?: boolean };
  /** Per-class loss weights (class balance). */
  classWeights?: number[];
  /** Train on at most this many batches per epoch (benchmarks). */
  maxBatchesPerEpoch?: number;
  /** Stop after this many steps in all (the schedule anneals over them): a training that must fit a time budget. */
  maxSteps?: number;
  /** A hard stop (performance.now() milliseconds), checked between batches. */
  deadline?: number;
  /**
   * Fit the training to the deadline: from the measured time per step, the number of steps (and so the cosine
   * schedule) is set to end at the deadline, re-estimated as training goes.
   */
  fitToDeadline?: boolean;
  /**
   * How many times a training whose loss becomes NaN or infinite starts again from its first weights at a fifth of
   * the learning rate (default 2; 0 makes the first divergence an error).
   */
  divergenceRestarts?: number;
  /** Called when a diverged training starts again, with where it diverged and the new starting learning rate. */
  onRestart?: (restart: DivergenceRestart, nextLrStart: number) => void;
  /** A batch transform applied in training only (augmentation); must not keep its input. */
  augment?: (batch: tf.Tensor, rng: SeededRandom) => tf.Tensor;
  onProgress?: (p: TrainProgress) => void;
  onEpoch?: (e: EpochResult) => void;
  signal?: AbortSignal;
}

export interface TrainProgress {
  phase: 'train';
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  learningRate: number;
  samplesPerSec: number;
  etaSeconds: number;
}

export interface EpochResult {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  seconds: number;
}

export interface TrainResult {
  epochs: EpochResult[];
  stoppedEarly: boolean;
  cancelled: boolean;
  seconds: number;
  samplesSeen: number;
  samplesPerSec: number;
  /** Epoch whose weights the model holds at the end (differs from the last with restoreBest). */
  bestEpoch: number;
  /** Where the loss diverged and the training started again at a lower learning rate (absent when it never did). */
  restarts?: DivergenceRestart[];
  /** The learning rates used at the end, as a share of the ones asked for (1 without restarts). */
  learningRateScale?: number;
}

export interface DivergenceRestart {
  epoch: number;
  batch: number;
  /** The starting learning rate of the training that diverged. */
  lrStart: number;
  loss: number;
}

/** The factor on the learning rates after each divergence. */
export const DIVERGENCE_LR_FACTOR = 0.2;

class TrainingDiverged extends Error {
  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly loss: number,
    readonly samplesSeen: number,
  ) {
    super(`Training diverged: the loss became ${loss} at epoch ${epoch}, batch ${batch}.`);
  }
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  predictions: Int32Array;
  count: number;
}

function makeOptimizer(config: TrainConfig): Optimizer {
  const weightDecay = config.weightDecay ?? (config.optimizer === 'sgd' ? 5e-4 : 0);
  return config.optimizer === 'adam'
    ? adam({ beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay })
    : sgd({ momentum: config.momentum ?? 0.9, nesterov: config.nesterov ?? true, weightDecay });
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Loss, accuracy and predicted classes in inference mode, in batches. */
export async function evaluate(model: GraphModel, data: TrainData, batchSize = 256): Promise<Evaluation> {
  const n = data.y.length;
  const predictions = new Int32Array(n);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const batch = isTensorData(data) ? null : data.read(Int32Array.from({ length: end - start }, (_, i) => start + i));
    const [loss, pred] = tf.tidy(() => {
      const xb = batch ?? tf.slice((data as TensorData).x, start, end - start);
      const yb = tf.tensor1d(data.y.subarray(start, end), 'int32');
      const logits = model.forward(xb, { training: false, logits: true });
      const l = tf.losses.softmaxCrossEntropy(tf.oneHot(yb, data.numClasses), logits, undefined, undefined, tf.Reduction.SUM);
      return [l.dataSync()[0], tf.argMax(logits, 1).dataSync() as Int32Array];
    });
    batch?.dispose();
    lossSum += loss;
    predictions.set(pred, start);
    for (let i = start; i < end; i++) if (pred[i - start] === data.y[i]) correct++;
    await nextTurn();
  }
  return { loss: n ? lossSum / n : 0, accuracy: n ? correct / n : 0, predictions, count: n };
}

/**
 * Trains `model` in place. A divergence (a NaN or infinite loss) restores the weights the training began with and
 * starts it again with both learning rates times DIVERGENCE_LR_FACTOR, at most `divergenceRestarts` times; the
 * deadline stays where it was. Past that, a TRAINING_DIVERGED error says where and at which learning rates.
 */
export async function train(model: GraphModel, trainData: TrainData, config: TrainConfig, valData?: TrainData): Promise<TrainResult> {
  const allowed = config.divergenceRestarts ?? 2;
  const first = allowed > 0 ? new Map([...model.allWeights()].map(([id, ws]) => [id, ws.map((w) => w.data.slice())])) : null;
  const restarts: DivergenceRestart[] = [];
  const t0 = performance.now();
  let samplesBefore = 0;
  let scale = 1;
  for (;;) {
    const lrStart = config.lrStart * scale;
    try {
      const result = await trainOnce(model, trainData, scale === 1 ? config : { ...config, lrStart, lrEnd: config.lrEnd * scale }, valData);
      if (restarts.length === 0) return result;
      result.samplesSeen += samplesBefore;
      result.seconds = (performance.now() - t0) / 1000;
      result.samplesPerSec = result.samplesSeen / Math.max(result.seconds, 1e-9);
      return { ...result, restarts, learningRateScale: scale };
    } catch (e) {
      if (!(e instanceof TrainingDiverged)) throw e;
      restarts.push({ epoch: e.epoch, batch: e.batch, lrStart, loss: e.loss });
      if (!first || restarts.length > allowed) {
        const tried = restarts.map((r) => `${formatRate(r.lrStart)} (epoch ${r.epoch}, batch ${r.batch})`).join(', ');
        throw new NetSproutError(
          'TRAINING_DIVERGED',
          `${e.message}${restarts.length > 1 ? ` It diverged at every learning rate tried: ${tried}.` : ''}`,
          'Start at a lower learning rate (--lr), or use --optimizer adam; a network without batch normalisation diverges more easily.',
        );
      }
      samplesBefore += e.samplesSeen;
      for (const [id, arrays] of first) model.setLayerWeights(id, arrays.map((a) => a.slice()));
      scale *= DIVERGENCE_LR_FACTOR;
      config.onRestart?.(restarts[restarts.length - 1], config.lrStart * scale);
    }
  }
}

export function formatRate(lr: number): string {
  return Number(lr.toPrecision(3)).toString();
}

async function trainOnce(model: GraphModel, trainData: TrainData, config: TrainConfig, valData?: TrainData): Promise<TrainResult> {
  const rng = makeRandom(config.seed ?? 0);
  const n = trainData.y.length;
  const batchSize = Math.min(config.batchSize, n);
  const fullBatches = Math.ceil(n / batchSize);
  const batches = Math.min(fullBatches, config.maxBatchesPerEpoch ?? fullBatches);
  const stepCap = Math.min(batches * config.epochs, config.maxSteps ?? Infinity);
  let totalSteps = stepCap;
  const optimizer = makeOptimizer(config);
  const vars = model.trainableVariables();
  const decayed = new Set(model.decayedVariables());
  const classWeights = config.classWeights ? tf.tensor1d(config.classWeights) : null;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const result: TrainResult = { epochs: [], stoppedEarly: false, cancelled: false, seconds: 0, samplesSeen: 0, samplesPerSec: 0, bestEpoch: 0 };
  const t0 = performance.now();
  let best = -Infinity;
  let bestWeights: Map<string, Float32Array[]> | null = null;
  let sinceBest = 0;
  let step = 0;
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const te = performance.now();
      rng.shuffle(order);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        if (config.signal?.aborted) {
          result.cancelled = true;
          break;
        }
        if (step >= totalSteps || (config.deadline !== undefined && performance.now() >= config.deadline)) {
          result.stoppedEarly = true;
          break;
        }
        const start = b * batchSize;
        const idx = order.subarray(start, Math.min(n, start + batchSize));
        if (config.fitToDeadline && config.deadline !== undefined && step > 0 && (step === 3 || step % 20 === 0)) {
          const msPerStep = (performance.now() - t0) / step;
          totalSteps = Math.max(step + 1, Math.min(stepCap, step + Math.floor((config.deadline - performance.now()) / msPerStep)));
        }
        const lr = sgdrLearningRate(config, step, batches, totalSteps);
        const dropoutSeed = rng.seed();
        const kept: { correct?: tf.Tensor } = {};
        const xb0 = readBatch(trainData, idx, rng);
        const xb = config.augment ? config.augment(xb0, rng) : xb0;
        const yb = tf.tensor1d(Int32Array.from(idx, (i) => trainData.y[i]), 'int32');
        const { value, grads } = tf.variableGrads(() => {
          const logits = model.forward(xb, { training: true, logits: true, dropoutSeed }) as tf.Tensor2D;
          const weights = classWeights ? (tf.gather(classWeights, yb) as tf.Tensor1D) : undefined;
          const { loss, correct } = classificationLoss(logits, yb, trainData.numClasses, weights);
          kept.correct = tf.keep(correct);
          return loss;
        }, vars);
        optimizer.apply(vars, grads, lr, decayed);
        const lossValue = value.dataSync()[0];
        correct += kept.correct!.dataSync()[0];
        tf.dispose([value, kept.correct!, xb, yb, ...Object.values(grads)]);
        if (xb0 !== xb) xb0.dispose();
        lossSum += lossValue * idx.length;
        seen += idx.length;
        step++;
        result.samplesSeen += idx.length;
        if (!Number.isFinite(lossValue)) throw new TrainingDiverged(epoch, b + 1, lossValue, result.samplesSeen);
        const elapsed = (performance.now() - t0) / 1000;
        const rate = result.samplesSeen / Math.max(elapsed, 1e-9);
        config.onProgress?.({
          phase: 'train',
          epoch,
          epochs: config.epochs,
          batch: b + 1,
          batches,
          loss: lossValue,
          learningRate: lr,
          samplesPerSec: rate,
          etaSeconds: ((totalSteps - step) * batchSize) / Math.max(rate, 1e-9),
        });
        await nextTurn();
      }
      if (result.cancelled || seen === 0) break;
      const epochResult: EpochResult = {
        epoch,
        trainLoss: seen ? lossSum / seen : 0,
        trainAccuracy: seen ? correct / seen : 0,
        seconds: (performance.now() - te) / 1000,
      };
      if (valData) {
        const ev = await evaluate(model, valData, Math.max(batchSize, 256));
        epochResult.valLoss = ev.loss;
        epochResult.valAccuracy = ev.accuracy;
      }
      result.epochs.push(epochResult);
      result.bestEpoch = epoch;
      config.onEpoch?.(epochResult);
      const es = config.earlyStopping;
      if (es && epochResult.valAccuracy !== undefined) {
        if (epochResult.valAccuracy > best + (es.minDelta ?? 0)) {
          best = epochResult.valAccuracy;
          sinceBest = 0;
          if (es.restoreBest) {
            bestWeights = new Map([...model.allWeights()].map(([id, ws]) => [id, ws.map((w) => w.data.slice())]));
            result.bestEpoch = epoch;
          }
        } else if (++sinceBest >= es.patience) {
          result.stoppedEarly = true;
          break;
        }
      }
    }
    if (bestWeights && config.earlyStopping?.restoreBest) {
      for (const [id, arrays] of bestWeights) model.setLayerWeights(id, arrays);
      result.bestEpoch = result.epochs.reduce((a, e) => ((e.valAccuracy ?? -1) > (a.valAccuracy ?? -1) ? e : a)).epoch;
    }
  } finally {
    optimizer.dispose();
    classWeights?.dispose();
  }
  result.seconds = (performance.now() - t0) / 1000;
  result.samplesPerSec = result.samplesSeen / Math.max(result.seconds, 1e-9);
  return result;
}
