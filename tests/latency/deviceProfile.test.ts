import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultProtocol, type LatencyRuntime } from '../../engine/hardware/latencyProtocol.js';
import { graphMetrics } from '../../engine/graph/metrics.js';
import { machineProfile } from '../../engine/hardware/machineProfile.js';
import { predictorAccuracy } from '../../engine/latency/accuracyMetrics.js';
import { FEATURE_NAMES, describeArchitecture } from '../../engine/latency/architectureFeatures.js';
import { DEFAULT_SEARCH_SPACE, sampleArchitecture } from '../../engine/latency/architectureSampler.js';
import { nchwcFigures } from '../../engine/latency/nchwcLayout.js';
import type { Graph } from '../../engine/graph/types.js';
import {
  MIN_PROFILE_SAMPLES,
  PROFILE_FORMAT,
  PROFILE_VERSION,
  buildProfile,
  choosePredictor,
  fitAndEvaluate,
  heldOutObservations,
  heldOutSplit,
  readProfile,
  writeProfile,
  type DeviceProfileFile,
  type ProfileSample,
} from '../../engine/latency/deviceProfile.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

/** Latency made up from multiply-accumulates, layers and (on an AVX-512 CPU) the blocked layout's reorders. */
function syntheticMs(graph: Graph): number {
  const f = describeArchitecture(graph).features;
  return 0.03 + f[FEATURE_NAMES.indexOf('macsConvKxK')] * 1e-8 + f[FEATURE_NAMES.indexOf('layers')] * 0.002 + nchwcFigures(graph, 16).reorderElements * 4e-6;
}

async function syntheticProfile(): Promise<DeviceProfileFile> {
  const rng = makeRandom(3);
  const held = heldOutSplit(60, 0.25, 0);
  const samples: ProfileSample[] = Array.from({ length: 60 }, (_, id) => {
    const arch = sampleArchitecture(rng);
    const ms = syntheticMs(arch.graph);
    return { id, hash: arch.hash, split: held.has(id) ? 'heldOut' : 'fit', origin: arch.origin, graph: arch.graph, ms, measurement: { batches: [], batch1Ms: ms, gcBetween: true } };
  });
  const layerTimes = { layers: {} as Record<string, number>, passThrough: { '28x28x1': 0.01, '32x32x3': 0.012 } };
  for (const s of samples) for (const l of describeArchitecture(s.graph).layers) layerTimes.layers[l.key] = 1e-8 * l.work;
  const features = { nchwcBlock: 16 };
  const fitted = fitAndEvaluate(samples, layerTimes, ['lookup-table', 'ridge', 'random-forest', 'mlp'], 0, features);
  const protocol = defaultProtocol();
  const here = await machineProfile({ backends: false, onnx: false });
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    createdAt: new Date(0).toISOString(),
    machine: { ...here, cpu: { ...here.cpu, simd: ['avx', 'avx2', 'avx512f', 'fma'] }, os: { ...here.os, arch: 'x64' } },
    runtime: { name: 'onnx', library: 'onnxruntime-node', version: 'test', backend: 'cpu', threads: 1, settings: {} },
    protocol,
    layerProtocol: protocol,
    searchSpace: DEFAULT_SEARCH_SPACE,
    seed: 0,
    seconds: 1,
    samples,
    layerTimes,
    features,
    predictors: fitted.predictors,
    chosen: fitted.chosen,
  };
}

describe('device profile file', () => {
  it('round-trips: the file predicts what the fitted predictors predicted and reproduces its held-out figures', async () => {
    const profile = await syntheticProfile();
    expect(profile.samples.filter((s) => s.split === 'heldOut')).toHaveLength(15);
    expect(profile.chosen).toBe('ridge');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-profile-'));
    const file = path.join(dir, 'device.json');
    await writeProfile(file, profile);
    const loaded = await readProfile(file);
    expect(loaded.upgradedFrom).toBeUndefined();
    expect(loaded.profile.chosen).toBe(profile.chosen);
    const held = heldOutObservations(loaded.profile);
    for (const p of loaded.profile.predictors) {
      const predicted = held.map((o) => loaded.predictor(p.name).predict(o.description));
      const again = predictorAccuracy(held.map((o) => o.ms), predicted);
      expect(again.kendallTau).toBeCloseTo(p.heldOut.kendallTau, 10);
      expect(again.mape).toBeCloseTo(p.heldOut.mape, 10);
      expect(again.within10).toBeCloseTo(p.heldOut.within10, 10);
    }
    const g = profile.samples[0].graph;
    expect(loaded.predictMs(g)).toBeGreaterThan(0);
    expect(loaded.predictMs(g)).toBe(loaded.predictor('ridge').predict(describeArchitecture(g, { nchwcBlock: 16 })));
  });

  it('fits a version-2 file again on reading, with the convolution features it was made without', async () => {
    const profile = await syntheticProfile();
    // As version 2 wrote it: predictors fitted on the features of the time (here: the first 35, those it had).
    const old = fitAndEvaluate(profile.samples, profile.layerTimes, ['ridge'], 0, { nchwcBlock: 16 });
    const ridge = old.predictors[0].params as { scale: number[]; coefficients: number[] };
    const v2 = { ...profile, version: 2, ...old, predictors: [{ ...old.predictors[0], params: { ...ridge, scale: ridge.scale.slice(0, 35), coefficients: ridge.coefficients.slice(0, 35) } }] };
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-profile-'));
    const file = path.join(dir, 'v2.json');
    await writeFile(file, JSON.stringify(v2));
    const loaded = await readProfile(file);
    expect(loaded.upgradedFrom).toBe(2);
    expect(loaded.profile.version).toBe(PROFILE_VERSION);
    expect((loaded.profile.predictors[0].params as { coefficients: number[] }).coefficients).toHaveLength(FEATURE_NAMES.length);
    const held = profile.samples.find((s) => s.split === 'heldOut')!;
    expect(loaded.predictMs(held.graph) / held.ms).toBeCloseTo(1, 1);
  });

  it('fits a version-1 file again on reading, with the blocked layout of its runtime on its CPU', async () => {
    const profile = await syntheticProfile();
    // As version 1 wrote it: no feature options, predictors fitted without the blocked layout.
    const v1 = { ...profile, version: 1, features: undefined, ...fitAndEvaluate(profile.samples, profile.layerTimes, ['ridge'], 0, { nchwcBlock: 0 }) };
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-profile-'));
    const file = path.join(dir, 'old.json');
    await writeFile(file, JSON.stringify(v1));
    const loaded = await readProfile(file);
    expect(loaded.profile).toMatchObject({ version: PROFILE_VERSION, features: { nchwcBlock: 16 }, chosen: 'ridge' });
    expect(loaded.upgradedFrom).toBe(1);
    const before = v1.predictors[0].heldOut;
    const after = loaded.profile.predictors[0].heldOut;
    // The made-up latency has a reorder term that only the blocked layout explains.
    expect(after.mape).toBeLessThan(before.mape / 2);
    expect(after.within10).toBeGreaterThan(before.within10);
    const held = profile.samples.find((s) => s.split === 'heldOut')!;
    expect(loaded.predictMs(held.graph) / held.ms).toBeCloseTo(1, 1);
    // The file itself is left as it was.
    expect(JSON.parse(await readFile(file, 'utf8')).version).toBe(1);
  });

  it('chooses by share within ±10%, then τ, then MAPE', () => {
    const a = (within10: number, kendallTau: number, mape: number) => ({ within10, kendallTau, mape, count: 10 });
    expect(choosePredictor([
      { name: 'ridge', heldOut: a(0.8, 0.95, 0.05) },
      { name: 'mlp', heldOut: a(0.9, 0.9, 0.06) },
    ])).toBe('mlp');
    expect(choosePredictor([
      { name: 'ridge', heldOut: a(0.9, 0.95, 0.05) },
      { name: 'mlp', heldOut: a(0.9, 0.9, 0.04) },
    ])).toBe('ridge');
    expect(choosePredictor([
      { name: 'ridge', heldOut: a(0.9, 0.9, 0.05) },
      { name: 'mlp', heldOut: a(0.9, 0.9, 0.04) },
    ])).toBe('mlp');
  });

  it('says plainly what is wrong with a file that is not a profile', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-profile-'));
    const missing = path.join(dir, 'none.json');
    await expect(readProfile(missing)).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND', files: [missing] });
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{"format": "netsprout-device-pro');
    await expect(readProfile(broken)).rejects.toMatchObject({ code: 'PROFILE_JSON', files: [broken] });
    const other = path.join(dir, 'graph.json');
    await writeFile(other, JSON.stringify({ version: 1, layers: [], output: 'x' }));
    await expect(readProfile(other)).rejects.toMatchObject({ code: 'PROFILE_SCHEMA', message: expect.stringContaining('is not a NetSprout device profile') });
    const profile = await syntheticProfile();
    const wrongChoice = path.join(dir, 'wrong.json');
    await writeFile(wrongChoice, JSON.stringify({ ...profile, predictors: profile.predictors.filter((p) => p.name !== profile.chosen) }));
    await expect(readProfile(wrongChoice)).rejects.toMatchObject({ code: 'PROFILE_SCHEMA', message: expect.stringContaining('does not contain it') });
    const text = await readFile(wrongChoice, 'utf8');
    expect(text.length).toBeGreaterThan(0);
  });

  it('holds out at least two architectures and leaves at least two to fit', () => {
    expect(heldOutSplit(8, 0.25, 0).size).toBe(2);
    expect(heldOutSplit(100, 0.25, 0).size).toBe(25);
    expect(heldOutSplit(3, 0.9, 0).size).toBe(1);
    expect([...heldOutSplit(100, 0.25, 1)]).not.toEqual([...heldOutSplit(100, 0.25, 2)]);
  });

  it('brings latencies measured on a drifting machine to its typical speed with the reference network, keeping the raw ones', async () => {
    // A runtime whose every run takes a latency fixed by the network (its MACs) times the machine's speed factor
    // at that moment, which drifts slowly between 1 and 1.6 (a throttling laptop, a VM with busy neighbours).
    const t0 = performance.now();
    const drift = () => 1.3 + 0.3 * Math.sin(((performance.now() - t0) / 1200) * 2 * Math.PI);
    const trueMs = (g: Graph) => 0.04 + graphMetrics(g).macs / 4e8;
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const runtime: LatencyRuntime = {
      info: { name: 'onnx', library: 'fake', version: '0', backend: 'cpu', threads: 1, settings: {} },
      async prepare(model) {
        const ms = trueMs(model.graph);
        return { run: async () => busy(ms * drift()), release: async () => {} };
      },
    };
    const quick = { warmupRuns: 2, warmupMs: 2, minRuns: 5, minTimedMs: 8, maxRuns: 50, batchSizes: [1], sessions: 1 };
    // The drift here is fast (a period of 1.2 s, to keep the test short), so the readings' window is short too.
    // (The reference is read after every session here, the runs being far shorter than a real network's; and the
    // profile does not wait for the drift to settle first.)
    const build = (speedReference: boolean) => buildProfile({ runtime: 'onnx', openedRuntime: runtime, samples: 40, seconds: 600, protocol: quick, predictors: ['ridge'], seed: 3, speedReference, speedWindowSeconds: 0.1, referenceEveryMs: 0, remeasureAfterMs: 300, settle: false });
    const p = await build(true);
    expect(p.samples).toHaveLength(40);
    // (One more reading for each architecture measured again where the drift peaked: see the next test.)
    const again = p.samples.reduce((a, s) => a + (s.remeasured ?? 0), 0);
    expect(p.speedReference).toMatchObject({ readings: 41 + again, typicalMs: expect.any(Number), windowSeconds: 0.1 });
    expect(p.speedReference!.factorP90 / p.speedReference!.factorP10).toBeGreaterThan(1.2);
    // Relative to the true latency, the raw measurements carry the drift; the corrected ones all sit at one speed.
    const spread = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s[Math.floor(0.9 * (s.length - 1))] / s[Math.floor(0.1 * (s.length - 1))];
    };
    const raw = p.samples.map((s) => s.measuredMs! / trueMs(s.graph));
    const corrected = p.samples.map((s) => s.ms / trueMs(s.graph));
    expect(spread(raw)).toBeGreaterThan(1.25);
    expect(spread(corrected)).toBeLessThan(1.15);
    for (const s of p.samples) expect(s.ms).toBeCloseTo(s.measuredMs! / s.speedFactor!, 10);
    // The profile file keeps both and reads back.
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-speed-')), 'device.json');
    await writeProfile(file, p);
    const loaded = await readProfile(file);
    expect(loaded.profile.speedReference!.typicalMs).toBe(p.speedReference!.typicalMs);
    expect(loaded.profile.samples[0].measuredMs).toBe(p.samples[0].measuredMs);
    // Without the reference, the predictors learn the raw measurements.
    const plain = await build(false);
    expect(plain.speedReference).toBeUndefined();
    expect(plain.samples.every((s) => s.measuredMs === undefined && s.speedFactor === undefined)).toBe(true);
  });

  it('measures an architecture again when the reference runs slow just before or after most of its sessions (the machine was disturbed)', async () => {
    // The profile reads the reference (the first network it opens) and then, here, after every session of the
    // architectures (six at a time, one session each). The 11th architecture's first session and the reading after
    // it run 1.6× slow: another process took the CPU for a moment.
    const trueMs = (g: Graph) => 0.04 + graphMetrics(g).macs / 4e8;
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    let opened = 0;
    let reference: Graph | undefined;
    const architectures = new Set<Graph>();
    let slowReading = false;
    const runtime: LatencyRuntime = {
      info: { name: 'onnx', library: 'fake', version: '0', backend: 'cpu', threads: 1, settings: {} },
      async prepare(model) {
        opened++;
        reference ??= model.graph;
        let slow = false;
        if (model.graph === reference) {
          slow = slowReading;
          slowReading = false;
        } else if (!architectures.has(model.graph)) {
          architectures.add(model.graph);
          slow = slowReading = architectures.size === 11;
        }
        const ms = trueMs(model.graph) * (slow ? 1.6 : 1);
        return { run: async () => busy(ms), release: async () => {} };
      },
    };
    const quick = { warmupRuns: 2, warmupMs: 2, minRuns: 5, minTimedMs: 8, maxRuns: 50, batchSizes: [1], sessions: 1 };
    const p = await buildProfile({ runtime: 'onnx', openedRuntime: runtime, samples: 20, seconds: 600, protocol: quick, predictors: ['ridge'], seed: 3, referenceEveryMs: 0, remeasureAfterMs: 300, settle: false });
    expect(p.protocol.interleave).toBe(6);
    const eleventh = p.samples.find((s) => s.graph === [...architectures][10])!;
    expect(eleventh.remeasured).toBeGreaterThanOrEqual(1);
    // Measured again later (the profile waited for it after the other 19), so it comes after them.
    expect(p.samples.indexOf(eleventh)).toBeGreaterThanOrEqual(12);
    // (The 12th, measured just after the slow reading, is measured again too; and this machine may be disturbed
    // for real while the test runs, so others may be.)
    const again = p.samples.reduce((a, s) => a + (s.remeasured ?? 0), 0);
    expect(again).toBeLessThanOrEqual(6);
    // Each time: its session and the reading after it.
    expect(p.speedReference!.readings).toBe(1 + 20 + again);
    expect(opened).toBe(1 + 2 * (20 + again));
    const ratios = p.samples.map((s) => s.measuredMs! / trueMs(s.graph));
    const typical = [...ratios].sort((a, b) => a - b)[10];
    const ratio = eleventh.measuredMs! / trueMs(eleventh.graph) / typical;
    expect(ratio).toBeGreaterThan(0.9);
    expect(ratio).toBeLessThan(1.1);
  });

  it('measures six architectures at a time with their sessions in turn, and reads the reference after each group', async () => {
    const order: number[] = [];
    const graphs: Graph[] = [];
    const runtime: LatencyRuntime = {
      info: { name: 'onnx', library: 'fake', version: '0', backend: 'cpu', threads: 1, settings: {} },
      async prepare(model) {
        if (!graphs.includes(model.graph)) graphs.push(model.graph);
        order.push(graphs.indexOf(model.graph));
        return { run: async () => undefined, release: async () => {} };
      },
    };
    const quick = { warmupRuns: 2, warmupMs: 0, minRuns: 5, minTimedMs: 0, maxRuns: 50, batchSizes: [1, 8], sessions: 3 };
    const p = await buildProfile({ runtime: 'onnx', openedRuntime: runtime, samples: 12, seconds: 600, protocol: quick, predictors: ['ridge'], seed: 3, referenceEveryMs: 60_000, settle: false });
    // 0 is the reference: read first, then after each group of six (and between sessions, were a minute to pass).
    const group = (first: number) => [0, 1, 2, 3, 4, 5].map((a) => first + a);
    // Batch 1's three sessions in turn, then batch 8's.
    expect(order.filter((i) => i !== 0)).toEqual([1, 7].flatMap((first) => [...group(first), ...group(first), ...group(first), ...group(first)]));
    expect(p.speedReference!.readings).toBe(3);
    const b1 = p.samples[0].measurement.batches[0];
    expect(b1.sessionLatenciesMs).toHaveLength(3);
  });

  it('made on demand, measures the minimum number of architectures whatever the time, the late ones with the shortened protocol', async () => {
    // Far too little time for one architecture (a 60 s job on a busy machine measured 6 in its 10 s and failed).
    const p = await buildProfile({ runtime: 'onnx', samples: 50, seconds: 0.01, minSamples: 12, protocol: { batchSizes: [1] }, predictors: ['ridge'], seed: 0 });
    expect(p.samples.length).toBeGreaterThanOrEqual(MIN_PROFILE_SAMPLES);
    expect(p.samples.length).toBeLessThan(12);
    // Waiting for the machine to settle takes at most a tenth of the time (here one reading of the reference).
    expect(p.speedReference!.settledSeconds).toBeLessThan(1);
    // Past its time every architecture was measured in one short session.
    expect(p.samples.filter((s) => s.shortened)).toHaveLength(p.samples.length);
    for (const s of p.samples) expect(s.measurement.batches[0].sessionMediansMs).toBeUndefined();
    expect(p.samples.filter((s) => s.split === 'heldOut').length).toBeGreaterThanOrEqual(2);
    // Without minSamples (a profile asked for on the command line) the time is the user's: too short is an error.
    await expect(buildProfile({ runtime: 'onnx', samples: 50, seconds: 0.01, protocol: { batchSizes: [1] }, predictors: ['ridge'] })).rejects.toMatchObject({ code: 'PROFILE_TOO_FEW_SAMPLES' });
  });
});
