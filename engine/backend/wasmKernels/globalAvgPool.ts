/**
 * Global average pooling over the spatial axes of [b, ..., c] → [b, c] and its gradient (dy/s spread over the
 * s positions), as SIMD kernels: NetSproutGlobalAvgPool {x} → y and NetSproutGlobalAvgPoolGrad {dy} (shape: x's) → dx.
 */
import type { KernelBackend, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './maxPoolGrad.js';
import { address, runSimd, simdThreads } from './simdKernels.js';

export const GLOBAL_AVG_POOL = 'NetSproutGlobalAvgPool';
export const GLOBAL_AVG_POOL_GRAD = 'NetSproutGlobalAvgPoolGrad';

function dims(shape: number[]): { b: number; s: number; c: number } {
  const b = shape[0];
  const c = shape[shape.length - 1];
  return { b, c, s: shape.slice(1, -1).reduce((a, v) => a * v, 1) };
}

export function globalAvgPoolKernels(backendName: string): KernelConfig[] {
  return [
    {
      kernelName: GLOBAL_AVG_POOL,
      backendName,
      kernelFunc: ({ inputs, backend }) => {
        const x = inputs.x as TensorInfo;
        const { b, s, c } = dims(x.shape);
        const be = backend as KernelBackend;
        const y = (be as WasmHeapBackend).makeOutput([b, c], 'float32');
        runSimd(be, 'global_avg_pool', [address(be, x), address(be, y), s, c], b, 4 * simdThreads(be));
        return y;
      },
    },
    {
      kernelName: GLOBAL_AVG_POOL_GRAD,
      backendName,
      kernelFunc: ({ inputs, attrs, backend }) => {
        const dy = inputs.dy as TensorInfo;
        const shape = (attrs as { shape: number[] }).shape;
        const { b, s, c } = dims(shape);
        const be = backend as KernelBackend;
        const dx = (be as WasmHeapBackend).makeOutput([...shape], 'float32');
        runSimd(be, 'global_avg_pool_grad', [address(be, dy), address(be, dx), s, c], b, 4 * simdThreads(be));
        return dx;
      },
    },
  ];
}
