/**
 * One SGD step for one variable as a single kernel: NetSproutSgdStep {v, velocity, g} (lr, momentum, weightDecay,
 * nesterov) → [v', velocity'], with the tf ops' order of operations (see simd/kernels.c, sgd_step), so it gives
 * the same bits as the op-by-op update, in one pass instead of eight kernels.
 */
import type { KernelBackend, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './maxPoolGrad.js';
import { address, simdKernels } from './simdKernels.js';

export const SGD_STEP = 'NetSproutSgdStep';

export function sgdStepKernel(backendName: string): KernelConfig {
  return {
    kernelName: SGD_STEP,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { v, velocity, g } = inputs as { v: TensorInfo; velocity: TensorInfo; g: TensorInfo };
      const a = attrs as { lr: number; momentum: number; weightDecay: number; nesterov: boolean };
      const be = backend as KernelBackend;
      const out = (be as WasmHeapBackend).makeOutput([...v.shape], 'float32');
      const vel = (be as WasmHeapBackend).makeOutput([...v.shape], 'float32');
      const n = v.shape.reduce((x, y) => x * y, 1);
      simdKernels(be)!.sgd_step(address(be, v), address(be, velocity), address(be, g), address(be, out), address(be, vel), a.lr, a.momentum, a.weightDecay, a.nesterov ? 1 : 0, 0, n);
      return [out, vel];
    },
  };
}
