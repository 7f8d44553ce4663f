/**
 * Proof at export time that the files give the engine's answers: ONNX Runtime and tfjs-layers run the written
 * files on a sample of validation inputs (raw, as a user would pass them) and must match the engine's
 * probabilities within 1e-4 with the same predicted class for every input; the `.keras` file is read back and
 * every variable compared bit for bit. A mismatch fails the export with the figures, never silently.
 */
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs-core';
import type { PreparedData } from '../data/prepareData.js';
import type { PreprocessSpec } from '../data/preprocessSpec.js';
import { normaliseImages } from '../data/preprocessSpec.js';
import { NetSproutError } from '../errors.js';
import { defaultProtocol, measureOnnxBytes } from '../hardware/latencyProtocol.js';
import { median } from '../hardware/latencyStatistics.js';
import type { GraphModel } from '../train/graphModel.js';
import { makeRandom } from '../train/seededRandom.js';
import { readBatch } from '../train/trainer.js';

export const PROBABILITY_TOLERANCE = 1e-4;

export interface VerificationSample {
  /** Where the inputs came from: the validation split, or random inputs when the data is not at hand. */
  source: 'validation' | 'random';
  count: number;
  /** What the engine's model takes (normalised images, token ids, encoded rows). */
  engineInput: tf.Tensor;
  /** What an exported model takes (raw 0–255 pixels for images; otherwise the same as engineInput). */
  raw: Float32Array | Int32Array;
  rawShape: number[];
  /** The engine's probabilities [count, classes]. */
  expected: Float32Array;
  classes: number;
}

export interface Agreement {
  samples: number;
  maxAbsDiff: number;
  argmaxAgreement: number;
  ok: boolean;
}

export function makeSample(model: GraphModel, spec: PreprocessSpec, data: PreparedData | null, count = 128, seed = 0): VerificationSample {
  const inputShape = model.shapes.get(model.inputIds[0])!;
  let engineInput: tf.Tensor;
  let raw: Float32Array | Int32Array;
  let source: VerificationSample['source'] = 'validation';
  const n = data ? Math.min(count, data.validation.y.length) : count;
  if (data && n > 0) {
    engineInput = readBatch(data.validation, Int32Array.from({ length: n }, (_, i) => i));
    const values = engineInput.dataSync();
    if (spec.kind === 'images') {
      const c = spec.channels;
      raw = Float32Array.from(values, (v, i) => v * spec.std[i % c] + spec.mean[i % c]);
    } else raw = engineInput.dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values);
  } else {
    source = 'random';
    const rng = makeRandom(seed);
    const size = n * inputShape.reduce((a, b) => a * b, 1);
    if (spec.kind === 'images') {
      const bytes = Uint8Array.from({ length: size }, () => rng.int(256));
      raw = Float32Array.from(bytes);
      engineInput = tf.tensor(normaliseImages(spec, bytes), [n, ...inputShape]);
    } else if (spec.kind === 'text') {
      raw = Int32Array.from({ length: size }, () => rng.int(spec.vocabulary.length + 2));
      engineInput = tf.tensor(raw, [n, ...inputShape], 'int32');
    } else {
      raw = Float32Array.from({ length: size }, () => rng.next() * 4 - 2);
      engineInput = tf.tensor(raw, [n, ...inputShape]);
    }
  }
  const probs = tf.tidy(() => model.predict(engineInput));
  const expected = probs.dataSync() as Float32Array;
  const classes = probs.shape[1] ?? 1;
  probs.dispose();
  return { source, count: n, engineInput, raw, rawShape: [n, ...inputShape], expected: Float32Array.from(expected), classes };
}

export function compareProbabilities(expected: Float32Array, actual: ArrayLike<number>, classes: number): Agreement {
  const samples = expected.length / classes;
  let maxAbsDiff = 0;
  let same = 0;
  for (let s = 0; s < samples; s++) {
    let be = 0;
    let ba = 0;
    for (let k = 0; k < classes; k++) {
      const i = s * classes + k;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(expected[i] - actual[i]));
      if (expected[i] > expected[s * classes + be]) be = k;
      if (actual[i] > actual[s * classes + ba]) ba = k;
    }
    if (be === ba) same++;
  }
  if (actual.length !== expected.length) maxAbsDiff = Infinity;
  const argmaxAgreement = samples ? same / samples : 1;
  return { samples, maxAbsDiff, argmaxAgreement, ok: maxAbsDiff <= PROBABILITY_TOLERANCE && argmaxAgreement === 1 };
}

function ortInput(sample: VerificationSample, rows = sample.count): ort.Tensor {
  const per = sample.raw.length / sample.count;
  const data = sample.raw.subarray(0, rows * per);
  return sample.raw instanceof Int32Array ? new ort.Tensor('int32', data, [rows, ...sample.rawShape.slice(1)]) : new ort.Tensor('float32', data as Float32Array, [rows, ...sample.rawShape.slice(1)]);
}

export async function onnxSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
}

export async function runOnnx(session: ort.InferenceSession, input: ort.Tensor): Promise<Float32Array> {
  const out = await session.run({ [session.inputNames[0]]: input });
  return out[session.outputNames[0]].data as Float32Array;
}

export async function verifyOnnx(bytes: Uint8Array, sample: VerificationSample): Promise<Agreement> {
  const session = await onnxSession(bytes);
  try {
    return compareProbabilities(sample.expected, await runOnnx(session, ortInput(sample)), sample.classes);
  } finally {
    await session.release();
  }
}

export async function verifyLayersModel(predict: (x: tf.Tensor) => tf.Tensor, sample: VerificationSample): Promise<Agreement> {
  const x = sample.raw instanceof Int32Array ? tf.tensor(sample.raw, sample.rawShape, 'int32') : tf.tensor(sample.raw, sample.rawShape);
  const y = tf.tidy(() => predict(x));
  const actual = y.dataSync();
  tf.dispose([x, y]);
  return compareProbabilities(sample.expected, actual, sample.classes);
}

export interface WeightComparison {
  variables: number;
  bitExact: boolean;
  mismatches: string[];
}

/** Every variable of `expected` (by layer id) must be in `actual` with the same bits. */
export function compareWeights(expected: Map<string, Float32Array[]>, actual: Map<string, Float32Array[]>): WeightComparison {
  const mismatches: string[] = [];
  let variables = 0;
  for (const [id, arrays] of expected) {
    const got = actual.get(id);
    arrays.forEach((a, i) => {
      variables++;
      const b = got?.[i];
      const same = b !== undefined && b.length === a.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
      if (!same) mismatches.push(`${id}[${i}]`);
    });
  }
  return { variables, bitExact: mismatches.length === 0, mismatches };
}

export function mismatchError(format: string, file: string, a: Agreement, source: VerificationSample['source']): NetSproutError {
  return new NetSproutError(
    'EXPORT_MISMATCH',
    `The exported ${format} model gives other answers than NetSprout on ${a.samples} ${source} inputs: largest probability difference ${a.maxAbsDiff.toExponential(2)} (allowed ${PROBABILITY_TOLERANCE}), same predicted class for ${(a.argmaxAgreement * 100).toFixed(1)}% of them.`,
    'Nothing was exported. This is a bug in NetSprout\'s exporter; please report it with the model\'s graph.json. The other formats can still be exported with --format.',
    [file],
  );
}

export interface LatencyMeasurement {
  runtime: string;
  batchSize: number;
  warmupRuns: number;
  runs: number;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  threads: number;
}

/**
 * Latency of one input at batch 1 in ONNX Runtime on this machine's CPU, with the protocol of the device profiles
 * (engine/hardware/latencyProtocol.ts: fresh sessions after garbage collection, warm-up, timed runs that include
 * reading the result back, fixed threads), so the card's figure and the `cpu` target's profile measure alike. The
 * card gives the median of the sessions' medians (what a deployment sees on a typical run) and the spread of the
 * middle session; the profiles learn the 10th percentile (see LatencyStatistic). `maxSeconds` is kept for callers;
 * the protocol bounds its own time.
 */
export async function measureOnnxLatency(bytes: Uint8Array, sample: VerificationSample, threads: number, _maxSeconds = 5): Promise<LatencyMeasurement> {
  const per = sample.raw.length / sample.count;
  const input = { data: sample.raw.subarray(0, per), shape: [1, ...sample.rawShape.slice(1)] };
  const m = await measureOnnxBytes(bytes, input, defaultProtocol({ batchSizes: [1], threads }));
  const b = m.batches[0];
  return { runtime: `${m.runtime.library} ${m.runtime.version} (CPU)`, batchSize: 1, warmupRuns: b.warmupRuns, runs: b.runs, medianMs: median(b.sessionMediansMs ?? [b.medianMs]), p10Ms: b.p10Ms, p90Ms: b.p90Ms, threads };
}
