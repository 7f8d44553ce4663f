import * as tf from '@tensorflow/tfjs-core';
import type { TensorData } from '../../engine/train/trainer.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

/**
 * Small images whose class is the quadrant holding a bright square (4 classes), with noise: learnable by a small
 * CNN in a few epochs, never by chance (25%).
 */
export function quadrantImages(n: number, size = 12, seed = 1): { x: Float32Array; y: Int32Array; shape: number[] } {
  const rng = makeRandom(seed);
  const x = new Float32Array(n * size * size);
  const y = new Int32Array(n);
  const half = size / 2;
  for (let k = 0; k < n; k++) {
    const cls = rng.int(4);
    y[k] = cls;
    const oy = cls < 2 ? 0 : half;
    const ox = cls % 2 === 0 ? 0 : half;
    const sy = oy + rng.int(half - 2);
    const sx = ox + rng.int(half - 2);
    for (let i = 0; i < size * size; i++) x[k * size * size + i] = rng.normal() * 0.3;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) x[k * size * size + (sy + i) * size + sx + j] += 2;
  }
  return { x, y, shape: [n, size, size, 1] };
}

export function quadrantData(n: number, size = 12, seed = 1): TensorData {
  const d = quadrantImages(n, size, seed);
  return { x: tf.tensor4d(d.x, d.shape as [number, number, number, number]), y: d.y, numClasses: 4 };
}
