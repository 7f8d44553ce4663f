/**
 * Runs other kernels of a backend from inside a kernel, the way tfjs backends compose kernels internally:
 * by calling the registered kernel functions directly (no tape, no engine bookkeeping) and freeing every
 * intermediate on `dispose()`. Data never leaves the backend.
 */
import { getKernel, type KernelBackend, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

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

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  sum(x: TensorInfo, axis: number[]): TensorInfo {
    return this.run('Sum', { x }, { axis, keepDims: false });
  }

  reverse(x: TensorInfo, dims: number[]): TensorInfo {
    return this.run('Reverse', { x }, { dims });
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

  /** Frees every intermediate (but `except`), e.g. after a failure. */
  disposeAll(except?: TensorInfo): void {
    for (const t of this.intermediates) {
      if (t !== except) this.backend.disposeData(t.dataId);
    }
    this.intermediates.length = 0;
  }
}
