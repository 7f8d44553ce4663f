/**
 * MaxPoolGrad for the WASM backend over the backend's own heap (no copy in or out): each output position sends its
 * gradient to the first maximum of its window, exactly as TensorFlow does. The package's C++ kernel recomputes
 * window indices per element and was the largest cost of a training step. The common 2×2, stride-2 pooling runs
 * as NetSprout's SIMD kernel (simd/kernels.c, max_pool_grad_2x2) where it is on, else as the JavaScript loop
 * below; other poolings as the general JavaScript loop.
 */
import { backend_util, type KernelBackend, type TensorInfo } from '@tensorflow/tfjs-core';
import { address, runSimd, simdKernels, simdThreads } from './simdKernels.js';

export interface WasmHeapBackend extends KernelBackend {
  wasm: { HEAPU8: Uint8Array; wasmMemory?: WebAssembly.Memory };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32' | 'int32' | 'bool'): TensorInfo;
}

/** A typed view of a tensor in the WASM heap; make it after any allocation, which may grow the heap. */
export function heapView(backend: KernelBackend, t: TensorInfo, dtype: string = 'float32'): Float32Array {
  const b = backend as WasmHeapBackend;
  const buffer = b.wasm.wasmMemory?.buffer ?? b.wasm.HEAPU8.buffer;
  const size = t.shape.reduce((a, c) => a * c, 1);
  const offset = b.dataIdMap.get(t.dataId).memoryOffset;
  if (dtype === 'int32') return new Int32Array(buffer, offset, size) as unknown as Float32Array;
  if (dtype === 'bool') return new Uint8Array(buffer, offset, size) as unknown as Float32Array;
  return new Float32Array(buffer, offset, size);
}

/** The common 2×2, stride-2 pooling that tiles the input exactly: every input pixel is written once. */
function maxPoolGrad2x2(dx: Float32Array, xv: Float32Array, dyv: Float32Array, batch: number, oh: number, ow: number, channels: number): void {
  const rowStride = 2 * ow * channels;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const p00 = ((b * 2 * oh + 2 * oy) * 2 * ow + 2 * ox) * channels;
        const p01 = p00 + channels;
        const p10 = p00 + rowStride;
        const p11 = p10 + channels;
        const g0 = ((b * oh + oy) * ow + ox) * channels;
        for (let c = 0; c < channels; c++) {
          const a = xv[p00 + c];
          const bb = xv[p01 + c];
          const cc = xv[p10 + c];
          const d = xv[p11 + c];
          let k = 0;
          let m = a;
          if (bb > m) {
            m = bb;
            k = 1;
          }
          if (cc > m) {
            m = cc;
            k = 2;
          }
          if (d > m) k = 3;
          const g = dyv[g0 + c];
          dx[p00 + c] = k === 0 ? g : 0;
          dx[p01 + c] = k === 1 ? g : 0;
          dx[p10 + c] = k === 2 ? g : 0;
          dx[p11 + c] = k === 3 ? g : 0;
        }
      }
    }
  }
}

/** Whether a pooling is the common 2×2, stride-2 one that tiles its input exactly (no padding, no dilation). */
export function isTiling2x2(info: backend_util.Conv2DInfo, inH: number, inW: number): boolean {
  return (
    info.filterHeight === 2 && info.filterWidth === 2 && info.strideHeight === 2 && info.strideWidth === 2 &&
    info.dilationHeight === 1 && info.dilationWidth === 1 && info.padInfo.top === 0 && info.padInfo.left === 0 &&
    inH === 2 * info.outHeight && inW === 2 * info.outWidth
  );
}

/** MaxPool forward for the 2×2 tiling case as NetSprout's SIMD kernel; null where it does not apply. */
export function maxPool2x2(backend: KernelBackend, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo | null {
  const [batch, inH, inW, channels] = x.shape;
  if (x.dtype !== 'float32' || !isTiling2x2(info, inH, inW) || !simdKernels(backend)) return null;
  const out = (backend as WasmHeapBackend).makeOutput([batch, info.outHeight, info.outWidth, channels], 'float32');
  const args = [address(backend, x), address(backend, out), info.outHeight, info.outWidth, channels];
  runSimd(backend, 'max_pool_2x2', args, batch * info.outHeight, 4 * simdThreads(backend));
  return out;
}

export function maxPoolGrad(backend: KernelBackend, dy: TensorInfo, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const out = (backend as WasmHeapBackend).makeOutput(x.shape, 'float32');
  const dx = heapView(backend, out);
  const xv = heapView(backend, x);
  const dyv = heapView(backend, dy);
  const [batch, inH, inW, channels] = x.shape;
  if (isTiling2x2(info, inH, inW)) {
    if (simdKernels(backend)) {
      const args = [address(backend, x), address(backend, dy), address(backend, out), info.outHeight, info.outWidth, channels];
      runSimd(backend, 'max_pool_grad_2x2', args, batch * info.outHeight, 4 * simdThreads(backend));
    } else {
      maxPoolGrad2x2(dx, xv, dyv, batch, info.outHeight, info.outWidth, channels);
    }
    return out;
  }
  dx.fill(0);
  const { outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Offsets (in pixels) of the valid window positions of one output position, rebuilt per position.
  const offsets = new Int32Array(Math.ceil(fh / dilationHeight) * Math.ceil(fw / dilationWidth));
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        let count = 0;
        for (let i = 0; i < fh; i += dilationHeight) {
          const yy = y0 + i;
          if (yy < 0 || yy >= inH) continue;
          for (let j = 0; j < fw; j += dilationWidth) {
            const xx = x0 + j;
            if (xx >= 0 && xx < inW) offsets[count++] = ((b * inH + yy) * inW + xx) * channels;
          }
        }
        if (count === 0) continue;
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * channels;
        const first = offsets[0];
        for (let c = 0; c < channels; c++) {
          let at = first + c;
          let best = xv[at];
          for (let k = 1; k < count; k++) {
            const idx = offsets[k] + c;
            const v = xv[idx];
            if (v > best) {
              best = v;
              at = idx;
            }
          }
          dx[at] += dyv[dyBase + c];
        }
      }
    }
  }
  return out;
}
