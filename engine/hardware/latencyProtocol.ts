/**
 * A latency measurement protocol that others can repeat, and the runtimes it measures in.
 *
 * For every batch size of the protocol (batch 1 and one chosen batch size), separately:
 *  1. garbage collection, then a fresh session (ONNX Runtime) or a freshly built model (TF.js): nothing is shared
 *     with the previous measurement;
 *  2. warm-up: at least `warmupRuns` runs and at least `warmupMs` of running;
 *  3. timed runs, each from feeding the input to having the output's values in JavaScript (the read-back is
 *     inside the timed region): at least `minRuns` runs and at least `minTimedMs` in all, at most `maxRuns`;
 *  4. the median, the 10th/90th percentiles and the interquartile range of the timed runs; the latency is the
 *     protocol's `statistic` of them (by default the 10th percentile: see LatencyStatistic);
 *  5. the process's resident memory before the session and its peak while running (sampled outside the timed
 *     region), and for TF.js the peak bytes of tensors during one extra, untimed run;
 *  6. the session is released (and collected by the next measurement's garbage collection).
 * The number of threads is fixed (ONNX Runtime: intra-op threads, one inter-op thread, sequential execution;
 * TF.js: the backend's thread count) and recorded with every measurement.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { NetSproutError } from '../errors.js';
import { throwIfStopped } from '../stopSignal.js';
import type { Graph } from '../graph/types.js';
import { summariseTimes, type TimingSummary } from './latencyStatistics.js';
import { initialWeights, onnxBytesFor, randomInput, type WeightsById } from './measuredModel.js';

export const RUNTIME_NAMES = ['onnx', 'tfjs'] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];

/**
 * Which figure of a session's timed runs is its latency. `p10`, the 10th percentile: the network's own speed on the
 * machine, without the runs slowed by other processes (a virtual machine's neighbours, the desktop, the garbage
 * collector), which only lengthen runs. On this project's 2-core AMD EPYC VM, 40 architectures each measured in three
 * passes a minute apart: the median over three sessions of their 10th percentiles agreed with itself within ±10%
 * for 98% of pairs of passes (the deviation from the architecture's own median at the 90th percentile: 2.0%), the
 * median of their medians for 85% (6.9%). `median` is what profiles made before the statistic was recorded learned
 * (a protocol without `statistic` means it). The median and spread are recorded either way.
 */
export const LATENCY_STATISTICS = ['p10', 'median'] as const;
export type LatencyStatistic = (typeof LATENCY_STATISTICS)[number];

export interface LatencyProtocol {
  warmupRuns: number;
  warmupMs: number;
  minRuns: number;
  maxRuns: number;
  minTimedMs: number;
  /** Batch 1 first; the latency that predictors learn is batch 1's, per input. */
  batchSizes: number[];
  threads: number;
  /**
   * Batch 1 is measured in this many separate sessions and its latency is the median of theirs: on a virtual
   * machine a fresh session can land in a slower state (memory placement) for all its runs.
   */
  sessions: number;
  /** The figure of a session's runs that is its latency; absent (profiles made before it was recorded): `median`. */
  statistic?: LatencyStatistic;
  /**
   * A profile measures this many architectures together, batch 1's sessions in turn (measureLatencies), so that an
   * architecture's sessions are about a second apart; absent (profiles made before it was recorded): one at a time,
   * its sessions back to back. One model measured alone (a front, `latency --measure`) has its sessions back to back.
   */
  interleave?: number;
  /** Spelled out in the profile so that a reader need not look at the code. */
  description: string;
}

export const PROTOCOL_DESCRIPTION =
  'Per batch size (batch 1 in `sessions` separate sessions, its latency the median of theirs; a profile measures `interleave` architectures together, taking their batch-1 sessions in turn so that each architecture\'s sessions are about a second apart): garbage collection, a fresh session/model, warm-up (at least warmupRuns runs and warmupMs), then timed runs each including the read-back of the output (at least minRuns and minTimedMs, at most maxRuns); the session\'s latency is the `statistic` of its timed runs (p10: the 10th percentile; median), with the median, p10/p90 and IQR recorded; resident memory peak sampled outside the timed region; session released after.';

export function defaultProtocol(overrides: Partial<LatencyProtocol> = {}): LatencyProtocol {
  return { warmupRuns: 10, warmupMs: 50, minRuns: 25, maxRuns: 400, minTimedMs: 100, batchSizes: [1, 8], threads: 1, sessions: 3, statistic: 'p10', interleave: 6, description: PROTOCOL_DESCRIPTION, ...overrides };
}

/** A session's latency by the protocol's statistic. */
export function sessionLatencyMs(t: Pick<TimingSummary, 'medianMs' | 'p10Ms'>, statistic: LatencyStatistic | undefined): number {
  return (statistic ?? 'median') === 'p10' ? t.p10Ms : t.medianMs;
}

export interface RuntimeInfo {
  name: RuntimeName;
  library: string;
  version: string;
  /** ONNX Runtime's execution provider, or the TF.js backend. */
  backend: string;
  threads: number;
  settings: Record<string, string | number | boolean>;
}

export interface BatchMeasurement extends TimingSummary {
  batchSize: number;
  warmupRuns: number;
  /** The latency by the protocol's statistic (batch 1: the median over its sessions). */
  latencyMs: number;
  /** The statistic `latencyMs` is. */
  statistic: LatencyStatistic;
  /** The latency divided by the batch size. */
  perInputMs: number;
  rssBeforeBytes: number;
  /** Peak resident memory while the session ran, minus the memory before it was made. */
  peakRssDeltaBytes: number;
  /** TF.js only: the peak bytes of tensors during one untimed run. */
  peakTensorBytes?: number;
  /** Batch 1: the median of each separate session (the run statistics above are those of the middle one). */
  sessionMediansMs?: number[];
  /** Batch 1: the latency of each separate session, by the protocol's statistic. */
  sessionLatenciesMs?: number[];
}

export interface LatencyMeasurement {
  runtime: RuntimeInfo;
  batches: BatchMeasurement[];
  /** Batch 1's latency per input (the protocol's statistic), the figure predictors learn. */
  batch1Ms: number;
  gcBetween: boolean;
}

export interface ModelToMeasure {
  graph: Graph;
  /** Fresh Keras-default weights (seed 0) when not given. */
  weights?: WeightsById;
}

/** A model ready to run one batch again and again. */
export interface PreparedRun {
  run(): Promise<void>;
  peakTensorBytes?(): Promise<number | undefined>;
  release(): Promise<void>;
}

export interface LatencyRuntime {
  info: RuntimeInfo;
  prepare(model: ModelToMeasure, batch: number): Promise<PreparedRun>;
}

let gcFunction: (() => void) | null | undefined;

function gcFunctionOf(): (() => void) | null {
  if (gcFunction === undefined) {
    gcFunction = (globalThis as { gc?: () => void }).gc ?? null;
    if (!gcFunction) {
      try {
        v8.setFlagsFromString('--expose-gc');
        gcFunction = vm.runInNewContext('gc') as () => void;
      } catch {
        gcFunction = null;
      }
    }
  }
  return gcFunction;
}

/** Runs V8's garbage collector (exposing it at run time when node was not started with --expose-gc). */
export function collectGarbage(): boolean {
  const gc = gcFunctionOf();
  gc?.();
  return gc !== null;
}

function unavailable(name: RuntimeName, e: unknown): NetSproutError {
  const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return new NetSproutError(
    'RUNTIME_UNAVAILABLE',
    `The ${name === 'onnx' ? 'ONNX Runtime (onnxruntime-node)' : 'TensorFlow.js'} runtime cannot run here: ${why}.`,
    name === 'onnx' ? 'Reinstall with `npm install` (onnxruntime-node ships a native library per platform), or profile with --runtime tfjs.' : 'Run `netsprout backends` to see which TF.js backends load here.',
  );
}

export function parseRuntimeName(value: string): RuntimeName {
  if ((RUNTIME_NAMES as readonly string[]).includes(value)) return value as RuntimeName;
  throw new NetSproutError('RUNTIME_UNKNOWN', `Unknown runtime "${value}".`, `Use one of: ${RUNTIME_NAMES.join(', ')} (onnx: ONNX Runtime on the CPU; tfjs: the engine's TensorFlow.js backend).`);
}

/** An ONNX Runtime CPU session of `bytes` fed one input; each run reads its output back (part of the timed work). */
async function onnxSessionRun(ort: typeof import('onnxruntime-node'), bytes: Uint8Array, settings: object, data: Float32Array | Int32Array, shape: number[]): Promise<PreparedRun> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], ...settings });
  const feeds = { [session.inputNames[0]]: data instanceof Int32Array ? new ort.Tensor('int32', data, shape) : new ort.Tensor('float32', data, shape) };
  const outName = session.outputNames[0];
  let sink = 0;
  return {
    async run() {
      const out = await session.run(feeds);
      const d = out[outName].data as Float32Array;
      sink += d[0] + d[d.length - 1];
    },
    async release() {
      await session.release();
      if (Number.isNaN(sink)) sink = 0;
    },
  };
}

async function onnxRuntime(threads: number): Promise<LatencyRuntime> {
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    throw unavailable('onnx', e);
  }
  const settings = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' } as const;
  return {
    info: { name: 'onnx', library: 'onnxruntime-node', version: ort.env.versions?.common ?? 'unknown', backend: 'cpu', threads, settings: { ...settings } },
    async prepare(model, batch) {
      const x = randomInput(model.graph, batch);
      return onnxSessionRun(ort, onnxBytesFor(model.graph, model.weights ?? initialWeights(model.graph)), settings, x.data, x.shape);
    },
  };
}

async function tfjsRuntime(threads: number | undefined, backend: string | undefined): Promise<LatencyRuntime> {
  if (threads !== undefined && process.env.NETSPROUT_THREADS === undefined) process.env.NETSPROUT_THREADS = String(threads);
  let tf: typeof import('@tensorflow/tfjs-core');
  let choice: Awaited<ReturnType<typeof import('../backend/ladder.js').initBackend>>;
  let GraphModelClass: typeof import('../train/graphModel.js').GraphModel;
  let stock: typeof import('../backend/wasmKernels/simdKernels.js').withStockWasmKernels;
  try {
    const ladder = await import('../backend/ladder.js');
    choice = await ladder.initBackend(backend);
    tf = await import('@tensorflow/tfjs-core');
    GraphModelClass = (await import('../train/graphModel.js')).GraphModel;
    stock = (await import('../backend/wasmKernels/simdKernels.js')).withStockWasmKernels;
  } catch (e) {
    if (e instanceof NetSproutError) throw e;
    throw unavailable('tfjs', e);
  }
  const flags: Record<string, string | number | boolean> = {};
  for (const f of ['WASM_HAS_SIMD_SUPPORT', 'WASM_HAS_MULTITHREAD_SUPPORT']) {
    try {
      if (choice.chosen === 'wasm') flags[f] = Boolean(await tf.env().getAsync(f));
    } catch {
      /* a flag this build does not know */
    }
  }
  // A TF.js model is deployed on stock TensorFlow.js (a web page, tfjs-node): NetSprout's own WASM kernels, which
  // speed up training here, are off while it is measured.
  if (choice.chosen === 'wasm') flags.netsproutSimdKernels = false;
  const asDeployed = <T>(f: () => Promise<T>) => (choice.chosen === 'wasm' ? stock(f) : f());
  return {
    info: { name: 'tfjs', library: '@tensorflow/tfjs-core', version: tf.version_core, backend: choice.chosen, threads: choice.threads, settings: flags },
    async prepare(model, batch) {
      const net = GraphModelClass.withWeights(model.graph, model.weights ?? initialWeights(model.graph));
      const xi = randomInput(model.graph, batch);
      const x = xi.data instanceof Int32Array ? tf.tensor(xi.data, xi.shape, 'int32') : tf.tensor(xi.data, xi.shape, 'float32');
      let sink = 0;
      return {
        async run() {
          const data = await asDeployed(async () => {
            const y = net.predict(x);
            const out = (await y.data()) as Float32Array;
            // A network that passes its input through returns the input tensor itself.
            if (y !== x) y.dispose();
            return out;
          });
          sink += data[0];
        },
        async peakTensorBytes() {
          try {
            const info = await tf.profile(() =>
              asDeployed(async () => {
                const y = net.predict(x);
                await y.data();
                if (y !== x) y.dispose();
              }),
            );
            return info.peakBytes;
          } catch {
            return undefined;
          }
        },
        async release() {
          net.dispose();
          x.dispose();
          if (Number.isNaN(sink)) sink = 0;
        },
      };
    },
  };
}

/**
 * ONNX Runtime on the CPU for a model already written as ONNX (an exported model, whose input is raw data): the
 * same session settings as the `onnx` runtime, fed with the given batch-1 input (repeated for larger batches).
 * The model to measure that the protocol passes in is ignored: the bytes are the model.
 */
export async function onnxBytesRuntime(bytes: Uint8Array, input: { data: Float32Array | Int32Array; shape: number[] }, threads = 1): Promise<LatencyRuntime> {
  const base = await onnxRuntime(threads);
  const ort = await import('onnxruntime-node');
  const settings = base.info.settings as Record<string, string | number>;
  return {
    info: base.info,
    async prepare(_model, batch) {
      const per = input.data.length / Math.max(1, input.shape[0]);
      const one = input.data.subarray(0, per);
      const data = input.data instanceof Int32Array ? new Int32Array(per * batch) : new Float32Array(per * batch);
      for (let b = 0; b < batch; b++) data.set(one as never, b * per);
      return onnxSessionRun(ort, bytes, settings, data, [batch, ...input.shape.slice(1)]);
    },
  };
}

/** Measures an ONNX model given as bytes (see onnxBytesRuntime) with the protocol, at its batch sizes. */
export async function measureOnnxBytes(bytes: Uint8Array, input: { data: Float32Array | Int32Array; shape: number[] }, protocol: LatencyProtocol): Promise<LatencyMeasurement> {
  const runtime = await onnxBytesRuntime(bytes, input, protocol.threads);
  // The runtime carries its model; the graph handed to the protocol is never read.
  return measureLatency(runtime, { graph: { layers: [], output: '' } as unknown as Graph }, protocol);
}

/** The runtime to measure in. ONNX Runtime runs on the CPU with `threads` intra-op threads (default 1). */
export async function openRuntime(name: RuntimeName, opts: { threads?: number; backend?: string } = {}): Promise<LatencyRuntime> {
  return name === 'onnx' ? onnxRuntime(opts.threads ?? 1) : tfjsRuntime(opts.threads, opts.backend);
}

const rss = () => process.memoryUsage.rss();

/** `signal` (pause or cancel) is checked between runs: a stopped measurement throws the stop error (engine/stopSignal.ts). */
export async function measureBatch(runtime: LatencyRuntime, model: ModelToMeasure, batch: number, protocol: LatencyProtocol, signal?: AbortSignal): Promise<BatchMeasurement> {
  throwIfStopped(signal, 'measuring latency');
  collectGarbage();
  const rssBeforeBytes = rss();
  const prepared = await runtime.prepare(model, batch);
  try {
    let peak = rss();
    let warmupRuns = 0;
    const warmStart = performance.now();
    while (warmupRuns < protocol.warmupRuns || (performance.now() - warmStart < protocol.warmupMs && warmupRuns < protocol.maxRuns)) {
      throwIfStopped(signal, 'measuring latency');
      await prepared.run();
      warmupRuns++;
    }
    peak = Math.max(peak, rss());
    const times: number[] = [];
    const start = performance.now();
    while (times.length < protocol.minRuns || (performance.now() - start < protocol.minTimedMs && times.length < protocol.maxRuns)) {
      throwIfStopped(signal, 'measuring latency');
      const t = performance.now();
      await prepared.run();
      times.push(performance.now() - t);
      if (times.length % 8 === 0) peak = Math.max(peak, rss());
    }
    peak = Math.max(peak, rss());
    const summary = summariseTimes(times);
    const peakTensorBytes = prepared.peakTensorBytes ? await prepared.peakTensorBytes() : undefined;
    const statistic = protocol.statistic ?? 'median';
    const latencyMs = sessionLatencyMs(summary, statistic);
    return {
      batchSize: batch,
      warmupRuns,
      ...summary,
      latencyMs,
      statistic,
      perInputMs: latencyMs / batch,
      rssBeforeBytes,
      peakRssDeltaBytes: Math.max(0, peak - rssBeforeBytes),
      ...(peakTensorBytes !== undefined ? { peakTensorBytes } : {}),
    };
  } finally {
    await prepared.release();
  }
}

/** Measures a model at every batch size of the protocol, each measurement isolated from the last; `signal` stops it between runs. */
export async function measureLatency(runtime: LatencyRuntime, model: ModelToMeasure, protocol: LatencyProtocol, signal?: AbortSignal): Promise<LatencyMeasurement> {
  return (await measureLatencies(runtime, [model], protocol, { signal }))[0].measurement;
}

/** When a session ran (performance.now(), ms). */
export interface SessionSpan {
  startMs: number;
  endMs: number;
}

export interface InterleavedMeasurement {
  measurement: LatencyMeasurement;
  /** When each of batch 1's sessions ran, in order. */
  sessions: SessionSpan[];
}

/**
 * Measures several models by the protocol, batch 1's sessions in turn: the first session of every model, then the
 * second of every model, and so on; then the other batch sizes, one model after another. A model's sessions are
 * then as far apart as the others' sessions take (about a second for six architectures), so a disturbance of a
 * second or so (another process taking the CPU) slows one of them and the median over the sessions leaves it out;
 * back to back, all of them would run slow together. With one model this is the protocol as written.
 * `afterSession` runs after every session (a profile reads its reference network there when due).
 */
export async function measureLatencies(
  runtime: LatencyRuntime,
  models: readonly ModelToMeasure[],
  protocol: LatencyProtocol,
  opts: { signal?: AbortSignal; afterSession?: () => Promise<void> } = {},
): Promise<InterleavedMeasurement[]> {
  const batches: BatchMeasurement[][] = models.map(() => []);
  const spans: SessionSpan[][] = models.map(() => []);
  const spanned = protocol.batchSizes.includes(1) ? 1 : protocol.batchSizes[0];
  for (const b of protocol.batchSizes) {
    const sessions = b === 1 ? Math.max(1, protocol.sessions ?? 1) : 1;
    const runs: BatchMeasurement[][] = models.map(() => []);
    for (let k = 0; k < sessions; k++) {
      for (const [i, model] of models.entries()) {
        const startMs = performance.now();
        runs[i].push(await measureBatch(runtime, model, b, protocol, opts.signal));
        if (b === spanned) spans[i].push({ startMs, endMs: performance.now() });
        await opts.afterSession?.();
      }
    }
    runs.forEach((r, i) => batches[i].push(combineSessions(r)));
  }
  return batches.map((bs, i) => {
    const one = bs.find((m) => m.batchSize === 1) ?? bs[0];
    return { measurement: { runtime: runtime.info, batches: bs, batch1Ms: one.perInputMs, gcBetween: gcFunctionOf() !== null }, sessions: spans[i] };
  });
}

/** One batch size's measurement from its sessions: the middle one by latency, with every session's figures beside it. */
function combineSessions(runs: BatchMeasurement[]): BatchMeasurement {
  if (runs.length === 1) return runs[0];
  const sorted = [...runs].sort((x, y) => x.latencyMs - y.latencyMs);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)], sessionMediansMs: runs.map((r) => r.medianMs), sessionLatenciesMs: runs.map((r) => r.latencyMs) };
}
