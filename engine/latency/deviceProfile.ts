/**
 * A device profile: architectures sampled from the search space and measured on one machine and runtime with a
 * fixed protocol, the latency predictors fitted on them, each predictor's accuracy on architectures held out from
 * fitting, and the predictor chosen for its held-out accuracy. One portable JSON file: made with
 * `netsprout profile` on the target device, read anywhere to predict latency there.
 *
 * The predictors stored are exactly the ones evaluated (fitted on the fitting split), so predicting the held-out
 * samples from the file reproduces the figures it reports.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { NetSproutError } from '../errors.js';
import { throwIfStopped } from '../stopSignal.js';
import { graphFromJSON } from '../graph/serialize.js';
import { topologicalOrder } from '../graph/topology.js';
import type { Graph } from '../graph/types.js';
import { defaultProtocol, LATENCY_STATISTICS, measureLatencies, openRuntime, type InterleavedMeasurement, type LatencyMeasurement, type LatencyProtocol, type LatencyRuntime, type RuntimeInfo, type RuntimeName } from '../hardware/latencyProtocol.js';
import { quantileSorted } from '../hardware/latencyStatistics.js';
import { machineProfile, type MachineProfile } from '../hardware/machineProfile.js';
import { SPEED_WINDOW_SECONDS, SpeedReference, speedFactor, type SpeedReferenceRecord } from '../hardware/speedReference.js';
import { smallCnn } from '../graph/presets.js';
import { makeRandom } from '../train/seededRandom.js';
import { predictorAccuracy, type PredictorAccuracy } from './accuracyMetrics.js';
import { describeArchitecture, type ArchitectureDescription, type FeatureOptions } from './architectureFeatures.js';
import { nchwcBlockSize } from './nchwcLayout.js';
import { DEFAULT_SEARCH_SPACE, sampleArchitecture, type SampledArchitecture, type SearchSpace } from './architectureSampler.js';
import { PREDICTOR_NAMES, type LatencyObservation, type LatencyPredictor, type LayerTimes, type PredictorName } from './latencyPredictor.js';
import { measureLayerTimes, type LayerToMeasure } from './layerTimes.js';
import { createPredictor, loadPredictor } from './predictorRegistry.js';

export const PROFILE_FORMAT = 'netsprout-device-profile';
/**
 * 2: architectures are described with their runtime's blocked layout (`features`); 3: and with convolutions'
 * multiply-accumulates by map size, input channels and weight size. An older file is refitted on reading.
 */
export const PROFILE_VERSION = 3;

export interface ProfileSample {
  id: number;
  hash: string;
  split: 'fit' | 'heldOut';
  origin: SampledArchitecture['origin'];
  graph: Graph;
  /** Batch 1's latency in ms (the protocol's statistic, brought to the machine's typical speed): what the predictors learn. */
  ms: number;
  measurement: Omit<LatencyMeasurement, 'runtime'>;
  /** Measured with the shortened protocol (one session, short runs) to reach the minimum number of samples in time. */
  shortened?: true;
  /** The measured batch-1 latency (ms) before the speed correction (engine/hardware/speedReference.ts); `ms` is it divided by speedFactor. */
  measuredMs?: number;
  /** The machine's speed factor while this sample was measured (above 1: running slow). */
  speedFactor?: number;
  /** How many times the architecture was measured again because the reference showed the machine disturbed (SpeedReference.disturbed). */
  remeasured?: number;
}

export interface ProfilePredictor {
  name: PredictorName;
  heldOut: PredictorAccuracy;
  fitSeconds: number;
  params: unknown;
}

export interface DeviceProfileFile {
  format: typeof PROFILE_FORMAT;
  version: typeof PROFILE_VERSION;
  createdAt: string;
  machine: MachineProfile;
  runtime: RuntimeInfo;
  protocol: LatencyProtocol;
  layerProtocol: LatencyProtocol;
  searchSpace: SearchSpace;
  seed: number;
  /** Wall-clock seconds the profiling took, from start to fitted predictors. */
  seconds: number;
  samples: ProfileSample[];
  /** The reference network that brought the samples to the machine's typical speed (absent: raw measurements). */
  speedReference?: SpeedReferenceRecord;
  layerTimes: LayerTimes;
  /** How the predictors describe an architecture on this device. */
  features: FeatureOptions;
  predictors: ProfilePredictor[];
  chosen: PredictorName;
}

/** The description options of a runtime on a machine: ONNX Runtime's CPU provider blocks channels on x86-64. */
export function featureOptionsFor(runtime: Pick<RuntimeInfo, 'name' | 'backend'>, machine: { cpu: { simd: string[] }; os: { arch: string } }): FeatureOptions {
  return { nchwcBlock: runtime.name === 'onnx' && runtime.backend === 'cpu' ? nchwcBlockSize(machine.cpu.simd, machine.os.arch) : 0 };
}

export type ProfileProgress =
  | { type: 'machine'; machine: MachineProfile }
  | { type: 'sample'; index: number; ms: number; elapsedSeconds: number }
  | { type: 'layers'; measured: number; skipped: number; elapsedSeconds: number }
  | { type: 'fitted'; name: PredictorName; heldOut: PredictorAccuracy };

export interface ProfileOptions {
  runtime: RuntimeName;
  /** At most this many architectures. */
  samples: number;
  /** Time for the whole profile; measuring stops early enough to fit within it. */
  seconds: number;
  /**
   * A profile made on demand, which must not fail on a busy machine: past the time, measuring goes on with a shortened
   * protocol (one session, short runs: a fraction of the time per architecture) until this many architectures are
   * measured, for at most three times the time asked for, and until MIN_PROFILE_SAMPLES are, whatever the time.
   */
  minSamples?: number;
  /** Pause or cancel: checked between runs (engine/stopSignal.ts). */
  signal?: AbortSignal;
  batchSize?: number;
  threads?: number;
  backend?: string;
  seed?: number;
  heldOutFraction?: number;
  searchSpace?: SearchSpace;
  protocol?: Partial<LatencyProtocol>;
  predictors?: readonly PredictorName[];
  /**
   * Measure a reference network between the architectures' sessions (about every REFERENCE_EVERY_MS) and learn
   * latencies at the machine's typical speed (default true; engine/hardware/speedReference.ts).
   */
  speedReference?: boolean;
  /** The reference readings within this many seconds of an architecture's measurement make its speed factor (default SPEED_WINDOW_SECONDS). */
  speedWindowSeconds?: number;
  /** The reference is read after a session once this many ms have passed since its last reading (default REFERENCE_EVERY_MS), and after every group. */
  referenceEveryMs?: number;
  /** A disturbed architecture is measured again no sooner than this many ms later (default REMEASURE_AFTER_MS). */
  remeasureAfterMs?: number;
  /** Read the reference until the machine's speed settles before measuring, for at most 10% of `seconds` (default true; SpeedReference.settle). */
  settle?: boolean;
  /** The runtime to measure in, already open (default: opened from `runtime`, `threads` and `backend`). */
  openedRuntime?: LatencyRuntime;
  onProgress?: (p: ProfileProgress) => void;
}

/** The reference network of a search space: its first job seed, else the small CNN on its first input shape. */
export function referenceGraphFor(space: SearchSpace): Graph {
  return space.seedGraphs?.[0] ?? smallCnn(space.inputShapes[0], space.classes);
}

export const MIN_PROFILE_SAMPLES = 8;

/** An architecture measured while the machine was disturbed is measured again at most this many times. */
const MAX_REMEASURES = 2;
/**
 * ... and no sooner than this. At bench:latency on the AMD EPYC VM (with the very next group, about 5 s later), 4 of
 * the 12 held-out architectures predicted more than 10% off had been disturbed three times running, the machine
 * slow for longer than the ±5 s that made their speed factors (1.5–1.7).
 */
const REMEASURE_AFTER_MS = 20_000;
/**
 * How often the reference is read while architectures are measured: about as often as one reading an architecture
 * was at the pace of the AMD EPYC VM (0.6 s an architecture), where the median of the readings within ±5 s followed
 * the drift (speedReference.ts).
 */
const REFERENCE_EVERY_MS = 500;

/** Highest share within ±10%, then highest τ, then lowest MAPE. */
export function choosePredictor(predictors: Array<{ name: PredictorName; heldOut: PredictorAccuracy }>): PredictorName {
  const score = (a: PredictorAccuracy) => [Number.isNaN(a.within10) ? -1 : a.within10, Number.isNaN(a.kendallTau) ? -2 : a.kendallTau, Number.isNaN(a.mape) ? -Infinity : -a.mape];
  let best = predictors[0];
  for (const p of predictors.slice(1)) {
    const a = score(p.heldOut);
    const b = score(best.heldOut);
    const better = a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];
    if (better) best = p;
  }
  return best.name;
}

/** Held-out indices: a seeded shuffle of `fraction` of them, at least two, always leaving at least two to fit. */
export function heldOutSplit(n: number, fraction: number, seed: number): Set<number> {
  const order = makeRandom(seed + 101).shuffle(Array.from({ length: n }, (_, i) => i)) as number[];
  const k = Math.min(n - 2, Math.max(2, Math.round(n * fraction)));
  return new Set(order.slice(0, k));
}

function observation(s: { graph: Graph; ms: number }, features: FeatureOptions): LatencyObservation {
  return { description: describeArchitecture(s.graph, features), ms: s.ms };
}

/** Distinct layers of the fitting architectures, the most frequent first. */
function layersToMeasure(samples: ProfileSample[]): LayerToMeasure[] {
  const counts = new Map<string, { n: number; item: LayerToMeasure }>();
  for (const s of samples) {
    if (s.split !== 'fit') continue;
    // describeArchitecture lists the layers in topological order, without the input.
    const keys = describeArchitecture(s.graph).layers;
    const layers = topologicalOrder(s.graph).filter((l) => l.type !== 'input');
    keys.forEach((key, i) => {
      const c = counts.get(key.key);
      if (c) c.n++;
      else counts.set(key.key, { n: 1, item: { key, layer: layers[i] } });
    });
  }
  return [...counts.values()].sort((a, b) => b.n - a.n).map((c) => c.item);
}

export interface FittedPredictors {
  predictors: ProfilePredictor[];
  chosen: PredictorName;
}

/** Fits every predictor on the fitting split and scores it on the held-out split. */
export function fitAndEvaluate(
  samples: Array<{ graph: Graph; ms: number; split: 'fit' | 'heldOut' }>,
  layerTimes: LayerTimes | undefined,
  names: readonly PredictorName[],
  seed: number,
  features: FeatureOptions,
  onFitted?: (name: PredictorName, a: PredictorAccuracy) => void,
): FittedPredictors {
  const fit = samples.filter((s) => s.split === 'fit').map((s) => observation(s, features));
  const held = samples.filter((s) => s.split === 'heldOut').map((s) => observation(s, features));
  const out: ProfilePredictor[] = [];
  for (const name of names) {
    if (name === 'lookup-table' && !layerTimes) continue;
    const p = createPredictor(name);
    const t = performance.now();
    p.fit({ observations: fit, layerTimes, seed });
    const fitSeconds = (performance.now() - t) / 1000;
    const heldOut = predictorAccuracy(held.map((o) => o.ms), held.map((o) => p.predict(o.description)));
    onFitted?.(name, heldOut);
    out.push({ name, heldOut, fitSeconds, params: p.toJSON() });
  }
  return { predictors: out, chosen: choosePredictor(out) };
}

/** The protocol for measuring past the time: one session, short warm-up and timed runs (about a tenth of the time). */
export function shortenedProtocol(protocol: LatencyProtocol): LatencyProtocol {
  return { ...protocol, sessions: 1, warmupMs: Math.min(protocol.warmupMs, 20), minTimedMs: Math.min(protocol.minTimedMs, 30), minRuns: Math.min(protocol.minRuns, 10) };
}

/** Samples, measures and fits: the whole of `netsprout profile`. */
export async function buildProfile(opts: ProfileOptions): Promise<DeviceProfileFile> {
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  const seed = opts.seed ?? 0;
  const space = opts.searchSpace ?? DEFAULT_SEARCH_SPACE;
  // The runtime first: with TF.js it sets the backend (and its threads) that the machine profile then reports.
  const runtime = opts.openedRuntime ?? (await openRuntime(opts.runtime, { threads: opts.threads, backend: opts.backend }));
  const machine = await machineProfile({ backends: true, onnx: true });
  opts.onProgress?.({ type: 'machine', machine });
  const protocol = defaultProtocol({ batchSizes: [1, opts.batchSize ?? 8], ...opts.protocol, threads: runtime.info.threads });
  const layerProtocol = defaultProtocol({ warmupRuns: 5, warmupMs: 10, minRuns: 15, minTimedMs: 40, maxRuns: 200, batchSizes: [1], threads: runtime.info.threads, sessions: 1, interleave: 1 });
  const rng = makeRandom(seed);
  const samples: ProfileSample[] = [];
  const seen = new Set<string>();
  const measureUntil = opts.seconds * 0.75;
  let misses = 0;
  // Past the time, measuring goes on for `minSamples` (never past three times the time asked for), and for the
  // minimum a profile needs whatever the time: a count of architectures, not of seconds, is what the predictors need.
  const floor = opts.minSamples !== undefined ? MIN_PROFILE_SAMPLES : 0;
  // `n`: the architectures measured or about to be.
  const wanted = (n = samples.length) => elapsed() < measureUntil || n < floor || (n < (opts.minSamples ?? 0) && elapsed() < 3 * opts.seconds);
  const shortened = shortenedProtocol(protocol);
  const speed = opts.speedReference === false ? null : new SpeedReference(runtime, referenceGraphFor(space), protocol);
  // The middle of each architecture's measurement, for the reference readings around it.
  const moments: number[] = [];
  const readEveryMs = opts.referenceEveryMs ?? REFERENCE_EVERY_MS;
  let lastReadAt = -Infinity;
  const read = async () => {
    await speed!.read(opts.signal);
    lastReadAt = performance.now();
  };
  const readIfDue = async () => {
    if (performance.now() - lastReadAt >= readEveryMs) await read();
  };
  const together = Math.max(1, protocol.interleave ?? 1);
  throwIfStopped(opts.signal, 'measuring the target device');
  // At most 10% of the time asked for (15 s at most; at least 2 s when the time allows).
  const settleMaxMs = Math.min(15_000, opts.seconds * 100);
  const settledSeconds = speed && opts.settle !== false ? await speed.settle(opts.signal, { minMs: Math.min(2000, settleMaxMs), maxMs: settleMaxMs }) : undefined;
  if (speed) await read();
  // Architectures whose measurement was disturbed, to be measured again once `due` (performance.now(), ms) has
  // passed, with their last measurement (kept if the time runs out first) and how many times it was measured again.
  type Deferred = { arch: SampledArchitecture; remeasured: number; due: number; last: InterleavedMeasurement };
  let deferred: Deferred[] = [];
  const keep = (arch: SampledArchitecture, { measurement: m, sessions }: InterleavedMeasurement, late: boolean, remeasured: number) => {
    moments.push((sessions[0].startMs + sessions[sessions.length - 1].endMs) / 2);
    const measurement = { batches: m.batches, batch1Ms: m.batch1Ms, gcBetween: m.gcBetween };
    samples.push({ id: samples.length, hash: arch.hash, split: 'fit', origin: arch.origin, graph: arch.graph, ms: m.batch1Ms, measurement, ...(late ? { shortened: true as const } : {}), ...(remeasured ? { remeasured } : {}) });
    opts.onProgress?.({ type: 'sample', index: samples.length - 1, ms: m.batch1Ms, elapsedSeconds: elapsed() });
  };
  for (;;) {
    throwIfStopped(opts.signal, 'measuring the target device');
    const now = performance.now();
    const due = deferred.filter((d) => d.due <= now).slice(0, together);
    deferred = deferred.filter((d) => !due.includes(d));
    const group = due.map((d) => ({ arch: d.arch, remeasured: d.remeasured + 1 }));
    while (group.length < together && samples.length + group.length + deferred.length < opts.samples && wanted(samples.length + group.length + deferred.length) && misses < 200) {
      const arch = sampleArchitecture(rng, space);
      if (seen.has(arch.hash)) {
        misses++;
        continue;
      }
      seen.add(arch.hash);
      group.push({ arch, remeasured: 0 });
    }
    if (!group.length && deferred.length && wanted()) {
      // Every architecture asked for is measured but some were disturbed, and there is time: wait for them.
      await sleep(Math.min(1000, Math.max(1, Math.min(...deferred.map((d) => d.due)) - performance.now())));
      continue;
    }
    if (!group.length) {
      // Nothing new to measure, or no time: the disturbed ones keep their last measurement.
      for (const d of deferred) keep(d.arch, d.last, false, d.remeasured);
      break;
    }
    const late = opts.minSamples !== undefined && elapsed() >= measureUntil;
    const measured = await measureLatencies(runtime, group.map((g) => ({ graph: g.arch.graph })), late ? shortened : protocol, { signal: opts.signal, afterSession: speed ? readIfDue : undefined });
    // A reading after the group's last session, for the disturbance check and the speed factor.
    if (speed && lastReadAt < measured[measured.length - 1].sessions.at(-1)!.endMs) await read();
    for (const [i, { arch, remeasured }] of group.entries()) {
      // Disturbed (most of its sessions ran next to a slow reading of the reference): measured again later, when
      // a disturbance of several seconds will have passed.
      if (speed && !late && remeasured < MAX_REMEASURES && speed.disturbed(measured[i].sessions)) {
        deferred.push({ arch, remeasured, due: performance.now() + (opts.remeasureAfterMs ?? REMEASURE_AFTER_MS), last: measured[i] });
        continue;
      }
      keep(arch, measured[i], late, remeasured);
    }
  }
  if (samples.length < MIN_PROFILE_SAMPLES) {
    throw new NetSproutError(
      'PROFILE_TOO_FEW_SAMPLES',
      `Only ${samples.length} architectures could be measured in ${opts.seconds} s; a profile needs at least ${MIN_PROFILE_SAMPLES} (some to fit the predictors, some to check them).`,
      'Give more time with --seconds (or more architectures with --samples).',
    );
  }
  let speedReference: SpeedReferenceRecord | undefined;
  if (speed) {
    const typicalMs = speed.typicalMs();
    const windowSeconds = opts.speedWindowSeconds ?? SPEED_WINDOW_SECONDS;
    samples.forEach((s, i) => {
      const f = speedFactor(speed.around(moments[i], windowSeconds), typicalMs);
      s.measuredMs = s.ms;
      s.speedFactor = f;
      s.ms = s.ms / f;
    });
    const factors = samples.map((s) => s.speedFactor!).sort((a, b) => a - b);
    speedReference = { graph: speed.graph, protocol: speed.protocol, typicalMs, readings: speed.readings.length, factorP10: quantileSorted(factors, 0.1), factorP90: quantileSorted(factors, 0.9), windowSeconds, ...(settledSeconds !== undefined && { settledSeconds }) };
  }
  const held = heldOutSplit(samples.length, opts.heldOutFraction ?? 0.25, seed);
  for (const s of samples) s.split = held.has(s.id) ? 'heldOut' : 'fit';

  const names = opts.predictors ?? PREDICTOR_NAMES;
  let layerTimes: LayerTimes = { layers: {}, passThrough: {} };
  if (names.includes('lookup-table')) {
    // The table's layers get at most 15% of the time, and never past 90% of it (fitting needs the rest).
    const deadline = Math.min(start + opts.seconds * 0.9 * 1000, performance.now() + opts.seconds * 0.15 * 1000);
    const measured = await measureLayerTimes(runtime, layersToMeasure(samples), layerProtocol, deadline, opts.signal);
    layerTimes = { layers: measured.layers, passThrough: measured.passThrough };
    opts.onProgress?.({ type: 'layers', measured: Object.keys(layerTimes.layers).length, skipped: measured.skipped, elapsedSeconds: elapsed() });
  }
  const features = featureOptionsFor(runtime.info, machine);
  const fitted = fitAndEvaluate(samples, layerTimes, names, seed, features, (name, heldOut) => opts.onProgress?.({ type: 'fitted', name, heldOut }));
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    createdAt: new Date().toISOString(),
    machine,
    runtime: runtime.info,
    protocol,
    layerProtocol,
    searchSpace: space,
    seed,
    seconds: elapsed(),
    samples,
    ...(speedReference && { speedReference }),
    layerTimes,
    features,
    predictors: fitted.predictors,
    chosen: fitted.chosen,
  };
}

export async function writeProfile(file: string, profile: DeviceProfileFile): Promise<void> {
  await writeFile(file, `${JSON.stringify(profile)}\n`);
}

const accuracySchema = z.object({ kendallTau: z.number().nullable(), mape: z.number().nullable(), within10: z.number().nullable(), count: z.number() });
const protocolSchema = z.object({
  warmupRuns: z.number(),
  warmupMs: z.number(),
  minRuns: z.number(),
  maxRuns: z.number(),
  minTimedMs: z.number(),
  batchSizes: z.array(z.number().int().positive()).min(1),
  threads: z.number(),
  sessions: z.number().int().positive().optional(),
  statistic: z.enum(LATENCY_STATISTICS).optional(),
  interleave: z.number().int().positive().optional(),
  description: z.string(),
});
const profileSchema = z.object({
  format: z.literal(PROFILE_FORMAT),
  version: z.union([z.literal(1), z.literal(2), z.literal(PROFILE_VERSION)]),
  createdAt: z.string(),
  machine: z.object({ cpu: z.object({}).passthrough(), os: z.object({}).passthrough() }).passthrough(),
  runtime: z.object({ name: z.enum(['onnx', 'tfjs']), library: z.string(), version: z.string(), backend: z.string(), threads: z.number(), settings: z.record(z.string(), z.unknown()) }),
  protocol: protocolSchema,
  layerProtocol: protocolSchema,
  searchSpace: z.object({}).passthrough(),
  seed: z.number(),
  seconds: z.number(),
  samples: z.array(z.object({ id: z.number(), hash: z.string(), split: z.enum(['fit', 'heldOut']), origin: z.unknown(), graph: z.unknown(), ms: z.number().positive(), measurement: z.unknown(), measuredMs: z.number().positive().optional(), speedFactor: z.number().positive().optional(), remeasured: z.number().int().nonnegative().optional() })),
  speedReference: z.object({ graph: z.unknown(), typicalMs: z.number().positive(), readings: z.number() }).passthrough().optional(),
  layerTimes: z.object({ layers: z.record(z.string(), z.number()), passThrough: z.record(z.string(), z.number()) }),
  features: z.object({ nchwcBlock: z.number().int().nonnegative() }).optional(),
  predictors: z.array(z.object({ name: z.enum(PREDICTOR_NAMES), heldOut: accuracySchema, fitSeconds: z.number(), params: z.unknown() })).min(1),
  chosen: z.enum(PREDICTOR_NAMES),
});

/** A profile read from its file, ready to predict. */
export interface LoadedProfile {
  file: string;
  profile: DeviceProfileFile;
  /** The file's version when it was older than PROFILE_VERSION (its predictors were fitted again on reading). */
  upgradedFrom?: number;
  predictor(name?: PredictorName): LatencyPredictor;
  /** Predicted latency at batch 1 in ms, by the chosen predictor unless another is named. */
  predictMs(graph: Graph, name?: PredictorName): number;
}

export function profileFromJSON(value: unknown, file = 'the profile'): LoadedProfile {
  const parsed = profileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new NetSproutError(
      'PROFILE_SCHEMA',
      `${file} is not a NetSprout device profile: ${issue.message} at ${issue.path.join('.') || 'the top level'}.`,
      'A device profile is the file written by `netsprout profile --out device.json`; make it again with that command.',
      [file],
    );
  }
  // JSON has no NaN: an undefined figure (τ of constant predictions) is written as null.
  let profile = value as DeviceProfileFile;
  const version = profile.version as number;
  if (version !== PROFILE_VERSION || !profile.features) profile = upgradeProfile(profile);
  if (!profile.predictors.some((p) => p.name === profile.chosen)) {
    throw new NetSproutError('PROFILE_SCHEMA', `${file} chooses the ${profile.chosen} predictor but does not contain it.`, 'Make the profile again with `netsprout profile`.', [file]);
  }
  const cache = new Map<PredictorName, LatencyPredictor>();
  const predictor = (name: PredictorName = profile.chosen): LatencyPredictor => {
    let p = cache.get(name);
    if (!p) {
      const entry = profile.predictors.find((x) => x.name === name);
      if (!entry) throw new NetSproutError('PROFILE_PREDICTOR', `${file} has no ${name} predictor.`, `It has: ${profile.predictors.map((x) => x.name).join(', ')}.`, [file]);
      p = loadPredictor(name, entry.params, file);
      cache.set(name, p);
    }
    return p;
  };
  return {
    file,
    profile,
    ...(version !== PROFILE_VERSION && { upgradedFrom: version }),
    predictor,
    predictMs: (graph, name) => predictor(name).predict(describeArchitecture(graph, profile.features)),
  };
}

export async function readProfile(file: string): Promise<LoadedProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NetSproutError(
      code === 'ENOENT' ? 'PROFILE_NOT_FOUND' : 'PROFILE_UNREADABLE',
      code === 'ENOENT' ? `The device profile ${file} does not exist.` : `The device profile ${file} cannot be read: ${(e as Error).message}.`,
      'Make one on the target device with `netsprout profile --out device.json`, then give its path.',
      [file],
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new NetSproutError('PROFILE_JSON', `The device profile ${file} is not valid JSON: ${(e as Error).message}.`, 'The file may be cut short; make it again with `netsprout profile`.', [file]);
  }
  return profileFromJSON(raw, file);
}

/** The held-out samples of a profile, with their descriptions (for re-checking its figures). */
export function heldOutObservations(profile: DeviceProfileFile): Array<{ description: ArchitectureDescription; ms: number }> {
  return profile.samples.filter((s) => s.split === 'heldOut').map((s) => ({ description: describeArchitecture(graphFromJSON(s.graph, 'a profile sample'), profile.features), ms: s.ms }));
}

/**
 * A profile of an older version (made before architectures were described as they are now: version 1 without the
 * runtime's blocked layout, version 2 without the convolution buckets): its measured samples are all it takes, so
 * its predictors are fitted again, as `netsprout profile` would fit them now, and checked on the same held-out
 * architectures. Seconds (the MLP takes longest: about 30 s for 450 architectures); the file is not rewritten.
 */
function upgradeProfile(old: DeviceProfileFile): DeviceProfileFile {
  const features = featureOptionsFor(old.runtime, old.machine);
  const samples = old.samples.map((s) => ({ ...s, graph: graphFromJSON(s.graph, 'a profile sample') }));
  const names = old.predictors.map((p) => p.name);
  const fitted = fitAndEvaluate(samples, old.layerTimes, names, old.seed, features);
  return { ...old, version: PROFILE_VERSION, features, predictors: fitted.predictors, chosen: fitted.chosen };
}
