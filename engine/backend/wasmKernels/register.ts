/**
 * Registers the training kernels that TensorFlow.js's WASM backend (4.22) lacks, computed with NetSprout's SIMD
 * kernels (simd/kernels.c) or with kernels the backend already runs with XNNPACK (nothing round-trips through the JS
 * backend); faster replacements for some it has: Conv2D and Conv2DBackpropInput at stride 1, DepthwiseConv2dNative
 * with channel multiplier 1, MaxPool and MaxPoolGrad,
 * Identity (shares data instead of copying), GatherV2 along axis 0, and Concat, Slice and SplitV along one axis (row
 * copies); and fused training
 * kernels of NetSprout's own (batch norm with ReLU, global average pooling, an SGD step, the softmax cross-entropy
 * loss), used by engine/train.
 */
import {
  backend_util,
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelBackend,
  type KernelConfig,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  conv2dFilterGradient,
  conv2dInputGradient,
  conv2dStride1Simd,
  convInfoFor,
  depthwiseConv2dSimd,
  depthwiseFilterGradient,
  depthwiseInputGradient,
} from './convGradients.js';
import { batchNormKernels, BATCH_NORM_GRAD, BATCH_NORM_TRAIN, MOVING_AVERAGES } from './batchNorm.js';
import { concatKernel, gatherKernel, identityKernel, sliceKernel, splitVKernel } from './dataKernels.js';
import { GLOBAL_AVG_POOL, GLOBAL_AVG_POOL_GRAD, globalAvgPoolKernels } from './globalAvgPool.js';
import { KernelRunner } from './kernelRunner.js';
import { simdKernels } from './simdKernels.js';
import { SGD_STEP, sgdStepKernel } from './sgdStep.js';
import { SOFTMAX_CROSS_ENTROPY, softmaxCrossEntropyKernel } from './softmaxCrossEntropy.js';
import { maxPool2x2, maxPoolGrad } from './maxPoolGrad.js';
import { unsortedSegmentSum } from './unsortedSegmentSum.js';

type Attrs = NamedAttrMap & Record<string, unknown>;

function kernel(
  kernelName: string,
  backendName: string,
  body: (r: KernelRunner, inputs: Record<string, TensorInfo>, attrs: Attrs) => TensorInfo,
): KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => withRunner(backend as KernelBackend, backendName, (r) => body(r, inputs as Record<string, TensorInfo>, attrs as Attrs)),
  };
}

/** Runs `body` with a KernelRunner: its result kept, every intermediate freed, also when it throws. */
function withRunner(backend: KernelBackend, backendName: string, body: (r: KernelRunner) => TensorInfo): TensorInfo {
  const r = new KernelRunner(backend, backendName);
  try {
    return r.finish(body(r));
  } catch (e) {
    r.disposeAll();
    throw e;
  }
}

type Pad = Parameters<typeof convInfoFor>[4];
type Rounding = Parameters<typeof convInfoFor>[5];
type Pair = number | [number, number];

/**
 * Conv2D: at stride 1 with 4+ input channels (float32, NHWC) NetSprout's SIMD kernel (faster than XNNPACK's here,
 * and it needs no operator built for every new filter, which training makes at every step); else the backend's own.
 */
function conv2dKernel(backendName: string, original: KernelConfig | undefined): KernelConfig {
  return {
    ...(original ?? {}),
    kernelName: 'Conv2D',
    backendName,
    kernelFunc: (args) => {
      const { x, filter } = args.inputs as Record<string, TensorInfo>;
      const a = args.attrs as Attrs;
      const info = convInfoFor(x.shape, filter.shape, a.strides as Pair, (a.dilations as Pair) ?? 1, a.pad as Pad, a.dimRoundingMode as Rounding, false);
      const fits = info.strideHeight === 1 && info.strideWidth === 1 && info.inChannels >= 4 && x.dtype === 'float32' && filter.dtype === 'float32';
      if (fits && (a.dataFormat ?? 'NHWC') === 'NHWC' && simdKernels(args.backend as KernelBackend)) {
        const out = { oh: info.outHeight, ow: info.outWidth, top: info.padInfo.top, left: info.padInfo.left, dh: info.dilationHeight, dw: info.dilationWidth };
        return withRunner(args.backend as KernelBackend, backendName, (r) => conv2dStride1Simd(r, x, filter, false, out));
      }
      if (!original) throw new Error('Conv2D: no kernel for this case');
      return original.kernelFunc(args);
    },
  };
}

/**
 * DepthwiseConv2dNative: with channel multiplier 1 (float32, NHWC), NetSprout's SIMD kernel, which also serves the
 * input gradient (a depthwise convolution of dy with the flipped filter); else the backend's own (XNNPACK), which
 * also runs the grouped convolution of the filter gradient for multipliers above 1.
 */
function depthwiseKernel(backendName: string, original: KernelConfig | undefined): KernelConfig {
  return {
    ...(original ?? {}),
    kernelName: 'DepthwiseConv2dNative',
    backendName,
    kernelFunc: (args) => {
      const { x, filter } = args.inputs as Record<string, TensorInfo>;
      const a = args.attrs as Attrs;
      const fits = filter.shape[3] === 1 && x.dtype === 'float32' && filter.dtype === 'float32' && (a.dataFormat ?? 'NHWC') === 'NHWC';
      if (fits && simdKernels(args.backend as KernelBackend)) {
        const info = convInfoFor(x.shape, filter.shape, a.strides as Pair, (a.dilations as Pair) ?? 1, a.pad as Pad, a.dimRoundingMode as Rounding, true);
        return withRunner(args.backend as KernelBackend, backendName, (r) => depthwiseConv2dSimd(r, x, filter, info));
      }
      if (!original) throw new Error('DepthwiseConv2dNative: no kernel for this case');
      return original.kernelFunc(args);
    },
  };
}

/** MaxPool: the 2×2, stride-2 tiling case as NetSprout's SIMD kernel; else the backend's own (XNNPACK). */
function maxPoolKernel(backendName: string, original: KernelConfig | undefined): KernelConfig {
  return {
    ...(original ?? {}),
    kernelName: 'MaxPool',
    backendName,
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      const a = args.attrs as Attrs;
      if (x.shape.length === 4) {
        const info = backend_util.computePool2DInfo(x.shape as [number, number, number, number], a.filterSize as Pair, a.strides as Pair, 1, a.pad as 'same', a.dimRoundingMode as Rounding);
        const out = maxPool2x2(args.backend as KernelBackend, x, info);
        if (out) return out;
      }
      if (!original) throw new Error('MaxPool: no kernel for this case');
      return original.kernelFunc(args);
    },
  };
}

export function wasmTrainingKernels(backendName = 'wasm'): KernelConfig[] {
  return [
    maxPoolKernel(backendName, getKernel('MaxPool', backendName)),
    conv2dKernel(backendName, getKernel('Conv2D', backendName)),
    depthwiseKernel(backendName, getKernel('DepthwiseConv2dNative', backendName)),
    kernel('Conv2DBackpropFilter', backendName, (r, { x, dy }, a) => {
      const info = convInfoFor(x.shape, a.filterShape as number[], a.strides as Pair, (a.dilations as Pair) ?? 1, a.pad as Pad, a.dimRoundingMode as Rounding, false);
      return conv2dFilterGradient(r, x, dy, info);
    }),
    kernel('Conv2DBackpropInput', backendName, (r, { dy, filter }, a) => {
      const info = convInfoFor(a.inputShape as number[], filter.shape, a.strides as Pair, (a.dilations as Pair) ?? 1, a.pad as Pad, a.dimRoundingMode as Rounding, false);
      return conv2dInputGradient(r, dy, filter, info);
    }),
    kernel('DepthwiseConv2dNativeBackpropFilter', backendName, (r, { x, dy }, a) => {
      const info = convInfoFor(x.shape, a.filterShape as number[], a.strides as Pair, (a.dilations as Pair) ?? 1, a.pad as Pad, a.dimRoundingMode as Rounding, true);
      return depthwiseFilterGradient(r, x, dy, info);
    }),
    kernel('DepthwiseConv2dNativeBackpropInput', backendName, (r, { dy, filter }, a) => {
      const info = convInfoFor(a.inputShape as number[], filter.shape, a.strides as Pair, (a.dilations as Pair) ?? 1, a.pad as Pad, a.dimRoundingMode as Rounding, true);
      return depthwiseInputGradient(r, dy, filter, info);
    }),
    kernel('UnsortedSegmentSum', backendName, (r, { x, segmentIds }, a) => unsortedSegmentSum(r, x, segmentIds, a.numSegments as number)),
    {
      kernelName: 'MaxPoolGrad',
      backendName,
      kernelFunc: ({ inputs, attrs, backend }) => {
        const { dy, input } = inputs as Record<string, TensorInfo>;
        const a = attrs as Attrs;
        const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize as Pair, a.strides as Pair, 1, a.pad as 'same', a.dimRoundingMode as Rounding);
        return maxPoolGrad(backend as KernelBackend, dy, input, info);
      },
    },
    ...batchNormKernels(backendName),
    ...globalAvgPoolKernels(backendName),
    sgdStepKernel(backendName),
    softmaxCrossEntropyKernel(backendName),
    identityKernel(backendName, getKernel('Identity', backendName)),
    gatherKernel(backendName, getKernel('GatherV2', backendName)),
    concatKernel(backendName, getKernel('Concat', backendName)),
    sliceKernel(backendName, getKernel('Slice', backendName)),
    splitVKernel(backendName, getKernel('SplitV', backendName)),
  ];
}

/** Names of the kernels registered here, replacing the backend's own where it had one. */
export const WASM_TRAINING_KERNELS = [
  'Conv2D',
  'DepthwiseConv2dNative',
  'MaxPool',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'MaxPoolGrad',
  BATCH_NORM_TRAIN,
  BATCH_NORM_GRAD,
  MOVING_AVERAGES,
  GLOBAL_AVG_POOL,
  GLOBAL_AVG_POOL_GRAD,
  SGD_STEP,
  SOFTMAX_CROSS_ENTROPY,
  'Identity',
  'GatherV2',
  'Concat',
  'Slice',
  'SplitV',
] as const;

let registered = false;

/** Idempotent. Must run after '@tensorflow/tfjs-backend-wasm' has been imported. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const config of wasmTrainingKernels('wasm')) {
    if (getKernel(config.kernelName, 'wasm')) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  registered = true;
}
