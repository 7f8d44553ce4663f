/**
 * Faster WASM versions of two data-movement kernels, each falling back to the backend's own kernel outside the
 * case it handles:
 * - Identity shares the input's data (a reference count, as the cpu backend does) instead of copying it. TensorFlow.js
 *   clones every tensor it saves for the backward pass, so the copies cost a full pass over every saved activation.
 * - GatherV2 along axis 0 (a batch picked from a data set, an embedding lookup) copies whole rows; the backend's
 *   kernel computes an index per element.
 */
import { util, type KernelBackend, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { heapView, type WasmHeapBackend } from './maxPoolGrad.js';
import { address, runSimd, simdKernels } from './simdKernels.js';

interface RefCountedBackend extends WasmHeapBackend {
  incRef(dataId: object): void;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

export function identityKernel(backendName: string, original: KernelConfig | undefined): KernelConfig {
  return {
    ...(original ?? {}),
    kernelName: 'Identity',
    backendName,
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      if ((x.dtype === 'string' || !simdKernels(args.backend as KernelBackend)) && original) return original.kernelFunc(args);
      (args.backend as RefCountedBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    },
  };
}

export function gatherKernel(backendName: string, original: KernelConfig | undefined): KernelConfig {
  const fallback = original?.kernelFunc as KernelFunc | undefined;
  return {
    ...(original ?? {}),
    kernelName: 'GatherV2',
    backendName,
    kernelFunc: (args) => {
      const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
      const { axis, batchDims } = args.attrs as { axis: number; batchDims?: number };
      const backend = args.backend as KernelBackend;
      const rowBytes = (BYTES[x.dtype] ?? 0) * x.shape.slice(1).reduce((a, b) => a * b, 1);
      const simple = util.parseAxisParam(axis, x.shape)[0] === 0 && !batchDims && indices.dtype === 'int32' && rowBytes > 0;
      if (!simple || !simdKernels(backend)) {
        if (!fallback) throw new Error('GatherV2: no kernel for this case');
        return fallback(args);
      }
      const ids = heapView(backend, indices, 'int32') as unknown as Int32Array;
      const rows = x.shape[0];
      for (let i = 0; i < ids.length; i++) {
        if (ids[i] < 0 || ids[i] >= rows) {
          throw new Error(`GatherV2: the index ${ids[i]} at position ${i} is not in [0, ${rows - 1}]`);
        }
      }
      const out = (backend as WasmHeapBackend).makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype as 'float32');
      if (ids.length > 0) runSimd(backend, 'gather_rows', [address(backend, x), address(backend, indices), address(backend, out), rowBytes], ids.length, 1);
      return out;
    },
  };
}
