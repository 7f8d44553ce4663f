import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { initBackend } from '../backend/ladder.js';
import { DATA_KINDS, type DataKind } from '../data/detectKind.js';
import { disposePrepared, prepareData, type PreparedData } from '../data/prepareData.js';
import { NetSproutError } from '../errors.js';
import { graphMetrics } from '../graph/metrics.js';
import { DEFAULT_PRESET, presetGraph } from '../graph/presets.js';
import { graphFromJSON } from '../graph/serialize.js';
import type { Graph } from '../graph/types.js';
import { saveModelCheckpoint } from '../train/checkpoint.js';
import { GraphModel } from '../train/graphModel.js';
import { defaultLearningRate, defaultOptimiser } from '../train/optimizers.js';
import { evaluate, formatRate, train } from '../train/trainer.js';
import { formatDuration, printJson } from './output.js';

export interface TrainCommandOptions {
  data: string;
  arch?: string;
  target?: string;
  epochs: string;
  backend?: string;
  seed?: string;
  batchSize?: string;
  lr?: string;
  optimizer?: string;
  limit?: string;
  valFraction?: string;
  save?: string;
  kind?: string;
  classWeights?: boolean;
  augment?: string;
  fit?: string;
  json?: boolean;
}

/** `crop=N,flip` style, e.g. `crop=4`, `flip`, `crop=3,flip`. */
function parseAugment(value: string): { cropPadding: number; flip: boolean } {
  const parts = value.split(',').map((p) => p.trim());
  let cropPadding = 0;
  let flip = false;
  for (const p of parts) {
    const m = /^crop=(\d+)$/.exec(p);
    if (m) cropPadding = Number(m[1]);
    else if (p === 'flip') flip = true;
    else throw new NetSproutError('CLI_BAD_OPTION', `--augment does not understand "${p}".`, 'Use auto, none, or a list such as crop=4,flip.');
  }
  return { cropPadding, flip };
}

export function parseKind(value: string): DataKind {
  if ((DATA_KINDS as readonly string[]).includes(value)) return value as DataKind;
  throw new NetSproutError('CLI_BAD_OPTION', `--kind must be one of ${DATA_KINDS.join(', ')}, got "${value}".`, 'Leave --kind out to let NetSprout detect it.');
}

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new NetSproutError('CLI_BAD_OPTION', `--${name} must be a positive whole number, got "${value}".`, `For example --${name} ${fallback}.`);
  return n;
}

async function loadArch(arch: string, data: PreparedData): Promise<Graph> {
  const inputShape = data.inputShape;
  if (arch.endsWith('.json') || existsSync(arch)) {
    if (!existsSync(arch)) throw new NetSproutError('ARCH_MISSING', `The architecture file ${arch} does not exist.`, 'Check the path.', [arch]);
    return graphFromJSON(await readFile(arch, 'utf8'), arch);
  }
  return presetGraph(arch === 'auto' ? DEFAULT_PRESET[data.kind] : arch, inputShape, data.classes.length, { vocabularySize: data.vocabularySize });
}

export async function trainCommand(opts: TrainCommandOptions): Promise<number> {
  const json = opts.json === true;
  const epochs = positiveInt(opts.epochs, 'epochs', 1);
  const seed = Number(opts.seed ?? 0);
  const batchSize = positiveInt(opts.batchSize, 'batch-size', 64);
  const optimizerOption = opts.optimizer ?? 'auto';
  if (optimizerOption !== 'auto' && optimizerOption !== 'sgd' && optimizerOption !== 'adam') throw new NetSproutError('CLI_BAD_OPTION', `--optimizer must be auto, sgd or adam, got "${opts.optimizer}".`, 'Use --optimizer auto (Adam for text, SGD otherwise), sgd or adam.');
  const backend = await initBackend(opts.backend);
  const kind = opts.kind ? parseKind(opts.kind) : undefined;
  const augment = opts.augment === undefined || opts.augment === 'auto' ? 'auto' : opts.augment === 'none' ? 'none' : parseAugment(opts.augment);
  if (opts.fit !== undefined && opts.fit !== 'pad' && opts.fit !== 'crop') throw new NetSproutError('CLI_BAD_OPTION', `--fit must be pad or crop, got "${opts.fit}".`, 'Use --fit pad (keep the whole image) or --fit crop (fill the frame).');
  const data = await prepareData(opts.data, { kind, seed, target: opts.target, augment, fit: opts.fit as 'pad' | 'crop' | undefined, limit: opts.limit ? positiveInt(opts.limit, 'limit', 1) : undefined, valFraction: Number(opts.valFraction ?? 0.1) });
  const optimizer = optimizerOption === 'auto' ? defaultOptimiser(data.kind) : optimizerOption;
  const lrStart = opts.lr !== undefined ? Number(opts.lr) : defaultLearningRate(optimizer);
  const trainData = data.train;
  const valData = data.validation;
  const graph = await loadArch(opts.arch ?? 'auto', data);
  const metrics = graphMetrics(graph);
  const model = GraphModel.create(graph, seed);
  const trainCount = trainData.y.length;
  const header = {
    event: 'start',
    kind: data.kind,
    backend: backend.chosen,
    threads: backend.threads,
    optimizer,
    lrStart,
    train: trainCount,
    validation: valData.y.length,
    test: data.test?.y.length ?? 0,
    classes: data.classes,
    params: metrics.params,
    macs: metrics.macs,
    warnings: data.findings.filter((f) => f.severity === 'warning'),
    augment: data.spec?.kind === 'images' ? data.spec.augment.reason : null,
  };
  if (json) printJson(header);
  else {
    for (const f of header.warnings) process.stdout.write(`Warning: ${f.message}\n  ${f.hint}\n`);
    if (header.augment) process.stdout.write(`Augmentation: ${header.augment}.\n`);
    process.stdout.write(`Training on ${trainCount} examples (${valData.y.length} for validation), ${metrics.params.toLocaleString('en')} parameters, backend ${backend.chosen}, ${optimizer === 'adam' ? 'Adam' : 'SGD'} from a learning rate of ${lrStart}.\n`);
  }
  const bar = !json && process.stderr.isTTY ? new SingleBar({ format: ' {bar} {percentage}% | epoch {epoch}/{epochs} | loss {loss} | {rate} examples/s | ETA {eta_h}', hideCursor: true }) : null;
  const totalBatches = Math.ceil(trainCount / batchSize) * epochs;
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
      classWeights: opts.classWeights ? data.classWeights : undefined,
      signal: controller.signal,
      onProgress: (p) =>
        bar?.update((p.epoch - 1) * p.batches + p.batch, {
          epoch: p.epoch,
          epochs: p.epochs,
          loss: p.loss.toFixed(3),
          rate: Math.round(p.samplesPerSec),
          eta_h: formatDuration(p.etaSeconds),
        }),
      onRestart: (r, next) => {
        if (json) printJson({ event: 'restart', ...r, nextLrStart: next });
        else {
          bar?.stop();
          process.stdout.write(`The loss became ${r.loss} at epoch ${r.epoch}, batch ${r.batch} (learning rate ${formatRate(r.lrStart)}): training starts again from the first weights at ${formatRate(next)}.\n`);
          bar?.start(totalBatches, 0, { epoch: 1, epochs, loss: '-', rate: '-', eta_h: '--' });
        }
      },
      onEpoch: (e) => {
        if (json) printJson({ event: 'epoch', ...e });
        else {
          bar?.stop();
          process.stdout.write(
            `Epoch ${e.epoch}/${epochs}: loss ${e.trainLoss.toFixed(4)}, train accuracy ${(e.trainAccuracy * 100).toFixed(2)}%, validation accuracy ${((e.valAccuracy ?? 0) * 100).toFixed(2)}%, ${e.seconds.toFixed(1)} s\n`,
          );
          if (e.epoch < epochs) bar?.start(totalBatches, e.epoch * Math.ceil(trainCount / batchSize), { epoch: e.epoch + 1, epochs, loss: '-', rate: '-', eta_h: '--' });
        }
      },
    },
    valData,
  );
  bar?.stop();
  process.removeListener('SIGINT', onSignal);
  let testAccuracy: number | null = null;
  if (data.test && !result.cancelled) testAccuracy = (await evaluate(model, data.test)).accuracy;
  if (opts.save) await saveModelCheckpoint(opts.save, model, data.spec);
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
    learningRateScale: result.learningRateScale ?? 1,
    checkpoint: opts.save ?? null,
  };
  if (json) printJson(summary);
  else {
    process.stdout.write(
      `${result.cancelled ? 'Cancelled' : 'Done'} in ${formatDuration(result.seconds)} (${Math.round(result.samplesPerSec)} examples/s).` +
        (testAccuracy !== null ? ` Test accuracy ${(testAccuracy * 100).toFixed(2)}% on ${data.test!.y.length} examples.` : '') +
        (opts.save ? ` Weights saved in ${opts.save}.` : '') +
        '\n',
    );
  }
  disposePrepared(data);
  model.dispose();
  return result.cancelled ? 130 : 0;
}
