/**
 * NetSprout's WebAssembly SIMD kernels (simd/kernels.c, built by simd/build.sh), instantiated over the WASM backend's
 * own memory so that they read and write tensors where the backend keeps them. One instance per backend memory.
 */
import { readFileSync } from 'node:fs';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './maxPoolGrad.js';
import { chunkRanges, SimdThreadPool } from './simdThreads.js';

export interface SimdKernelExports {
  max_pool_2x2(x: number, y: number, oh: number, ow: number, c: number, row0: number, row1: number, part: number): void;
  max_pool_grad_2x2(x: number, dy: number, dx: number, oh: number, ow: number, c: number, row0: number, row1: number, part: number): void;
  conv2d_filter_grad(
    xp: number, dy: number, parts: number, hp: number, wp: number, c: number, oh: number, ow: number, o: number, kw: number,
    sh: number, sw: number, dh: number, dw: number, rowsTotal: number, partStride: number, n0: number, n1: number, part: number,
  ): void;
  sum_parts(parts: number, out: number, count: number, stride: number, from: number, to: number, part: number): void;
  depthwise_conv2d(
    xp: number, w: number, y: number, hp: number, wp: number, c: number, oh: number, ow: number, kh: number, kw: number,
    sh: number, sw: number, dh: number, dw: number, row0: number, row1: number, part: number,
  ): void;
  depthwise_filter_grad(
    xp: number, dy: number, parts: number, hp: number, wp: number, c: number, oh: number, ow: number, kh: number, kw: number,
    sh: number, sw: number, dh: number, dw: number, partStride: number, n0: number, n1: number, part: number,
  ): void;
  channel_sums(x: number, mean: number, parts: number, c: number, centered: number, r0: number, r1: number, part: number): void;
  bn_apply(x: number, mean: number, scale: number, shift: number, y: number, c: number, relu: number, r0: number, r1: number, part: number): void;
  bn_grad_sums(dy: number, x: number, y: number, mean: number, parts: number, c: number, relu: number, r0: number, r1: number, part: number): void;
  bn_grad_apply(dy: number, x: number, y: number, mean: number, coef: number, dx: number, c: number, relu: number, r0: number, r1: number, part: number): void;
  gather_rows(x: number, indices: number, out: number, rowBytes: number, i0: number, i1: number, part: number): void;
  copy_rows(src: number, dst: number, rowBytes: number, srcStride: number, dstStride: number, i0: number, i1: number, part: number): void;
  global_avg_pool(x: number, y: number, s: number, c: number, n0: number, n1: number, part: number): void;
  global_avg_pool_grad(dy: number, dx: number, s: number, c: number, n0: number, n1: number, part: number): void;
  sgd_step(v: number, vel: number, g: number, vOut: number, velOut: number, lr: number, momentum: number, wd: number, nesterov: number, i0: number, i1: number): void;
  pack_filter(w: number, wp: number, kh: number, kw: number, c: number, o: number, flip: number, blk0: number, blk1: number, part: number): void;
  conv2d_packed(
    input: number, wp: number, out: number, hp: number, wpd: number, kc: number, oh: number, ow: number, qc: number, kh: number, kw: number,
    dh: number, dw: number, u0: number, u1: number, part: number,
  ): void;
  pad_nhwc(x: number, out: number, h: number, w: number, c: number, hp: number, wp: number, top: number, left: number, row0: number, row1: number, part: number): void;
}

interface BackendModule {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
}

const instances = new WeakMap<WebAssembly.Memory, SimdKernelExports>();
const pools = new WeakMap<WebAssembly.Memory, SimdThreadPool>();
const modules = new Map<string, WebAssembly.Module>();

function compiled(file: string): WebAssembly.Module {
  let m = modules.get(file);
  if (!m) {
    m = new WebAssembly.Module(readFileSync(new URL(`./simd/${file}`, import.meta.url)));
    modules.set(file, m);
  }
  return m;
}

/** The backend's WebAssembly.Memory: shared in the threaded build, plain otherwise; null if it cannot be found. */
export function backendMemory(backend: KernelBackend): WebAssembly.Memory | null {
  const wasm = (backend as unknown as { wasm?: BackendModule }).wasm;
  return wasm?.wasmMemory ?? wasm?.asm?.memory ?? null;
}

let enabled = !/^(0|off|false|no)$/i.test(process.env.NETSPROUT_SIMD_KERNELS ?? '');

/**
 * Turns NetSprout's SIMD kernels on or off (initially off where NETSPROUT_SIMD_KERNELS is 0/off/false/no). Off, every
 * kernel registered in register.ts takes its other path (XNNPACK compositions, the backend's own kernels, tf ops in
 * engine/train): stock TensorFlow.js WASM plus the gradients it lacks, e.g. to measure what a browser would run.
 */
export function setSimdKernelsEnabled(on: boolean): boolean {
  const before = enabled;
  enabled = on;
  return before;
}

/** Runs `f` with NetSprout's SIMD kernels off (stock TensorFlow.js WASM), then restores the setting. */
export async function withStockWasmKernels<T>(f: () => Promise<T>): Promise<T> {
  const before = setSimdKernelsEnabled(false);
  try {
    return await f();
  } finally {
    setSimdKernelsEnabled(before);
  }
}

/** The kernels over `backend`'s heap; null where they are off or the backend's memory is not reachable. */
export function simdKernels(backend: KernelBackend): SimdKernelExports | null {
  return enabled ? kernelsFor(backend) : null;
}

function kernelsFor(backend: KernelBackend): SimdKernelExports | null {
  const memory = backendMemory(backend);
  if (!memory) return null;
  let k = instances.get(memory);
  if (!k) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const instance = new WebAssembly.Instance(compiled(shared ? 'kernels-shared.wasm' : 'kernels.wasm'), { env: { memory } });
    k = instance.exports as unknown as SimdKernelExports;
    instances.set(memory, k);
  }
  return k;
}

/** Byte address of a tensor in the backend's heap. */
export function address(backend: KernelBackend, t: TensorInfo): number {
  return (backend as WasmHeapBackend).dataIdMap.get(t.dataId).memoryOffset;
}

/**
 * Starts `threads − 1` worker threads for the kernels over `backend`'s memory, where that memory is shared (the
 * threaded build); returns the number of threads the kernels will use (1 where it is not shared).
 */
export async function startSimdThreads(backend: KernelBackend, threads: number): Promise<number> {
  const memory = backendMemory(backend);
  const local = kernelsFor(backend);
  if (!memory || !local || threads <= 1 || !(memory.buffer instanceof SharedArrayBuffer)) return 1;
  const existing = pools.get(memory);
  if (existing) return existing.threads;
  const pool = await SimdThreadPool.start(compiled('kernels-shared.wasm'), memory, local as unknown as WebAssembly.Exports, threads);
  pools.set(memory, pool);
  return pool.threads;
}

/** Threads the kernels run on for `backend` (1 without a pool). */
export function simdThreads(backend: KernelBackend): number {
  const memory = backendMemory(backend);
  return (memory && pools.get(memory)?.threads) || 1;
}

/**
 * Runs kernel `name` over the range [0, total) of its outermost loop cut into at most `chunks` parts (chunkRanges),
 * one call per part with `args` followed by the part's range [from, to) and its index: on the worker threads where
 * they were started, else on this thread. A kernel that sums writes each part's sum to its own slot, so results do
 * not depend on the number of threads.
 */
export function runSimd(backend: KernelBackend, name: keyof SimdKernelExports, args: number[], total: number, chunks: number): void {
  const memory = backendMemory(backend)!;
  const pool = pools.get(memory);
  if (pool) {
    pool.run(name, args, total, chunks);
    return;
  }
  const fn = kernelsFor(backend)![name] as unknown as (...a: number[]) => void;
  const { size, count } = chunkRanges(total, chunks);
  for (let idx = 0; idx < count; idx++) fn(...args, idx * size, Math.min(total, (idx + 1) * size), idx);
}
