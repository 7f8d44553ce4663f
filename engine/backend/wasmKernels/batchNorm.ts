/**
 * Batch normalisation in training (optionally followed by ReLU) as two WASM kernels over NetSprout's SIMD kernels:
 *
 * NetSproutBatchNormTrain {x, gamma, beta} (epsilon, relu) → [y, mean, variance, invStd]: with rows the product of
 *   all axes but the last (channels), mean and the biased variance per channel (two passes, the second over
 *   (x − mean)²), r = 1/√(variance + ε), y = (x − mean)·γr + β, then max(y, 0) if relu.
 * NetSproutBatchNormGrad {dy, x, y, mean, invStd, gamma} (relu) → [dx, dγ, dβ]: with dz = dy (masked by y > 0
 *   after a ReLU), Σdz and Σdz·(x − mean) per channel, then in closed form
 *   dβ = Σdz,  dγ = r·Σdz·(x − mean),  dx = A·dz + B·(x − mean) + C,  A = γr,  B = −A·r²·Σdz·(x − mean)/n,  C = −A·Σdz/n.
 *
 * Sums are taken per fixed chunk of rows and added in order (the same bits on any number of threads). Per-channel
 * arithmetic is done here in float64 and rounded once to float32.
 */
import type { KernelBackend, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { heapView } from './maxPoolGrad.js';
import { KernelRunner } from './kernelRunner.js';
import { address, runSimd, simdThreads } from './simdKernels.js';
import { chunkRanges } from './simdThreads.js';

/** Row chunks of the per-channel sums (each a partial sum). */
const SUM_CHUNKS = 8;

function channelsAndRows(x: TensorInfo): { c: number; rows: number } {
  const c = x.shape[x.shape.length - 1];
  return { c, rows: c === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / c };
}

/** Sums of `width` floats over the rows, one part per chunk (`args` gets the parts' address), added up into `out`. */
function sumsOverRows(r: KernelRunner, kernel: 'channel_sums' | 'bn_grad_sums', args: (parts: number) => number[], rows: number, width: number, out: TensorInfo): void {
  const be = r.backend;
  const { count } = chunkRanges(rows, SUM_CHUNKS);
  const parts = r.allocate([Math.max(count, 1), width]);
  runSimd(be, kernel, args(address(be, parts)), rows, SUM_CHUNKS);
  if (count === 0) heapView(be, out).fill(0);
  else runSimd(be, 'sum_parts', [address(be, parts), address(be, out), count, width], width, 1);
}

export function batchNormTrainKernel(r: KernelRunner, x: TensorInfo, gamma: TensorInfo, beta: TensorInfo, epsilon: number, relu: boolean): TensorInfo[] {
  const be = r.backend;
  const { c, rows } = channelsAndRows(x);
  const y = r.allocate(x.shape);
  const mean = r.allocate([c]);
  const variance = r.allocate([c]);
  const invStd = r.allocate([c]);
  const sums = r.allocate([c]);
  const scale = r.allocate([c]);
  sumsOverRows(r, 'channel_sums', (parts) => [address(be, x), address(be, mean), parts, c, 0], rows, c, sums);
  const n = Math.max(rows, 1);
  heapView(be, mean).set(heapView(be, sums).map((s) => s / n));
  sumsOverRows(r, 'channel_sums', (parts) => [address(be, x), address(be, mean), parts, c, 1], rows, c, sums);
  const s = heapView(be, sums);
  const v = heapView(be, variance);
  const inv = heapView(be, invStd);
  const sc = heapView(be, scale);
  const g = heapView(be, gamma);
  for (let k = 0; k < c; k++) {
    v[k] = s[k] / n;
    inv[k] = 1 / Math.sqrt(v[k] + epsilon);
    sc[k] = g[k] * inv[k];
  }
  runSimd(be, 'bn_apply', [address(be, x), address(be, mean), address(be, scale), address(be, beta), address(be, y), c, relu ? 1 : 0], rows, 4 * simdThreads(be));
  return [y, mean, variance, invStd];
}

export function batchNormGradKernel(
  r: KernelRunner, dy: TensorInfo, x: TensorInfo, y: TensorInfo, mean: TensorInfo, invStd: TensorInfo, gamma: TensorInfo, relu: boolean,
): TensorInfo[] {
  const be = r.backend;
  const { c, rows } = channelsAndRows(x);
  const dx = r.allocate(x.shape);
  const dGamma = r.allocate([c]);
  const dBeta = r.allocate([c]);
  const sums = r.allocate([2 * c]);
  const coef = r.allocate([3 * c]);
  const yOrDy = relu ? y : dy; // y is read only for the ReLU mask
  sumsOverRows(r, 'bn_grad_sums', (parts) => [address(be, dy), address(be, x), address(be, yOrDy), address(be, mean), parts, c, relu ? 1 : 0], rows, 2 * c, sums);
  const n = Math.max(rows, 1);
  const s = heapView(be, sums);
  const k3 = heapView(be, coef);
  const inv = heapView(be, invStd);
  const g = heapView(be, gamma);
  const dg = heapView(be, dGamma);
  const db = heapView(be, dBeta);
  for (let k = 0; k < c; k++) {
    const a = g[k] * inv[k];
    k3[k] = a;
    k3[c + k] = (-a * inv[k] * inv[k] * s[c + k]) / n;
    k3[2 * c + k] = (-a * s[k]) / n;
    dg[k] = inv[k] * s[c + k];
    db[k] = s[k];
  }
  runSimd(be, 'bn_grad_apply', [address(be, dy), address(be, x), address(be, yOrDy), address(be, mean), address(be, coef), address(be, dx), c, relu ? 1 : 0], rows, 4 * simdThreads(be));
  return [dx, dGamma, dBeta];
}

function multiOutputKernel(kernelName: string, backendName: string, body: (r: KernelRunner, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>) => TensorInfo[]): KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const r = new KernelRunner(backend as KernelBackend, backendName);
      try {
        return r.finishAll(body(r, inputs as Record<string, TensorInfo>, attrs as Record<string, unknown>));
      } catch (e) {
        r.disposeAll();
        throw e;
      }
    },
  };
}

export const BATCH_NORM_TRAIN = 'NetSproutBatchNormTrain';
export const BATCH_NORM_GRAD = 'NetSproutBatchNormGrad';
export const MOVING_AVERAGES = 'NetSproutMovingAverages';

/**
 * NetSproutMovingAverages {movingMean, movingVariance, mean, variance} (momentum) → [movingMean', movingVariance'],
 * each a·momentum + b·(1 − momentum) rounded to float32 after every operation, as the tf ops it replaces compute it
 * (six tiny kernels per batch-norm layer).
 */
function movingAverages(r: KernelRunner, inputs: Record<string, TensorInfo>, momentum: number): TensorInfo[] {
  const f = Math.fround;
  const m = f(momentum);
  const rest = f(1 - momentum);
  return [
    [inputs.movingMean, inputs.mean],
    [inputs.movingVariance, inputs.variance],
  ].map(([avg, x]) => {
    const out = r.allocate(avg.shape);
    const [a, b, o] = [heapView(r.backend, avg), heapView(r.backend, x), heapView(r.backend, out)];
    for (let k = 0; k < o.length; k++) o[k] = f(f(a[k] * m) + f(b[k] * rest));
    return out;
  });
}

export function batchNormKernels(backendName: string): KernelConfig[] {
  return [
    multiOutputKernel(BATCH_NORM_TRAIN, backendName, (r, { x, gamma, beta }, a) => batchNormTrainKernel(r, x, gamma, beta, a.epsilon as number, a.relu === true)),
    multiOutputKernel(BATCH_NORM_GRAD, backendName, (r, { dy, x, y, mean, invStd, gamma }, a) => batchNormGradKernel(r, dy, x, y, mean, invStd, gamma, a.relu === true)),
    multiOutputKernel(MOVING_AVERAGES, backendName, (r, inputs, a) => movingAverages(r, inputs, a.momentum as number)),
  ];
}
