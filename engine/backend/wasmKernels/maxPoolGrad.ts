/**
 * MaxPoolGrad for the WASM backend, written in JavaScript over the backend's own heap (no copy in or out):
 * each output position sends its gradient to the first maximum of its window, exactly as TensorFlow does.
 * The package's C++ kernel recomputes window indices per element and was the largest cost of a training step;
 * this one is a single pass over dy with four reads per 2×2 window.
 */
import { backend_util, type KernelBackend, type TensorInfo } from '@tensorflow/tfjs-core';

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

export function maxPoolGrad(backend: KernelBackend, dy: TensorInfo, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const out = (backend as WasmHeapBackend).makeOutput(x.shape, 'float32');
  const dx = heapView(backend, out);
  const xv = heapView(backend, x);
  const dyv = heapView(backend, dy);
  dx.fill(0);
  const [batch, inH, inW, channels] = x.shape;
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
