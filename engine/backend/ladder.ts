/**
 * The backend ladder: tfjs-node-gpu (CUDA) → tfjs-node (CPU, libtensorflow) → wasm (XNNPACK, with NetSprout's
 * training kernels) → cpu (pure JS). Each step is tried in order; the reason for every skip is recorded.
 * An override (`--backend` or NETSPROUT_BACKEND) picks one step and fails clearly if it cannot load.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node bundle registers no gradients; the @tensorflow/tfjs bundle registers them all on the same core.
import '@tensorflow/tfjs';
import { NetSproutError } from '../errors.js';
import { registerWasmTrainingKernels } from './wasmKernels/register.js';
import { simdKernels, startSimdThreads } from './wasmKernels/simdKernels.js';
import { registerThreadedWasm, unregisterThreadedWasm, unrefWasmWorkers } from './wasmThreads.js';

export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendStatus {
  name: BackendName;
  available: boolean;
  reason: string;
}

export interface BackendChoice {
  chosen: BackendName;
  /** The tfjs backend name registered with tf.setBackend ('tensorflow', 'wasm' or 'cpu'). */
  tfjsName: string;
  threads: number;
  backends: BackendStatus[];
}

// Production mode: no debug checks, and no console banner suggesting tfjs-node (the ladder reports backends itself).
tf.env().set('PROD', true);

/** tf.setBackend() hides the error of a failing factory; this surfaces it. */
async function activate(tfjsName: string): Promise<void> {
  const original = console.warn;
  const messages: string[] = [];
  console.warn = (...args: unknown[]) => messages.push(args.map(String).join(' '));
  try {
    const ok = await tf.setBackend(tfjsName);
    if (!ok) throw new Error(messages.join(' ') || `tf.setBackend('${tfjsName}') returned false`);
    await tf.ready();
  } finally {
    console.warn = original;
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 300);
}

async function tryNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<string> {
  try {
    await import(pkg);
  } catch (e) {
    const msg = firstLine(e);
    if (/Cannot find (package|module)/.test(msg) && msg.includes(pkg)) {
      throw new Error(`${pkg} is not installed (its install downloads libtensorflow, which needs internet access)`);
    }
    throw new Error(`${pkg} is installed but did not load: ${msg}`);
  }
  await activate('tensorflow');
  return `${pkg} loaded`;
}

let wasmThreads = 1;

/** Threads for the WASM backend: NETSPROUT_THREADS, else one per CPU (at most 8, the module's worker pool). */
export function wantedWasmThreads(): number {
  const env = Number(process.env.NETSPROUT_THREADS);
  const n = Number.isInteger(env) && env > 0 ? env : os.availableParallelism?.() ?? os.cpus().length;
  return Math.max(1, Math.min(8, n));
}

async function tryWasm(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  const threads = wantedWasmThreads();
  let threadNote = '';
  if (threads > 1) {
    try {
      await registerThreadedWasm(threads);
      await activate('wasm');
      unrefWasmWorkers();
      wasmThreads = wasm.getThreadsCount();
      const kernelThreads = await startSimdThreads(tf.backend(), wasmThreads);
      const kernels = simdKernels(tf.backend()) ? `on ${kernelThreads} thread${kernelThreads === 1 ? '' : 's'}` : 'off (NETSPROUT_SIMD_KERNELS)';
      return `XNNPACK, threaded SIMD build, ${wasmThreads} threads; NetSprout's SIMD training kernels ${kernels}`;
    } catch (e) {
      unregisterThreadedWasm();
      threadNote = `; the threaded build did not start (${firstLine(e)})`;
    }
  }
  await activate('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  wasmThreads = wasm.getThreadsCount();
  const kernels = `; NetSprout's SIMD training kernels ${simdKernels(tf.backend()) ? 'on 1 thread' : 'off (NETSPROUT_SIMD_KERNELS)'}`;
  return `XNNPACK, ${simd ? 'SIMD' : 'plain'} build, ${wasmThreads} thread${threads > 1 ? threadNote : ' (one CPU, or NETSPROUT_THREADS=1)'}${kernels}`;
}

async function tryCpu(): Promise<string> {
  await activate('cpu');
  return 'pure JavaScript, always available (slow)';
}

const STEPS: Record<BackendName, { tfjsName: string; load: () => Promise<string> }> = {
  'tfjs-node-gpu': { tfjsName: 'tensorflow', load: () => tryNative('@tensorflow/tfjs-node-gpu') },
  'tfjs-node': { tfjsName: 'tensorflow', load: () => tryNative('@tensorflow/tfjs-node') },
  wasm: { tfjsName: 'wasm', load: tryWasm },
  cpu: { tfjsName: 'cpu', load: tryCpu },
};

export function parseBackendName(value: string, source: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new NetSproutError(
    'BACKEND_UNKNOWN',
    `Unknown compute backend "${value}" (from ${source}).`,
    `Use one of: ${BACKEND_NAMES.join(', ')}.`,
  );
}

let current: BackendChoice | null = null;

/**
 * Walks the ladder (or loads only `override`) and activates the first backend that loads.
 * The override comes from the argument, else from the NETSPROUT_BACKEND environment variable.
 * Calling it again with the same request returns the cached choice.
 */
export async function initBackend(override?: string): Promise<BackendChoice> {
  const requested = override ?? process.env.NETSPROUT_BACKEND ?? '';
  const wanted = requested ? parseBackendName(requested, override ? '--backend' : 'NETSPROUT_BACKEND') : null;
  if (current && (!wanted || current.chosen === wanted)) return current;
  const statuses: BackendStatus[] = [];
  let chosen: BackendName | null = null;
  for (const name of BACKEND_NAMES) {
    if (chosen) {
      statuses.push(
        name === 'cpu'
          ? { name, available: true, reason: `pure JavaScript, always available; not used because ${chosen} was chosen first` }
          : { name, available: false, reason: `not tried: ${chosen} was chosen first` },
      );
      continue;
    }
    if (wanted && name !== wanted) {
      statuses.push({ name, available: false, reason: `not tried: ${wanted} was requested` });
      continue;
    }
    try {
      const reason = await STEPS[name].load();
      statuses.push({ name, available: true, reason });
      chosen = name;
    } catch (e) {
      statuses.push({ name, available: false, reason: firstLine(e) });
    }
  }
  if (!chosen) {
    const why = statuses.find((s) => s.name === wanted)?.reason ?? 'no backend loaded';
    throw new NetSproutError('BACKEND_UNAVAILABLE', `The ${wanted ?? 'requested'} backend cannot run here: ${why}.`, `Leave the backend unset to let NetSprout pick one that works.`);
  }
  current = {
    chosen,
    tfjsName: STEPS[chosen].tfjsName,
    threads: chosen === 'wasm' ? wasmThreads : chosen === 'cpu' ? 1 : os.cpus().length,
    backends: statuses,
  };
  return current;
}

/** Switches to another backend in the same process (used by tests and benchmarks to compare backends). */
export async function useBackend(name: BackendName): Promise<BackendChoice> {
  current = null;
  return initBackend(name);
}
