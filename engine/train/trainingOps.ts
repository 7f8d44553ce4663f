/**
 * Training-time operations with hand-written gradients that avoid the slow paths of TensorFlow.js's generic
 * gradients on the WASM backend (Tile for broadcasting, reductions over non-innermost axes that transpose first).
 * Every reduction over the batch and spatial axes is one XNNPACK average pooling.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_GRAD, BATCH_NORM_TRAIN } from '../backend/wasmKernels/batchNorm.js';
import { GLOBAL_AVG_POOL, GLOBAL_AVG_POOL_GRAD } from '../backend/wasmKernels/globalAvgPool.js';
import { SOFTMAX_CROSS_ENTROPY } from '../backend/wasmKernels/softmaxCrossEntropy.js';
import { simdKernels } from '../backend/wasmKernels/simdKernels.js';

/**
 * Mean over the rows of a [n, c] matrix → [1, c], as one average pooling over a [1, 1, n, c] image: XNNPACK pools
 * it in one pass, without the weight packing a matrix product pays for a fresh operand.
 */
function meanRows(x2d: tf.Tensor2D): tf.Tensor2D {
  const [n, c] = x2d.shape;
  return tf.reshape(tf.avgPool(tf.reshape(x2d, [1, 1, n, c]) as tf.Tensor4D, [1, n], [1, n], 'valid'), [1, c]);
}

/**
 * x·scale + shift with per-channel [c] scale and shift, x of any rank with channels last. On the WASM backend a
 * broadcast Multiply or Add walks its operands with generic index arithmetic (about 5× the time of a same-shape
 * one), so there it is one 1×1 depthwise convolution with a bias over a [1, 1, n, c] image, which XNNPACK runs
 * threaded in one pass, with the same rounding (a product, then a sum). Elsewhere the two broadcast ops.
 */
export function channelAffine(x: tf.Tensor, scale: tf.Tensor, shift?: tf.Tensor): tf.Tensor {
  const c = x.shape[x.shape.length - 1];
  if (tf.getBackend() !== 'wasm') {
    const y = tf.mul(x, tf.reshape(scale, [c]));
    return shift ? tf.add(y, tf.reshape(shift, [c])) : y;
  }
  const x4 = tf.reshape(x, [1, 1, x.size / c, c]) as tf.Tensor4D;
  const filter = tf.reshape(scale, [1, 1, c, 1]) as tf.Tensor4D;
  // The kernel itself: this runs inside tf.customGrad bodies, which need no gradient of it.
  const inputs: tf.NamedTensorMap = { x: x4, filter };
  // A fresh [c] tensor: the WASM kernel checks the bias's rank from the shape its data was created with, which a
  // reshape (of a [1, c] mean, say) does not change.
  if (shift) inputs.bias = tf.add(tf.reshape(shift, [c]), 0);
  const y = tf.engine().runKernel('FusedDepthwiseConv2D', inputs, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], activation: 'linear' }) as tf.Tensor;
  return tf.reshape(y, x.shape);
}

/**
 * Batch normalisation in training mode over all axes but the last, returning the normalised output and the batch
 * mean and (biased) variance for the moving averages. With x_c = x − μ, r = 1/√(σ² + ε), x̂ = x_c·r:
 *   y = x_c·(γr) + β
 * and the gradients (dx, dγ, dβ) in closed form, as per-channel affine maps of dy and x_c:
 *   dβ = Σ dy,  dγ = r·Σ dy·x_c,  dx = A·dy + B·x_c + C  with  A = γr,  B = −A·r²·mean(dy·x_c),  C = −A·mean(dy).
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (hasFusedTrainingKernels()) return fusedBatchNormTraining(x, gamma, beta, epsilon, false);
  const c = x.shape[x.shape.length - 1];
  const n = x.size / c;
  let mean!: tf.Tensor1D;
  let variance!: tf.Tensor1D;
  const forward = (xIn: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const x2 = tf.reshape(xIn, [n, c]) as tf.Tensor2D;
    const mu = meanRows(x2);
    const xc = channelAffine(x2, tf.ones([c]), tf.neg(mu)) as tf.Tensor2D;
    const v = meanRows(tf.square(xc) as tf.Tensor2D);
    const r = tf.reshape(tf.rsqrt(tf.add(v, epsilon)), [c]);
    const y = tf.reshape(channelAffine(xc, tf.mul(r, tf.reshape(g, [c])), b), xIn.shape);
    mean = tf.keep(tf.reshape(mu, [c]));
    variance = tf.keep(tf.reshape(v, [c]));
    save([xc, r, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xcs, rr, gg] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor];
        const dy2 = tf.reshape(dy, [n, c]) as tf.Tensor2D;
        const meanDy = tf.reshape(meanRows(dy2), [c]);
        const meanDyXc = tf.reshape(meanRows(tf.mul(dy2, xcs) as tf.Tensor2D), [c]);
        const a = tf.mul(tf.reshape(gg, [c]), rr);
        const bCoef = tf.neg(tf.mul(tf.mul(a, tf.square(rr)), meanDyXc));
        const cCoef = tf.neg(tf.mul(a, meanDy));
        const dx = tf.reshape(tf.add(channelAffine(dy2, a), channelAffine(xcs, bCoef, cCoef)), dy.shape);
        return [dx, tf.reshape(tf.mul(tf.mul(meanDyXc, rr), n), gamma.shape), tf.reshape(tf.mul(meanDy, n), beta.shape)];
      },
    };
  };
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  const y = op(x, gamma, beta);
  return { y, mean, variance };
}

/**
 * Whether the active backend runs NetSprout's fused training kernels (WASM with its SIMD kernels on): batch norm
 * (with ReLU), global average pooling, the classification loss, and (in optimizers.ts) the SGD step.
 */
export function hasFusedTrainingKernels(): boolean {
  return tf.getBackend() === 'wasm' && simdKernels(tf.backend()) !== null;
}

/**
 * Batch normalisation in training, optionally followed by ReLU, as two fused kernels (forward, and the closed-form
 * gradient of batchNormTraining above with the ReLU mask folded in): two passes over x and one over y forward, two
 * over dy, x and y backward, where the separate ops took a dozen. Needs hasFusedTrainingKernels().
 */
export function fusedBatchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  relu: boolean,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  let mean!: tf.Tensor1D;
  let variance!: tf.Tensor1D;
  const forward = (xIn: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mu, v, invStd] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x: xIn, gamma: g, beta: b }, { epsilon, relu }) as tf.Tensor[];
    // The caller may dispose mean and variance once it has used them; the gradient keeps its own reference to mu.
    mean = tf.keep(tf.clone(mu)) as tf.Tensor1D;
    variance = tf.keep(v) as tf.Tensor1D;
    save([xIn, y, mu, invStd, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ys, ms, inv, gs] = saved;
        const [dx, dg, db] = tf.engine().runKernel(BATCH_NORM_GRAD, { dy, x: xs, y: ys, mean: ms, invStd: inv, gamma: gs }, { relu }) as tf.Tensor[];
        return [dx, tf.reshape(dg, gamma.shape), tf.reshape(db, beta.shape)];
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
  return channelAffine(x, scale, shift);
}

/**
 * Mean over the spatial axes of [b, ..., c] → [b, c]: NetSprout's SIMD kernels where the backend has them
 * (hasFusedTrainingKernels), else a batched product with a constant vector.
 */
export function globalAveragePool(x: tf.Tensor): tf.Tensor2D {
  if (hasFusedTrainingKernels()) {
    const shape = x.shape;
    const op = tf.customGrad(((xIn: tf.Tensor) => ({
      value: tf.engine().runKernel(GLOBAL_AVG_POOL, { x: xIn }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor) => tf.engine().runKernel(GLOBAL_AVG_POOL_GRAD, { dy }, { shape }) as tf.Tensor,
    })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor2D;
    return op(x);
  }
  const b = x.shape[0];
  const c = x.shape[x.shape.length - 1];
  const s = x.size / (b * c);
  const x3 = tf.reshape(x, [b, s, c]) as tf.Tensor3D;
  const w = tf.fill([b, 1, s], 1 / s) as tf.Tensor3D;
  return tf.reshape(tf.matMul(w, x3), [b, c]) as tf.Tensor2D;
}

/**
 * The training loss of a classifier and its accuracy count: tf.losses.softmaxCrossEntropy of the logits against the
 * labels (weighted per example if `weights` is given, default reduction), and the number of examples whose largest
 * logit is at the label. On WASM one fused kernel computes both and the loss's gradient (hasFusedTrainingKernels).
 */
export function classificationLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, numClasses: number, weights?: tf.Tensor1D): { loss: tf.Scalar; correct: tf.Scalar } {
  if (hasFusedTrainingKernels() && logits.dtype === 'float32' && labels.dtype === 'int32') {
    let correct!: tf.Scalar;
    const op = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
      const inputs: tf.NamedTensorMap = { logits: z, labels };
      if (weights) inputs.weights = weights;
      const [loss, dLogits, count] = tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY, inputs) as tf.Tensor[];
      correct = tf.keep(count) as tf.Scalar;
      save([dLogits]);
      return { value: loss, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(saved[0], dy) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (z: tf.Tensor) => tf.Scalar;
    const loss = op(logits);
    return { loss, correct };
  }
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32')) as tf.Scalar;
  const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(labels, numClasses), logits, weights) as tf.Scalar;
  return { loss, correct };
}
