/**
 * Faster WASM versions of data-movement kernels, each falling back to the backend's own kernel outside the case it
 * handles:
 * - Identity shares the input's data (a reference count, as the cpu backend does) instead of copying it. TensorFlow.js
 *   clones every tensor it saves for the backward pass, so the copies cost a full pass over every saved activation.
 * - GatherV2 along axis 0 (a batch picked from a data set, an embedding lookup) copies whole rows; the backend's
 *   kernel computes an index per element.
 * - Concat, Slice and SplitV (the gradient of Concat) along one axis copy whole rows of the inner dimensions with
 *   one strided copy (simd/kernels.c `copy_rows`). The backend's kernels make a JavaScript subarray for every row: a
 *   concatenation of channels does one per pixel, and on 64 images of 28×28 pixels a concat and its gradient took
 *   longer than a 3×3 convolution of the same tensors.
 */
import { backend_util, slice_util, util, type KernelBackend, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
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

/**
 * A kernel that handles some cases itself with NetSprout's SIMD kernels: `body` returns null for the others, which go
 * to the backend's own kernel, as do all cases while the SIMD kernels are off.
 */
function replacing(
  kernelName: string,
  backendName: string,
  original: KernelConfig | undefined,
  body: (args: Parameters<KernelFunc>[0], backend: KernelBackend) => TensorInfo | TensorInfo[] | null,
): KernelConfig {
  return {
    ...(original ?? {}),
    kernelName,
    backendName,
    kernelFunc: (args) => {
      const backend = args.backend as KernelBackend;
      const out = simdKernels(backend) ? body(args, backend) : null;
      if (out) return out;
      if (!original) throw new Error(`${kernelName}: no kernel for this case`);
      return original.kernelFunc(args);
    },
  };
}

export function gatherKernel(backendName: string, original: KernelConfig | undefined): KernelConfig {
  return replacing('GatherV2', backendName, original, (args, backend) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims?: number };
    const rowBytes = (BYTES[x.dtype] ?? 0) * x.shape.slice(1).reduce((a, b) => a * b, 1);
    const simple = util.parseAxisParam(axis, x.shape)[0] === 0 && !batchDims && indices.dtype === 'int32' && rowBytes > 0;
    if (!simple) return null;
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
  });
}

/** Elements of a shape's dimensions from `from` (inclusive) to `to` (exclusive). */
function span(shape: readonly number[], from: number, to = shape.length): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= shape[i];
  return n;
}

export function concatKernel(backendName: string, original: KernelConfig | undefined): KernelConfig {
  return replacing('Concat', backendName, original, (args, backend) => {
    const all = args.inputs as unknown as TensorInfo[];
    const inputs = all.filter((t) => util.sizeFromShape(t.shape) > 0);
    const bytes = BYTES[all[0]?.dtype] ?? 0;
    if (inputs.length < 2 || !bytes || inputs.some((t) => t.dtype !== all[0].dtype)) return null;
    const axis = util.parseAxisParam((args.attrs as { axis: number }).axis, all[0].shape)[0];
    backend_util.assertParamsConsistent(all.map((t) => t.shape), axis);
    const outShape = backend_util.computeOutShape(all.map((t) => t.shape), axis);
    const out = (backend as WasmHeapBackend).makeOutput(outShape, all[0].dtype as 'float32');
    const rows = span(outShape, 0, axis);
    const outRow = span(outShape, axis) * bytes;
    let offset = 0;
    for (const t of inputs) {
      const row = span(t.shape, axis) * bytes;
      runSimd(backend, 'copy_rows', [address(backend, t), address(backend, out) + offset, row, row, outRow], rows, 1);
      offset += row;
    }
    return out;
  });
}

/**
 * A slice that narrows at most one axis, as rows: the dimensions before it are the rows, the narrowed axis and those
 * after it each row's contents. Null where it narrows two or more axes.
 */
function sliceRows(backend: KernelBackend, x: TensorInfo, begin: number[], size: number[]): TensorInfo | null {
  const bytes = BYTES[x.dtype] ?? 0;
  const narrowed = x.shape.map((d, i) => begin[i] !== 0 || size[i] !== d).flatMap((n, i) => (n ? [i] : []));
  if (!bytes || !x.shape.length || narrowed.length > 1) return null;
  const out = (backend as WasmHeapBackend).makeOutput([...size], x.dtype as 'float32');
  if (util.sizeFromShape(size) === 0) return out;
  const axis = narrowed[0] ?? 0;
  const inner = span(x.shape, axis + 1) * bytes;
  const row = size[axis] * inner;
  runSimd(backend, 'copy_rows', [address(backend, x) + begin[axis] * inner, address(backend, out), row, x.shape[axis] * inner, row], span(x.shape, 0, axis), 1);
  return out;
}

export function sliceKernel(backendName: string, original: KernelConfig | undefined): KernelConfig {
  return replacing('Slice', backendName, original, (args, backend) => {
    const x = args.inputs.x as TensorInfo;
    const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
    const [begin_, size_] = slice_util.parseSliceParams(x, begin, size);
    slice_util.assertParamsValid(x, begin_, size_);
    return sliceRows(backend, x, begin_, size_);
  });
}

export function splitVKernel(backendName: string, original: KernelConfig | undefined): KernelConfig {
  return replacing('SplitV', backendName, original, (args, backend) => {
    const x = args.inputs.x as TensorInfo;
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    if (!BYTES[x.dtype]) return null;
    const a = util.parseAxisParam(axis, x.shape)[0];
    const begin = x.shape.map(() => 0);
    return backend_util.prepareSplitSize(x, numOrSizeSplits, a).map((s) => {
      const size = [...x.shape];
      size[a] = s;
      const piece = sliceRows(backend, x, [...begin], size)!;
      begin[a] += s;
      return piece;
    });
  });
}
