/**
 * Runs other kernels of a backend from inside a kernel, the way tfjs backends compose kernels internally:
 * by calling the registered kernel functions directly (no tape, no engine bookkeeping) and freeing every
 * intermediate on `dispose()`. Data never leaves the backend.
 */
import { getKernel, type KernelBackend, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { heapView, type WasmHeapBackend } from './maxPoolGrad.js';

export class KernelRunner {
  private readonly intermediates: TensorInfo[] = [];

  constructor(
    readonly backend: KernelBackend,
    readonly backendName: string,
  ) {}

  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(kernelName, this.backendName);
    if (!kernel) throw new Error(`Kernel ${kernelName} is not registered for backend ${this.backendName}.`);
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend }) as TensorInfo;
    this.intermediates.push(out);
    return out;
  }

  /** A new float32 tensor of `shape` in the backend (contents undefined), freed on finish() unless returned. */
  allocate(shape: number[]): TensorInfo {
    const out = (this.backend as WasmHeapBackend).makeOutput([...shape], 'float32');
    this.intermediates.push(out);
    return out;
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  sum(x: TensorInfo, axis: number[]): TensorInfo {
    return this.run('Sum', { x }, { axis, keepDims: false });
  }

  /**
   * Reverses float32 `x` along `dims`, copying whole contiguous blocks (everything after the last reversed axis) in
   * JavaScript over the backend's heap. The backend's Reverse kernel costs about 70 ns per element (5 ms for a
   * [3, 3, 64, 128] filter, more than the convolution it feeds); this costs a fraction of a millisecond.
   */
  reverse(x: TensorInfo, dims: number[]): TensorInfo {
    const rank = x.shape.length;
    const axes = dims.map((d) => (d < 0 ? d + rank : d)).filter((d) => x.shape[d] > 1);
    if (x.dtype !== 'float32' || axes.length === 0) return this.run('Reverse', { x }, { dims });
    const out = (this.backend as WasmHeapBackend).makeOutput([...x.shape], 'float32');
    this.intermediates.push(out);
    const src = heapView(this.backend, x);
    const dst = heapView(this.backend, out);
    const last = Math.max(...axes);
    const inner = x.shape.slice(last + 1).reduce((a, b) => a * b, 1);
    const outerShape = x.shape.slice(0, last + 1);
    const flip = outerShape.map((_, i) => axes.includes(i));
    const strides = outerShape.map((_, i) => outerShape.slice(i + 1).reduce((a, b) => a * b, 1) * inner);
    const idx = new Array<number>(outerShape.length).fill(0);
    const blocks = outerShape.reduce((a, b) => a * b, 1);
    for (let n = 0; n < blocks; n++) {
      let from = 0;
      for (let i = 0; i < idx.length; i++) from += (flip[i] ? outerShape[i] - 1 - idx[i] : idx[i]) * strides[i];
      const to = n * inner;
      if (inner >= 16) dst.set(src.subarray(from, from + inner), to);
      else for (let k = 0; k < inner; k++) dst[to + k] = src[from + k];
      for (let i = idx.length - 1; i >= 0 && ++idx[i] === outerShape[i]; i--) idx[i] = 0;
    }
    return out;
  }

  /**
   * Pads (positive amounts) and crops (negative amounts) each axis: `amounts[i] = [before, after]`.
   */
  padOrCrop(x: TensorInfo, amounts: Array<[number, number]>): TensorInfo {
    let y = x;
    if (amounts.some(([a, b]) => a > 0 || b > 0)) {
      const paddings = amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]);
      y = this.run('PadV2', { x: y }, { paddings, constantValue: 0 });
    }
    if (amounts.some(([a, b]) => a < 0 || b < 0)) {
      const begin = amounts.map(([a]) => Math.max(0, -a));
      const size = y.shape.map((d, i) => d - begin[i] - Math.max(0, -amounts[i][1]));
      y = this.run('Slice', { x: y }, { begin, size });
    }
    return y;
  }

  concat(xs: TensorInfo[], axis: number): TensorInfo {
    return this.run('Concat', xs as unknown as Record<string, TensorInfo>, { axis });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }

  /** Hands `keep` to the caller and frees every other intermediate. */
  finish(keep: TensorInfo): TensorInfo {
    this.disposeAll(keep);
    return keep;
  }

  /** Hands the tensors in `keep` to the caller and frees every other intermediate. */
  finishAll(keep: TensorInfo[]): TensorInfo[] {
    for (const t of this.intermediates) {
      if (!keep.includes(t)) this.backend.disposeData(t.dataId);
    }
    this.intermediates.length = 0;
    return keep;
  }

  /** Frees every intermediate (but `except`), e.g. after a failure. */
  disposeAll(except?: TensorInfo): void {
    for (const t of this.intermediates) {
      if (t !== except) this.backend.disposeData(t.dataId);
    }
    this.intermediates.length = 0;
  }
}
