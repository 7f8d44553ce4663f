/**
 * The threaded SIMD build of TensorFlow.js's WASM backend under Node.js.
 *
 * tfjs-backend-wasm 4.22 never uses its threaded build in Node (its feature test returns false under Node,
 * tfjs#3830): in the browser it hands Emscripten a Blob URL for the pthread worker script, which Node's
 * worker_threads cannot load. The Emscripten build itself supports Node workers, so NetSprout instantiates that
 * build with file paths instead: the worker script (shipped inside the package as a string) is written once to a
 * file in the temporary folder, and the backend is registered as 'wasm' over the package's own registration, so
 * every WASM kernel, including NetSprout's training kernels, runs on it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);

interface EmscriptenModule {
  cwrap: (name: string, ret: string | null, args: string[]) => (...a: number[]) => number;
  tfjs?: unknown;
  PThread?: { runningWorkers: Array<{ unref(): void }>; unusedWorkers: Array<{ unref(): void }> };
}

let threadedModule: EmscriptenModule | null = null;

/**
 * XNNPACK's pool threads wait for work forever and their Node workers hold the event loop open; unref them so a
 * finished CLI command or test exits. Call after the backend is active (the pool starts with the backend).
 */
export function unrefWasmWorkers(): void {
  const pt = threadedModule?.PThread;
  if (!pt) return;
  for (const w of [...pt.runningWorkers, ...pt.unusedWorkers]) w.unref();
}

type Factory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

function workerScriptPath(wasmOut: string): string {
  const { wasmWorkerContents: raw } = require(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The package keeps the script in a template literal, which turned its "\n" escapes into newlines; restore them.
  const wasmWorkerContents = raw.replace(/\n/g, '\\n');
  const version = (require('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
  const file = path.join(os.tmpdir(), `netsprout-tfjs-wasm-${version}-${process.getuid?.() ?? 'user'}.worker.cjs`);
  if (!existsSync(file) || readFileSync(file, 'utf8') !== wasmWorkerContents) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, wasmWorkerContents);
    renameSync(tmp, file);
  }
  return file;
}

/** Instantiates the threaded SIMD module and registers it as the 'wasm' backend with `threads` threads. */
export async function registerThreadedWasm(threads: number): Promise<void> {
  if (typeof SharedArrayBuffer === 'undefined') throw new Error('SharedArrayBuffer is not available');
  const wasmOut = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'));
  const mainScript = path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');
  const factory = require(mainScript) as Factory;
  const worker = workerScriptPath(wasmOut);
  // The module sizes XNNPACK's thread pool once, at start-up, to half of os.cpus().length (it assumes two
  // hyper-threads per core) and never above that; NetSprout asks for `threads`, so it reports 2·threads CPUs
  // while the module starts, and restores os.cpus right after.
  const cpus = os.cpus;
  const reported = Array.from({ length: 2 * threads }, (_, i) => cpus()[i % cpus().length]);
  let module: EmscriptenModule;
  os.cpus = () => reported;
  try {
    module = await factory({
      locateFile: (file: string) => (file.endsWith('.worker.js') ? worker : path.join(wasmOut, file)),
      mainScriptUrlOrBlob: mainScript,
    });
  } finally {
    os.cpus = cpus;
  }
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  threadedModule = module;
  setThreadsCount(threads);
  const packageFactory = tf.findBackendFactory('wasm');
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => new BackendWasm(module as never), 2);
  restorePackageBackend = () => {
    tf.removeBackend('wasm');
    if (packageFactory) tf.registerBackend('wasm', packageFactory, 2);
  };
}

let restorePackageBackend: (() => void) | null = null;

/** Puts the package's own (single-threaded) 'wasm' registration back, after a failed threaded start. */
export function unregisterThreadedWasm(): void {
  restorePackageBackend?.();
  restorePackageBackend = null;
}
