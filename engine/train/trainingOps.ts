/**
 * Training-time operations with hand-written gradients that avoid the slow paths of TensorFlow.js's generic
 * gradients on the WASM backend (Tile for broadcasting, reductions over non-innermost axes that transpose first).
 * Every reduction over the batch and spatial axes is one XNNPACK average pooling.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean over the rows of a [n, c] matrix → [1, c], as one average pooling over a [1, 1, n, c] image: XNNPACK pools
 * it in one pass, without the weight packing a matrix product pays for a fresh operand.
 */
function meanRows(x2d: tf.Tensor2D): tf.Tensor2D {
  const [n, c] = x2d.shape;
  return tf.reshape(tf.avgPool(tf.reshape(x2d, [1, 1, n, c]) as tf.Tensor4D, [1, n], [1, n], 'valid'), [1, c]);
}

/**
 * Batch normalisation in training mode over all axes but the last, returning the normalised output and the batch
 * mean and (biased) variance for the moving averages. Gradients (dx, dγ, dβ) in closed form:
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ·r/N · (N·dy − dβ − x̂·dγ),  r = 1/√(σ² + ε).
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const c = x.shape[x.shape.length - 1];
  const n = x.size / c;
  let mean!: tf.Tensor1D;
  let variance!: tf.Tensor1D;
  const forward = (xIn: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const x2 = tf.reshape(xIn, [n, c]) as tf.Tensor2D;
    const mu = meanRows(x2);
    const xc = tf.sub(x2, mu);
    const v = meanRows(tf.square(xc) as tf.Tensor2D);
    const r = tf.rsqrt(tf.add(v, epsilon));
    const xhat = tf.mul(xc, r);
    const y = tf.reshape(tf.add(tf.mul(xhat, g), b), xIn.shape);
    mean = tf.keep(tf.reshape(mu, [c]));
    variance = tf.keep(tf.reshape(v, [c]));
    save([xhat, r, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rr, gg] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor];
        const dy2 = tf.reshape(dy, [n, c]) as tf.Tensor2D;
        const meanDy = meanRows(dy2);
        const meanDyXhat = meanRows(tf.mul(dy2, xh) as tf.Tensor2D);
        const inner = tf.sub(tf.sub(dy2, meanDy), tf.mul(xh, meanDyXhat));
        const dx = tf.reshape(tf.mul(inner, tf.mul(gg, rr)), dy.shape);
        return [dx, tf.reshape(tf.mul(meanDyXhat, n), [c]), tf.reshape(tf.mul(meanDy, n), [c])];
      },
    };
  };
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  const y = op(x, gamma, beta);
  return { y, mean, variance };
}

/** Batch normalisation with fixed statistics (inference): y = (x − μ)·γ/√(σ²+ε) + β as one scale and shift. */
export function batchNormInference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, epsilon: number): tf.Tensor {
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon)));
  const shift = tf.sub(beta, tf.mul(mean, scale));
  return tf.add(tf.mul(x, scale), shift);
}

/** Mean over the spatial axes of [b, ..., c] → [b, c], as a batched product with a constant vector. */
export function globalAveragePool(x: tf.Tensor): tf.Tensor2D {
  const b = x.shape[0];
  const c = x.shape[x.shape.length - 1];
  const s = x.size / (b * c);
  const x3 = tf.reshape(x, [b, s, c]) as tf.Tensor3D;
  const w = tf.fill([b, 1, s], 1 / s) as tf.Tensor3D;
  return tf.reshape(tf.matMul(w, x3), [b, c]) as tf.Tensor2D;
}
