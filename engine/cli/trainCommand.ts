import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { SingleBar } from 'cli-progress';
import { initBackend } from '../backend/ladder.js';
import { loadIdxFolder } from '../data/idx.js';
import { idxToTensorData, pixelStats } from '../data/idxTensors.js';
import { NetSproutError } from '../errors.js';
import { graphMetrics } from '../graph/metrics.js';
import { presetGraph } from '../graph/presets.js';
import { graphFromJSON } from '../graph/serialize.js';
import type { Graph } from '../graph/types.js';
import { saveModelCheckpoint } from '../train/checkpoint.js';
import { GraphModel } from '../train/graphModel.js';
import { makeRandom } from '../train/seededRandom.js';
import { evaluate, train } from '../train/trainer.js';
import { formatDuration, printJson } from './output.js';

export interface TrainCommandOptions {
  data: string;
  arch: string;
  epochs: string;
  backend?: string;
  seed?: string;
  batchSize?: string;
  lr?: string;
  optimizer?: string;
  limit?: string;
  valFraction?: string;
  save?: string;
  json?: boolean;
}

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new NetSproutError('CLI_BAD_OPTION', `--${name} must be a positive whole number, got "${value}".`, `For example --${name} ${fallback}.`);
  return n;
}

async function loadArch(arch: string, inputShape: number[], classes: number): Promise<Graph> {
  if (arch.endsWith('.json') || existsSync(arch)) {
    if (!existsSync(arch)) throw new NetSproutError('ARCH_MISSING', `The architecture file ${arch} does not exist.`, 'Check the path.', [arch]);
    return graphFromJSON(await readFile(arch, 'utf8'), arch);
  }
  return presetGraph(arch, inputShape, classes);
}

export async function trainCommand(opts: TrainCommandOptions): Promise<number> {
  const json = opts.json === true;
  const epochs = positiveInt(opts.epochs, 'epochs', 1);
  const seed = Number(opts.seed ?? 0);
  const batchSize = positiveInt(opts.batchSize, 'batch-size', 64);
  const optimizer = (opts.optimizer ?? 'sgd') as 'sgd' | 'adam';
  if (optimizer !== 'sgd' && optimizer !== 'adam') throw new NetSproutError('CLI_BAD_OPTION', `--optimizer must be sgd or adam, got "${opts.optimizer}".`, 'Use --optimizer sgd or --optimizer adam.');
  const lrStart = opts.lr !== undefined ? Number(opts.lr) : optimizer === 'sgd' ? 0.05 : 0.002;
  const backend = await initBackend(opts.backend);
  const dataset = await loadIdxFolder(opts.data);
  const { train: split } = dataset;
  const classes = Math.max(...split.labels) + 1;
  const rng = makeRandom(seed);
  const all = rng.shuffle(Array.from({ length: split.count }, (_, i) => i)) as number[];
  const limit = Math.min(split.count, positiveInt(opts.limit, 'limit', split.count));
  const valCount = Math.max(1, Math.round(limit * Number(opts.valFraction ?? 0.1)));
  const valIdx = all.slice(0, valCount);
  const trainIdx = all.slice(valCount, limit);
  const norm = pixelStats(split, trainIdx);
  const trainData = idxToTensorData(split, trainIdx, norm, classes);
  const valData = idxToTensorData(split, valIdx, norm, classes);
  const graph = await loadArch(opts.arch, [split.height, split.width, 1], classes);
  const metrics = graphMetrics(graph);
  const model = GraphModel.create(graph, seed);
  const header = { event: 'start', backend: backend.chosen, threads: backend.threads, train: trainIdx.length, validation: valIdx.length, params: metrics.params, macs: metrics.macs };
  if (json) printJson(header);
  else process.stdout.write(`Training on ${trainIdx.length} images (${valIdx.length} for validation), ${metrics.params.toLocaleString('en')} parameters, backend ${backend.chosen}.\n`);
  const bar = !json && process.stderr.isTTY ? new SingleBar({ format: ' {bar} {percentage}% | epoch {epoch}/{epochs} | loss {loss} | {rate} img/s | ETA {eta_h}', hideCursor: true }) : null;
  const totalBatches = Math.ceil(trainIdx.length / batchSize) * epochs;
  bar?.start(totalBatches, 0, { epoch: 1, epochs, loss: '-', rate: '-', eta_h: '--' });
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  const result = await train(
    model,
    trainData,
    {
      epochs,
      batchSize,
      optimizer,
      lrStart,
      lrEnd: 0,
      seed,
      signal: controller.signal,
      onProgress: (p) =>
        bar?.update((p.epoch - 1) * p.batches + p.batch, {
          epoch: p.epoch,
          epochs: p.epochs,
          loss: p.loss.toFixed(3),
          rate: Math.round(p.samplesPerSec),
          eta_h: formatDuration(p.etaSeconds),
        }),
      onEpoch: (e) => {
        if (json) printJson({ event: 'epoch', ...e });
        else {
          bar?.stop();
          process.stdout.write(
            `Epoch ${e.epoch}/${epochs}: loss ${e.trainLoss.toFixed(4)}, train accuracy ${(e.trainAccuracy * 100).toFixed(2)}%, validation accuracy ${((e.valAccuracy ?? 0) * 100).toFixed(2)}%, ${e.seconds.toFixed(1)} s\n`,
          );
          if (e.epoch < epochs) bar?.start(totalBatches, e.epoch * Math.ceil(trainIdx.length / batchSize), { epoch: e.epoch + 1, epochs, loss: '-', rate: '-', eta_h: '--' });
        }
      },
    },
    valData,
  );
  bar?.stop();
  process.removeListener('SIGINT', onSignal);
  let testAccuracy: number | null = null;
  if (dataset.test && !result.cancelled) {
    const testIdx = Array.from({ length: dataset.test.count }, (_, i) => i);
    const testData = idxToTensorData(dataset.test, testIdx, norm, classes);
    testAccuracy = (await evaluate(model, testData)).accuracy;
    testData.x.dispose();
  }
  if (opts.save) await saveModelCheckpoint(opts.save, model);
  const last = result.epochs[result.epochs.length - 1];
  const summary = {
    backend: backend.chosen,
    threads: backend.threads,
    epochs: result.epochs.length,
    cancelled: result.cancelled,
    trainLoss: last?.trainLoss ?? null,
    trainAccuracy: last?.trainAccuracy ?? null,
    valAccuracy: last?.valAccuracy ?? null,
    testAccuracy,
    seconds: Number(result.seconds.toFixed(2)),
    samplesPerSec: Number(result.samplesPerSec.toFixed(1)),
    params: metrics.params,
    checkpoint: opts.save ?? null,
  };
  if (json) printJson(summary);
  else {
    process.stdout.write(
      `${result.cancelled ? 'Cancelled' : 'Done'} in ${formatDuration(result.seconds)} (${Math.round(result.samplesPerSec)} images/s).` +
        (testAccuracy !== null ? ` Test accuracy ${(testAccuracy * 100).toFixed(2)}% on ${dataset.test!.count} images.` : '') +
        (opts.save ? ` Weights saved in ${opts.save}.` : '') +
        '\n',
    );
  }
  tf.dispose([trainData.x, valData.x]);
  model.dispose();
  return result.cancelled ? 130 : 0;
}
