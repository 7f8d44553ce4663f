import * as tf from '@tensorflow/tfjs-core';
import type { BatchData, TensorData } from '../train/trainer.js';
import type { IdxSplit } from './idx.js';
import { augmentImage, type AugmentSpec } from './images/augmentation.js';

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

/**
 * Selected images as batches built on demand from their bytes, standardised with the given statistics, and
 * augmented (a shift and maybe a flip) when the trainer passes its random source, that is in training only.
 */
export function idxBatchData(split: IdxSplit, indices: ArrayLike<number>, norm: Normalisation, augment: AugmentSpec, numClasses = 10): BatchData {
  const { height, width } = split;
  const px = height * width;
  const fill = augment.fill ?? [Math.round(norm.mean)];
  const aug = new Uint8Array(px);
  return {
    y: Int32Array.from(indices, (i) => split.labels[i]),
    numClasses,
    read(positions, rng) {
      const out = new Float32Array(positions.length * px);
      for (let k = 0; k < positions.length; k++) {
        const i = indices[positions[k]];
        let src = split.images.subarray(i * px, (i + 1) * px);
        if (rng && (augment.cropPadding > 0 || augment.flip)) {
          augmentImage(src, aug, height, width, 1, augment, rng, fill);
          src = aug;
        }
        for (let j = 0; j < px; j++) out[k * px + j] = (src[j] - norm.mean) / norm.std;
      }
      return tf.tensor4d(out, [positions.length, height, width, 1]);
    },
  };
}
