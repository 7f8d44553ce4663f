/**
 * The training loss of a classifier in one WASM kernel, in JavaScript over the backend's heap (the tensors are
 * small): NetSproutSoftmaxCrossEntropy {logits [b, k], labels int32 [b], weights? [b]} → [loss, dLogits, correct]
 * with, per example i, l_i = log Σ_j exp(z_ij) − z_i,label and
 *   loss = Σ w_i·l_i / (number of nonzero w_i)   (without weights: the mean of l_i)
 *   dLogits_ij = w_i·(softmax(z_i)_j − [j = label_i]) / (that same count)
 *   correct = the number of i whose first largest logit is at the label
 * — tf.losses.softmaxCrossEntropy's value and gradient under its default reduction (SUM_BY_NONZERO_WEIGHTS), and the
 * trainer's accuracy count, in place of a dozen tiny kernels that each wake XNNPACK's thread pool. Sums in float64.
 */
import type { KernelBackend, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { heapView, type WasmHeapBackend } from './maxPoolGrad.js';

export const SOFTMAX_CROSS_ENTROPY = 'NetSproutSoftmaxCrossEntropy';

export function softmaxCrossEntropyKernel(backendName: string): KernelConfig {
  return {
    kernelName: SOFTMAX_CROSS_ENTROPY,
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const { logits, labels, weights } = inputs as { logits: TensorInfo; labels: TensorInfo; weights?: TensorInfo };
      const be = backend as KernelBackend & WasmHeapBackend;
      const [b, k] = logits.shape;
      const lossOut = be.makeOutput([], 'float32');
      const grad = be.makeOutput([b, k], 'float32');
      const correctOut = be.makeOutput([], 'int32');
      const z = heapView(be, logits);
      const y = heapView(be, labels, 'int32') as unknown as Int32Array;
      const w = weights ? heapView(be, weights) : null;
      const g = heapView(be, grad);
      let count = 0;
      for (let i = 0; i < b; i++) if (!w || w[i] !== 0) count++;
      let loss = 0;
      let correct = 0;
      const p = new Float64Array(k);
      for (let i = 0; i < b; i++) {
        const row = i * k;
        const label = y[i];
        if (!(label >= 0 && label < k)) throw new Error(`SoftmaxCrossEntropy: label ${label} of example ${i} is not a class in [0, ${k - 1}]`);
        let max = -Infinity;
        let arg = 0;
        for (let j = 0; j < k; j++) {
          if (z[row + j] > max) {
            max = z[row + j];
            arg = j;
          }
        }
        if (arg === label) correct++;
        let sum = 0;
        for (let j = 0; j < k; j++) sum += p[j] = Math.exp(z[row + j] - max);
        const wi = w ? w[i] : 1;
        loss += wi * (Math.log(sum) + max - z[row + label]);
        const scale = count > 0 ? wi / count : 0;
        for (let j = 0; j < k; j++) g[row + j] = (p[j] / sum - (j === label ? 1 : 0)) * scale;
      }
      heapView(be, lossOut)[0] = count > 0 ? loss / count : 0;
      (heapView(be, correctOut, 'int32') as unknown as Int32Array)[0] = correct;
      return [lossOut, grad, correctOut];
    },
  };
}
