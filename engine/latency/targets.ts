/**
 * Target devices: where the exported model will run. Built in: `cpu` (this computer, ONNX Runtime on the CPU, the
 * usual deployment), `gpu` (this computer's GPU through TF.js's CUDA backend, when it loads) and `browser` (TF.js
 * WASM, as a web page runs it). Any other value names a device profile file made with `netsprout profile` (on
 * this machine or another one).
 *
 * A built-in target needs a device profile of this machine. It is made on demand by a short profiling run and kept in
 * the user's cache folder (NETSPROUT_CACHE_DIR, else the platform's), under a key made of the machine (CPU, cores,
 * memory, GPUs, OS), the runtime (library, version, backend, threads), the engine version and the architectures
 * profiled, so the next job on the same machine reuses it. A cached profile made in much less time than asked for
 * is made again (a 16-hour job deserves a better profile than a 10-minute one made before it).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { cacheRoot } from '../data/images/decodedCache.js';
import { NetSproutError } from '../errors.js';
import { defaultProtocol, openRuntime, type LatencyRuntime, type RuntimeName } from '../hardware/latencyProtocol.js';
import { machineProfile, type MachineProfile } from '../hardware/machineProfile.js';
import type { Graph } from '../graph/types.js';
import { DEFAULT_SEARCH_SPACE, type SearchSpace } from './architectureSampler.js';
import { buildProfile, readProfile, writeProfile, type LoadedProfile, type ProfileProgress } from './deviceProfile.js';

export const BUILT_IN_TARGETS = ['cpu', 'gpu', 'browser'] as const;
export type BuiltInTarget = (typeof BUILT_IN_TARGETS)[number];

export interface BuiltInTargetInfo {
  name: BuiltInTarget;
  description: string;
  runtime: RuntimeName;
  /** The TF.js backend (TF.js runtimes only). */
  backend?: string;
  /** ONNX Runtime intra-op threads (the profile command's default: one, the most repeatable). */
  threads?: number;
}

export const BUILT_IN_TARGET_INFO: Record<BuiltInTarget, BuiltInTargetInfo> = {
  cpu: { name: 'cpu', description: 'this computer, CPU (ONNX Runtime, one thread)', runtime: 'onnx', threads: 1 },
  gpu: { name: 'gpu', description: "this computer's GPU (TensorFlow.js, CUDA backend)", runtime: 'tfjs', backend: 'tfjs-node-gpu' },
  browser: { name: 'browser', description: 'a web browser (TensorFlow.js WASM backend, as measured here)', runtime: 'tfjs', backend: 'wasm' },
};

export function isBuiltInTarget(value: string): value is BuiltInTarget {
  return (BUILT_IN_TARGETS as readonly string[]).includes(value);
}

export interface ResolvedTarget {
  /** As given: a built-in name or the profile file. */
  target: string;
  builtIn: boolean;
  description: string;
  loaded: LoadedProfile;
  /** Where the profile came from: the cache, made now (and cached), or a file given by the user. */
  source: 'cache' | 'profiled' | 'file';
  /** The profile file read (the cache file for built-in targets). */
  file: string;
  cacheKey?: string;
}

export interface ResolveTargetOptions {
  engineVersion: string;
  /** Seconds for a profiling run when one is needed. */
  profileSeconds: number;
  /** The architectures to profile (by default the search space's image networks). */
  searchSpace?: SearchSpace;
  seed?: number;
  onProgress?: (p: ProfileProgress) => void;
  /** Pause or cancel, while profiling (engine/stopSignal.ts). */
  signal?: AbortSignal;
}

/** What identifies this machine for a cached profile. */
export function machineFingerprint(m: MachineProfile): Record<string, unknown> {
  return {
    cpu: [m.cpu.manufacturer, m.cpu.brand, m.cpu.model, m.cpu.cores, m.cpu.physicalCores],
    memoryGB: Math.round(m.memoryBytes / 2 ** 30),
    gpus: m.gpus.map((g) => `${g.vendor} ${g.model}`),
    os: [m.os.platform, m.os.arch],
  };
}

export function profileCacheFile(target: BuiltInTarget, key: string): string {
  return path.join(cacheRoot(), 'profiles', `${target}-${key}.json`);
}

/** Opens the runtime of a built-in target, or says clearly why it cannot run here. */
export async function openTargetRuntime(name: BuiltInTarget): Promise<LatencyRuntime> {
  const info = BUILT_IN_TARGET_INFO[name];
  try {
    return await openRuntime(info.runtime, { threads: info.threads, backend: info.backend });
  } catch (e) {
    if (name === 'gpu') {
      const why = e instanceof Error ? e.message : String(e);
      throw new NetSproutError(
        'TARGET_UNAVAILABLE',
        `The target "gpu" needs a GPU backend of TensorFlow.js, and none loads here: ${why.replace(/\.$/, '')}.`,
        'Choose --target cpu or --target browser; or run on a machine with an NVIDIA GPU and CUDA where @tensorflow/tfjs-node-gpu is installed.',
      );
    }
    throw e;
  }
}

export async function resolveTarget(target: string, opts: ResolveTargetOptions): Promise<ResolvedTarget> {
  if (!isBuiltInTarget(target)) {
    if (!existsSync(target)) {
      throw new NetSproutError(
        'TARGET_UNKNOWN',
        `"${target}" is neither a built-in target nor a device profile file.`,
        `Use ${BUILT_IN_TARGETS.join(', ')} (this computer's CPU or GPU, a browser), or the path of a file made with \`netsprout profile --out device.json\`.`,
        [target],
      );
    }
    const loaded = await readProfile(target);
    return { target, builtIn: false, description: `the device profiled in ${path.basename(target)}`, loaded, source: 'file', file: path.resolve(target) };
  }
  const info = BUILT_IN_TARGET_INFO[target];
  const runtime = await openTargetRuntime(target);
  const machine = await machineProfile({ backends: false, onnx: false });
  const space = opts.searchSpace ?? DEFAULT_SEARCH_SPACE;
  const { settings: _settings, ...runtimeKey } = runtime.info;
  // The latency statistic too (a profile that learned medians is not reused for one that learns 10th percentiles),
  // and how many architectures were measured together.
  const { statistic, interleave } = defaultProtocol();
  const key = createHash('sha256')
    .update(JSON.stringify({ machine: machineFingerprint(machine), runtime: runtimeKey, engine: opts.engineVersion, space, statistic, interleave }))
    .digest('hex')
    .slice(0, 20);
  const file = profileCacheFile(target, key);
  if (existsSync(file)) {
    try {
      const loaded = await readProfile(file);
      if (loaded.profile.seconds >= 0.5 * opts.profileSeconds) {
        // A cached profile of an older version is refitted once and kept as refitted (the cache is NetSprout's own).
        if (loaded.upgradedFrom !== undefined) {
          const tmp = `${file}.${process.pid}.tmp`;
          await writeProfile(tmp, loaded.profile);
          await rename(tmp, file);
        }
        return { target, builtIn: true, description: info.description, loaded, source: 'cache', file, cacheKey: key };
      }
    } catch {
      // A damaged cache file is made again.
    }
  }
  const profile = await buildProfile({
    runtime: info.runtime,
    threads: info.threads,
    backend: info.backend,
    samples: 2000,
    seconds: opts.profileSeconds,
    minSamples: 12,
    // Batch 1 only: what the predictors learn and the limits are about (twice the architectures in the time).
    protocol: { batchSizes: [1] },
    seed: opts.seed ?? 0,
    searchSpace: space,
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeProfile(tmp, profile);
  await rename(tmp, file);
  return { target, builtIn: true, description: info.description, loaded: await readProfile(file), source: 'profiled', file, cacheKey: key };
}

/**
 * The search space to profile for a job: the seed networks on the job's own input shape when it is an image (for
 * tables and text, the job's own seed network `seed`), grown by
 * the morphisms and shrunk by the shrinking operators the multi-objective search uses (narrow layers, separable
 * convolutions, removed layers and skips), so the predictor has seen the small, fast networks it will be asked about.
 */
export function searchSpaceFor(inputShape: number[], classes: number, seed?: Graph): SearchSpace {
  const morphWeights = { ...DEFAULT_SEARCH_SPACE.morphWeights, narrow: 1.5, sepconv: 1, 'remove-layer': 0.5, 'remove-input': 0.5 };
  if (inputShape.length === 3) return { ...DEFAULT_SEARCH_SPACE, inputShapes: [[...inputShape]], classes, morphWeights };
  // Tables and text: the job's own seed network (an MLP, a text CNN) at random widths, grown and shrunk.
  if (seed) return { ...DEFAULT_SEARCH_SPACE, seedGraphs: [seed], inputShapes: [[...inputShape]], classes, morphWeights };
  return DEFAULT_SEARCH_SPACE;
}

/** Whether a profile was measured on this machine (so that its latencies can be checked here). */
export function profiledHere(profile: LoadedProfile['profile'], here: MachineProfile): boolean {
  const there = profile.machine;
  return here.cpu.brand === there.cpu.brand && here.cpu.cores === there.cpu.cores && here.os.arch === there.os.arch && here.os.platform === there.os.platform;
}
