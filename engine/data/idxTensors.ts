import * as tf from '@tensorflow/tfjs-core';
import type { TensorData } from '../train/trainer.js';
import type { IdxSplit } from './idx.js';

export interface Normalisation {
  mean: number;
  std: number;
}

/** Mean and standard deviation of pixel values (0–255) over the chosen training images. */
export function pixelStats(split: IdxSplit, indices: ArrayLike<number>): Normalisation {
  const px = split.height * split.width;
  let sum = 0;
  let sumSq = 0;
  for (let k = 0; k < indices.length; k++) {
    const base = indices[k] * px;
    for (let i = 0; i < px; i++) {
      const v = split.images[base + i];
      sum += v;
      sumSq += v * v;
    }
  }
  const n = indices.length * px;
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(sumSq / n - mean * mean, 1e-6)) };
}

/** Selected images as a float32 [n, h, w, 1] tensor, standardised with the given statistics. */
export function idxToTensorData(split: IdxSplit, indices: ArrayLike<number>, norm: Normalisation, numClasses = 10): TensorData {
  const px = split.height * split.width;
  const out = new Float32Array(indices.length * px);
  const y = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const base = indices[k] * px;
    for (let i = 0; i < px; i++) out[k * px + i] = (split.images[base + i] - norm.mean) / norm.std;
    y[k] = split.labels[indices[k]];
  }
  return { x: tf.tensor4d(out, [indices.length, split.height, split.width, 1]), y, numClasses };
}
