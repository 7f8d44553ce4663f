/**
 * `netsprout export`: writes a trained model as Keras 3 (`model.keras`), ONNX (`model.onnx`) and TF.js layers
 * (`tfjs/`) files, proves each one gives NetSprout's answers (see verifyExport.ts), measures its latency, and
 * writes `preprocessing.json`, `architecture.svg`, the model card (`model-card.md`, `model-card.html`) and
 * `export.json` (every figure, for the app). Files are written into a staging folder that becomes the output
 * folder only once every check has passed, so a failed export leaves nothing half-written behind.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/ladder.js';
import { disposePrepared, prepareData, type PreparedData } from '../data/prepareData.js';
import { NetSproutError } from '../errors.js';
import { graphMetrics } from '../graph/metrics.js';
import { ENGINE_VERSION } from '../search/searchJob.js';
import { GraphModel } from '../train/graphModel.js';
import { evaluate } from '../train/trainer.js';
import { architectureSvg } from './architectureSvg.js';
import type { ExportInput } from './exportTypes.js';
import { readKeras3 } from './keras3Reader.js';
import { writeKeras3 } from './keras3Writer.js';
import { confusionMatrix, modelCardHtml, modelCardMarkdown, perClassFigures, type ModelCardData } from './modelCard.js';
import { loadSourceCheckpoint, resolveModelSource, type ModelSource } from './modelSource.js';
import { writeOnnx } from './onnxWriter.js';
import { PREPROCESSING_FILE, preprocessingDoc } from './preprocessingDoc.js';
import { readTfjs, writeTfjs } from './tfjsWriter.js';
import {
  compareWeights,
  makeSample,
  measureOnnxLatency,
  mismatchError,
  verifyLayersModel,
  verifyOnnx,
  type Agreement,
  type LatencyMeasurement,
  type VerificationSample,
  type WeightComparison,
} from './verifyExport.js';

export const EXPORT_FORMATS = ['keras', 'onnx', 'tfjs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  /** A job folder or a checkpoint folder. */
  model: string;
  candidate?: string;
  formats: ExportFormat[];
  outDir: string;
  /** The dataset, when it is not the job's (or the model is a plain checkpoint). */
  data?: string;
  onStep?: (step: string, index: number, total: number) => void;
}

export interface ExportReport {
  outDir: string;
  model: string;
  which: string;
  files: string[];
  formats: ExportFormat[];
  verification: { sampleSource: string; onnx?: Agreement; tfjs?: Agreement; keras?: WeightComparison };
  latency?: LatencyMeasurement & { device: string };
  testAccuracy?: number | null;
  validationAccuracy?: number;
  params: number;
  notes: string[];
}

export function parseFormats(value: string): ExportFormat[] {
  const parts = value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const bad = parts.filter((p) => !(EXPORT_FORMATS as readonly string[]).includes(p));
  if (bad.length || !parts.length) {
    throw new NetSproutError('BAD_FORMAT', `Unknown export format${bad.length > 1 ? 's' : ''}: ${bad.join(', ') || '(none given)'}.`, `Use a comma-separated list of ${EXPORT_FORMATS.join(', ')}, e.g. --format keras,onnx.`);
  }
  return [...new Set(parts)] as ExportFormat[];
}

function checkOutDir(outDir: string): void {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory() || readdirSync(outDir).length > 0) {
    throw new NetSproutError('EXPORT_EXISTS', `${outDir} already exists and is not an empty folder.`, 'Choose another --out folder, or delete the old export first; NetSprout never overwrites files.', [outDir]);
  }
}

/** The job's data, prepared as in the search (same seed, so the same splits), when it is still at hand. */
async function evaluationData(source: ModelSource, dataOverride: string | undefined, inputShape: number[], notes: string[]): Promise<PreparedData | null> {
  const p = dataOverride ?? source.job?.spec.data;
  if (!p) {
    notes.push('No dataset was given, so the files were checked on random inputs and no accuracy is reported (pass --data to use yours).');
    return null;
  }
  if (!existsSync(p)) {
    notes.push(`The dataset ${p} is no longer there, so the files were checked on random inputs and no accuracy is reported.`);
    return null;
  }
  const spec = source.job?.spec;
  const data = await prepareData(p, { kind: spec?.kind, target: spec?.target, seed: spec?.seed ?? 0 });
  if (data.inputShape.join('x') !== inputShape.join('x')) {
    disposePrepared(data);
    notes.push(`The dataset ${p} now gives inputs of shape ${data.inputShape.join('×')}, not the model's ${inputShape.join('×')}; the files were checked on random inputs.`);
    return null;
  }
  return data;
}

function cpuName(): string {
  const cpu = os.cpus()[0]?.model?.trim() || 'an unknown CPU';
  return `this computer's CPU (${cpu}, ${os.availableParallelism()} cores, ${os.platform()} ${os.arch()})`;
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name))])).sort();
}

export async function exportModel(opts: ExportOptions): Promise<ExportReport> {
  const outDir = path.resolve(opts.outDir);
  checkOutDir(outDir);
  const source = await resolveModelSource(opts.model, opts.candidate);
  const ckpt = await loadSourceCheckpoint(source);
  await initBackend();
  const notes: string[] = [];
  const steps = ['data', ...opts.formats, 'card'];
  let stepIndex = 0;
  const step = (name: string) => opts.onStep?.(name, stepIndex++, steps.length);
  step('data');
  const model = GraphModel.withWeights(ckpt.graph, ckpt.weights);
  const inputShape = model.shapes.get(model.inputIds[0])!;
  let data: PreparedData | null = null;
  let sample: VerificationSample | null = null;
  const staging = `${outDir}.partial-${process.pid}`;
  try {
    data = await evaluationData(source, opts.data, inputShape, notes);
    sample = makeSample(model, ckpt.preprocess, data);
    const input: ExportInput = { graph: ckpt.graph, weights: ckpt.weights, preprocess: ckpt.preprocess };
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    const verification: ExportReport['verification'] = { sampleSource: sample.source === 'validation' ? 'validation' : 'random' };
    let onnxBytes: Uint8Array | null = null;
    const producer = `NetSprout ${ENGINE_VERSION}`;
    for (const format of opts.formats) {
      step(format);
      if (format === 'keras') {
        const file = path.join(staging, 'model.keras');
        await writeKeras3(input, file);
        const back = await readKeras3(file);
        verification.keras = compareWeights(ckpt.weights, back.weights);
        if (!verification.keras.bitExact) {
          throw new NetSproutError('EXPORT_MISMATCH', `The weights read back from the .keras file differ from the model's: ${verification.keras.mismatches.slice(0, 5).join(', ')}.`, 'Nothing was exported. This is a bug in NetSprout\'s Keras writer; please report it.', [file]);
        }
      } else if (format === 'onnx') {
        const file = path.join(staging, 'model.onnx');
        onnxBytes = writeOnnx(input, { producerVersion: ENGINE_VERSION, metadata: { 'netsprout.model': source.which } });
        await writeFile(file, onnxBytes);
        verification.onnx = await verifyOnnx(onnxBytes, sample);
        if (!verification.onnx.ok) throw mismatchError('ONNX', file, verification.onnx, sample.source);
      } else {
        const dir = path.join(staging, 'tfjs');
        await writeTfjs(input, dir, producer);
        const layers = await readTfjs(dir);
        try {
          verification.tfjs = await verifyLayersModel((x) => layers.predict(x) as tf.Tensor, sample);
        } finally {
          layers.dispose();
        }
        if (!verification.tfjs.ok) throw mismatchError('TF.js', path.join(dir, 'model.json'), verification.tfjs, sample.source);
      }
    }
    step('card');
    const latency = onnxBytes ? { ...(await measureOnnxLatency(onnxBytes, sample, os.availableParallelism())), device: cpuName() } : undefined;
    const metrics: ModelCardData['metrics'] = { evaluatedOn: null };
    if (data) {
      const split = data.test ? 'test' : 'validation';
      const evalData = data.test ?? data.validation;
      const ev = await evaluate(model, evalData);
      const confusion = confusionMatrix(evalData.y, ev.predictions, ckpt.preprocess.classes.length);
      Object.assign(metrics, { evaluatedOn: split, confusion, perClass: perClassFigures(confusion, ckpt.preprocess.classes) });
      metrics.testAccuracy = data.test ? ev.accuracy : null;
      metrics.validationAccuracy = (await evaluate(model, data.validation)).accuracy;
    }
    const doc = preprocessingDoc(ckpt.preprocess);
    await writeFile(path.join(staging, PREPROCESSING_FILE), JSON.stringify(doc, null, 1));
    const svg = architectureSvg(ckpt.graph);
    await writeFile(path.join(staging, 'architecture.svg'), svg);
    const m = graphMetrics(ckpt.graph);
    const job = source.job;
    const card: ModelCardData = {
      title: `NetSprout model: ${ckpt.preprocess.classes.length}-class ${ckpt.preprocess.kind === 'images' ? 'image' : ckpt.preprocess.kind} classifier`,
      createdAt: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
      engineVersion: ENGINE_VERSION,
      data: {
        path: opts.data ?? job?.spec.data,
        kind: ckpt.preprocess.kind,
        classes: ckpt.preprocess.classes,
        counts: data ? { train: data.train.y.length, validation: data.validation.y.length, test: data.test?.y.length ?? 0 } : undefined,
        steps: doc.steps,
        input: doc.input,
        augmentation: ckpt.preprocess.kind === 'images' ? ckpt.preprocess.augment.reason : undefined,
      },
      job: job ? { dir: job.dir, strategy: job.spec.strategy, budgetSeconds: job.spec.budgetSeconds, elapsedSeconds: job.summary?.elapsedSeconds, candidates: job.summary?.candidates, which: source.which, seed: job.spec.seed } : undefined,
      metrics,
      model: { params: m.params, macs: m.macs, weightBytes: m.weightBytes, layers: ckpt.graph.layers.length, files: listFiles(staging).map((f) => ({ name: f, bytes: statSync(path.join(staging, f)).size })) },
      latency,
      verification,
      architectureSvg: svg,
    };
    await writeFile(path.join(staging, 'model-card.md'), modelCardMarkdown(card));
    await writeFile(path.join(staging, 'model-card.html'), modelCardHtml(card));
    const report: ExportReport = {
      outDir,
      model: path.resolve(opts.model),
      which: source.which,
      files: [],
      formats: opts.formats,
      verification,
      latency,
      testAccuracy: metrics.testAccuracy,
      validationAccuracy: metrics.validationAccuracy,
      params: m.params,
      notes,
    };
    report.files = [...listFiles(staging), 'export.json'].sort();
    await writeFile(path.join(staging, 'export.json'), JSON.stringify({ ...report, card: { data: card.data, job: card.job, metrics: card.metrics, model: card.model } }, null, 1));
    checkOutDir(outDir);
    if (existsSync(outDir)) await rmdir(outDir);
    await rename(staging, outDir);
    return report;
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  } finally {
    sample?.engineInput.dispose();
    if (data) disposePrepared(data);
    model.dispose();
  }
}
