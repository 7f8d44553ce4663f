/**
 * Predictions from an exported folder (model.onnx run by ONNX Runtime, as a user's deployment would) or from a
 * job or checkpoint folder (the engine's own model), with the preprocessing the model was trained with.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/ladder.js';
import { normaliseImages, type PreprocessSpec } from '../data/preprocessSpec.js';
import { NetSproutError } from '../errors.js';
import { loadSourceCheckpoint, resolveModelSource } from '../export/modelSource.js';
import { PREPROCESSING_FILE, type PreprocessingDoc } from '../export/preprocessingDoc.js';
import { GraphModel } from '../train/graphModel.js';
import type { EncodedInputs } from './readInputs.js';

export interface Predictor {
  spec: PreprocessSpec;
  /** 'onnx' (an exported model.onnx) or 'engine' (a job's or checkpoint's weights). */
  runtime: 'onnx' | 'engine';
  /** Class probabilities [n, classes] for n raw inputs. */
  predict(inputs: EncodedInputs): Promise<Float32Array>;
  close(): Promise<void>;
}

const BATCH = 64;

async function onnxPredictor(dir: string): Promise<Predictor> {
  const doc = JSON.parse(await readFile(path.join(dir, PREPROCESSING_FILE), 'utf8')) as PreprocessingDoc;
  if (doc.format !== 'netsprout-preprocessing') throw new NetSproutError('MODEL_MISSING', `${path.join(dir, PREPROCESSING_FILE)} was not written by NetSprout.`, 'Give the folder that `netsprout export` wrote.', [dir]);
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), { executionProviders: ['cpu'] });
  return {
    spec: doc.spec,
    runtime: 'onnx',
    async predict(inputs) {
      const per = inputs.shape.reduce((a, b) => a * b, 1);
      const n = inputs.values.length / per;
      const parts: Float32Array[] = [];
      for (let s = 0; s < n; s += BATCH) {
        const rows = Math.min(BATCH, n - s);
        const data = inputs.values.subarray(s * per, (s + rows) * per);
        const t = data instanceof Int32Array ? new ort.Tensor('int32', data, [rows, ...inputs.shape]) : new ort.Tensor('float32', data, [rows, ...inputs.shape]);
        const out = await session.run({ [session.inputNames[0]]: t });
        parts.push(Float32Array.from(out[session.outputNames[0]].data as Float32Array));
      }
      const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
      parts.reduce((o, p) => (all.set(p, o), o + p.length), 0);
      return all;
    },
    close: () => session.release(),
  };
}

async function enginePredictor(p: string): Promise<Predictor> {
  const source = await resolveModelSource(p);
  const ckpt = await loadSourceCheckpoint(source);
  await initBackend();
  const model = GraphModel.withWeights(ckpt.graph, ckpt.weights);
  const spec = ckpt.preprocess;
  return {
    spec,
    runtime: 'engine',
    async predict(inputs) {
      const per = inputs.shape.reduce((a, b) => a * b, 1);
      const n = inputs.values.length / per;
      const out = new Float32Array(n * spec.classes.length);
      for (let s = 0; s < n; s += BATCH) {
        const rows = Math.min(BATCH, n - s);
        const raw = inputs.values.subarray(s * per, (s + rows) * per);
        const x =
          raw instanceof Int32Array
            ? tf.tensor(raw, [rows, ...inputs.shape], 'int32')
            : tf.tensor(spec.kind === 'images' ? normaliseImages(spec, Uint8Array.from(raw)) : raw, [rows, ...inputs.shape]);
        const y = tf.tidy(() => model.predict(x));
        out.set(y.dataSync() as Float32Array, s * spec.classes.length);
        tf.dispose([x, y]);
      }
      return out;
    },
    close: async () => model.dispose(),
  };
}

/** An exported folder (with model.onnx) is run in ONNX Runtime; a job or checkpoint folder by the engine. */
export async function openPredictor(modelPath: string): Promise<Predictor> {
  const exported = existsSync(path.join(modelPath, PREPROCESSING_FILE));
  if (exported && existsSync(path.join(modelPath, 'model.onnx'))) return onnxPredictor(modelPath);
  if (exported) {
    throw new NetSproutError('MODEL_MISSING', `The export in ${modelPath} has no model.onnx, which predict runs with ONNX Runtime.`, 'Export with --format onnx (alongside the others), or give the job folder the export came from.', [modelPath]);
  }
  return enginePredictor(modelPath);
}
