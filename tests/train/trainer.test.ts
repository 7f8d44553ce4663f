import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { NetSproutError } from '../../engine/errors.js';
import { GraphBuilder } from '../../engine/graph/builder.js';
import { smallCnn } from '../../engine/graph/presets.js';
import { loadCheckpoint, loadModelCheckpoint, saveModelCheckpoint } from '../../engine/train/checkpoint.js';
import { GraphModel } from '../../engine/train/graphModel.js';
import { sgdrLearningRate } from '../../engine/train/sgdrSchedule.js';
import { evaluate, train, type TrainConfig } from '../../engine/train/trainer.js';
import { quadrantData } from '../helpers/syntheticData.js';

const base: TrainConfig = { epochs: 2, batchSize: 32, optimizer: 'sgd', lrStart: 0.05, lrEnd: 0, seed: 11 };

function dropoutNet() {
  const b = new GraphBuilder();
  let x = b.input([12, 12, 1]);
  x = b.maxPool2d(b.convBnRelu(x, 8));
  x = b.dropout(b.globalAvgPool(b.convBnRelu(x, 16)), 0.3);
  return b.build(b.dense(x, 4, 'softmax'));
}

function weightsOf(model: GraphModel): Float32Array[] {
  return [...model.allWeights().values()].flatMap((ws) => ws.map((w) => w.data));
}

beforeAll(async () => {
  const choice = await initBackend();
  expect(choice.chosen).toBe('wasm');
});

describe('training', () => {
  it('learns a task that chance cannot solve', async () => {
    const trainData = quadrantData(512, 12, 1);
    const val = quadrantData(256, 12, 2);
    const model = GraphModel.create(smallCnn([12, 12, 1], 4), 0);
    const result = await train(model, trainData, { ...base, epochs: 4 }, val);
    expect(result.epochs).toHaveLength(4);
    expect(result.epochs[3].trainLoss).toBeLessThan(result.epochs[0].trainLoss);
    expect(result.epochs[3].valAccuracy).toBeGreaterThan(0.9);
    const ev = await evaluate(model, val);
    expect(ev.accuracy).toBeCloseTo(result.epochs[3].valAccuracy!, 10);
    expect(ev.predictions.length).toBe(256);
    tf.dispose([trainData.x, val.x]);
    model.dispose();
  });

  it('gives identical weights for the same seed (dropout included), and different ones for another seed', async () => {
    const data = quadrantData(96, 12, 3);
    const run = async (seed: number) => {
      const model = GraphModel.create(dropoutNet(), seed);
      await train(model, data, { ...base, seed, optimizer: 'adam', lrStart: 0.01 });
      const w = weightsOf(model);
      model.dispose();
      return w;
    };
    const a = await run(5);
    const b = await run(5);
    const c = await run(6);
    expect(a.map((w) => Array.from(w))).toEqual(b.map((w) => Array.from(w)));
    expect(a.map((w) => Array.from(w))).not.toEqual(c.map((w) => Array.from(w)));
    data.x.dispose();
  });

  it('keeps the number of tensors flat across epochs', async () => {
    const data = quadrantData(96, 12, 4);
    const val = quadrantData(40, 12, 5);
    const model = GraphModel.create(dropoutNet(), 1);
    const counts: number[] = [];
    const bytes: number[] = [];
    await train(model, data, { ...base, epochs: 4, onEpoch: () => (counts.push(tf.memory().numTensors), bytes.push(tf.memory().numBytes)) }, val);
    expect(new Set(counts).size).toBe(1);
    expect(new Set(bytes).size).toBe(1);
    model.dispose();
    tf.dispose([data.x, val.x]);
  });

  it('stops between batches when cancelled and reports it', async () => {
    const data = quadrantData(200, 12, 6);
    const model = GraphModel.create(smallCnn([12, 12, 1], 4), 0);
    const controller = new AbortController();
    const result = await train(model, data, {
      ...base,
      epochs: 3,
      signal: controller.signal,
      onProgress: (p) => p.batch === 2 && controller.abort(),
    });
    expect(result.cancelled).toBe(true);
    expect(result.samplesSeen).toBe(64);
    expect(result.epochs).toHaveLength(0);
    model.dispose();
    data.x.dispose();
  });

  it('reports progress with samples per second and an ETA', async () => {
    const data = quadrantData(64, 12, 7);
    const model = GraphModel.create(smallCnn([12, 12, 1], 4), 0);
    const events: Array<{ batch: number; etaSeconds: number; samplesPerSec: number; learningRate: number }> = [];
    await train(model, data, { ...base, epochs: 2, onProgress: (p) => events.push(p) });
    expect(events).toHaveLength(4);
    expect(events[0].learningRate).toBeCloseTo(0.05, 10);
    expect(events[3].learningRate).toBeCloseTo(0, 10);
    expect(events.every((e) => e.samplesPerSec > 0)).toBe(true);
    expect(events[0].etaSeconds).toBeGreaterThan(events[2].etaSeconds);
    expect(events[3].etaSeconds).toBe(0);
    model.dispose();
    data.x.dispose();
  });

  it('stops early when validation accuracy stalls and restores the best weights', async () => {
    const data = quadrantData(64, 12, 8);
    const val = quadrantData(64, 12, 9);
    const b = new GraphBuilder();
    const noBatchNorm = b.build(b.dense(b.globalAvgPool(b.activation(b.conv2d(b.input([12, 12, 1]), 8))), 4, 'softmax'));
    const model = GraphModel.create(noBatchNorm, 0);
    // With a learning rate of zero and no batch-norm statistics, nothing can improve after the first epoch.
    const result = await train(model, data, { ...base, epochs: 10, lrStart: 0, lrEnd: 0, earlyStopping: { patience: 2, restoreBest: true } }, val);
    expect(result.stoppedEarly).toBe(true);
    expect(result.epochs).toHaveLength(3);
    expect(result.bestEpoch).toBe(1);
    model.dispose();
    tf.dispose([data.x, val.x]);
  });

  describe('a diverging training', () => {
    // Two hidden ReLU layers without batch normalisation: SGD at 20 or more makes the loss NaN within a few batches.
    const mlpNoBatchNorm = () => {
      const b = new GraphBuilder();
      let x = b.flatten(b.input([12, 12, 1]));
      x = b.activation(b.dense(x, 32), 'relu');
      x = b.activation(b.dense(x, 32), 'relu');
      return b.build(b.dense(x, 4, 'softmax'));
    };

    it('starts again from its first weights at a fifth of the learning rate until it trains, ending as a training at that rate would', async () => {
      const data = quadrantData(256, 12, 1);
      const restarted = GraphModel.create(mlpNoBatchNorm(), 0);
      const seen: number[] = [];
      const result = await train(restarted, data, { ...base, lrStart: 1e5, divergenceRestarts: 12, onRestart: (_r, next) => seen.push(next) });
      const n = result.restarts?.length ?? 0;
      // SGD at 1e5 makes the loss NaN within a few batches; somewhere down the rates it no longer does.
      expect(n).toBeGreaterThanOrEqual(1);
      result.restarts!.forEach((r, k) => {
        expect(r.lrStart).toBeCloseTo(1e5 * 0.2 ** k, 6);
        expect(r.epoch).toBe(1);
        expect(Number.isFinite(r.loss)).toBe(false);
      });
      expect(seen).toHaveLength(n);
      seen.forEach((next, k) => expect(next).toBeCloseTo(1e5 * 0.2 ** (k + 1), 6));
      expect(result.learningRateScale).toBeCloseTo(0.2 ** n, 12);
      expect(result.epochs).toHaveLength(2);
      expect(weightsOf(restarted).every((w) => w.every(Number.isFinite))).toBe(true);
      const direct = GraphModel.create(mlpNoBatchNorm(), 0);
      const plain = await train(direct, data, { ...base, lrStart: 1e5 * result.learningRateScale!, divergenceRestarts: 0 });
      expect(plain.restarts).toBeUndefined();
      expect(weightsOf(restarted)).toEqual(weightsOf(direct));
      restarted.dispose();
      direct.dispose();
      tf.dispose(data.x);
    });

    it('is a TRAINING_DIVERGED error naming every learning rate tried once the restarts are spent', async () => {
      const data = quadrantData(128, 12, 2);
      const model = GraphModel.create(mlpNoBatchNorm(), 0);
      const err = await train(model, data, { ...base, lrStart: 1e5, divergenceRestarts: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NetSproutError);
      expect((err as NetSproutError).code).toBe('TRAINING_DIVERGED');
      expect((err as NetSproutError).message).toMatch(/^Training diverged: the loss became NaN at epoch 1, batch \d+\. It diverged at every learning rate tried: 100000 \(epoch 1, batch \d+\), 20000 \(epoch 1, batch \d+\)\.$/);
      expect((err as NetSproutError).hint).toMatch(/--lr/);
      const once = await train(model, data, { ...base, lrStart: 1e5, divergenceRestarts: 0 }).catch((e: unknown) => e);
      expect((once as NetSproutError).code).toBe('TRAINING_DIVERGED');
      expect((once as NetSproutError).message).not.toMatch(/every learning rate/);
      model.dispose();
      tf.dispose(data.x);
    });
  });
});

describe('SGDR schedule', () => {
  it('anneals from λ_start to λ_end by cosine over one call', () => {
    const o = { lrStart: 0.1, lrEnd: 0.001 };
    expect(sgdrLearningRate(o, 0, 10, 101)).toBeCloseTo(0.1, 12);
    expect(sgdrLearningRate(o, 50, 10, 101)).toBeCloseTo((0.1 + 0.001) / 2, 12);
    expect(sgdrLearningRate(o, 100, 10, 101)).toBeCloseTo(0.001, 12);
  });
  it('restarts after T0 epochs, then after T0·Tmult', () => {
    const o = { lrStart: 1, lrEnd: 0, restartEpochs: 1, restartMultiplier: 2 };
    // 10 steps per epoch: cycles of 10, 20, 40 steps.
    expect(sgdrLearningRate(o, 9, 10, 70)).toBeCloseTo(0, 12);
    expect(sgdrLearningRate(o, 10, 10, 70)).toBeCloseTo(1, 12);
    expect(sgdrLearningRate(o, 29, 10, 70)).toBeCloseTo(0, 12);
    expect(sgdrLearningRate(o, 30, 10, 70)).toBeCloseTo(1, 12);
  });
  it('warms up linearly over the first steps, then follows the cosine', () => {
    const o = { lrStart: 0.1, lrEnd: 0, warmupSteps: 10 };
    expect(sgdrLearningRate(o, 0, 10, 101)).toBeCloseTo(0.1 * 0.1 * sgdrLearningRate({ lrStart: 1, lrEnd: 0 }, 0, 10, 101), 12);
    expect(sgdrLearningRate(o, 4, 10, 101)).toBeCloseTo(0.5 * sgdrLearningRate({ lrStart: 0.1, lrEnd: 0 }, 4, 10, 101), 12);
    expect(sgdrLearningRate(o, 10, 10, 101)).toBeCloseTo(sgdrLearningRate({ lrStart: 0.1, lrEnd: 0 }, 10, 10, 101), 12);
  });
});

describe('checkpoints', () => {
  it('restore weights bit-exact and give the same predictions', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-ckpt-'));
    const data = quadrantData(64, 12, 10);
    const model = GraphModel.create(smallCnn([12, 12, 1], 4), 3);
    await train(model, data, { ...base, epochs: 1 });
    await saveModelCheckpoint(dir, model);
    const restored = await loadModelCheckpoint(dir);
    const a = weightsOf(model);
    const b = weightsOf(restored);
    expect(b.length).toBe(a.length);
    a.forEach((w, i) => expect(Buffer.from(b[i].buffer, b[i].byteOffset, b[i].byteLength).equals(Buffer.from(w.buffer, w.byteOffset, w.byteLength))).toBe(true));
    const p1 = model.predict(data.x);
    const p2 = restored.predict(data.x);
    expect(Array.from(p2.dataSync())).toEqual(Array.from(p1.dataSync()));
    tf.dispose([p1, p2, data.x]);
    model.dispose();
    restored.dispose();
  });

  it('refuse weights that do not belong to the graph, and truncated files', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-ckpt-'));
    const model = GraphModel.create(smallCnn([12, 12, 1], 4), 3);
    await saveModelCheckpoint(dir, model);
    const graphFile = path.join(dir, 'graph.json');
    const original = await readFile(graphFile, 'utf8');
    await writeFile(graphFile, original.replace('"filters": 16', '"filters": 17'));
    await expect(loadCheckpoint(dir)).rejects.toMatchObject({ code: 'CHECKPOINT_MISMATCH' });
    await writeFile(graphFile, original);
    const bin = await readFile(path.join(dir, 'weights.bin'));
    await writeFile(path.join(dir, 'weights.bin'), bin.subarray(0, 100));
    await expect(loadCheckpoint(dir)).rejects.toBeInstanceOf(NetSproutError);
    await expect(loadCheckpoint(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'CHECKPOINT_MISSING' });
    model.dispose();
  });
});
