/** Small datasets as files and an engine process driven by hand, for the app's and the protocol's tests. */
import { fork } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { EngineMessage } from '../../engine/protocol/messages.js';
import { writeAppJobFile, type JobRecord, type ProjectRecord } from '../../main/services/jobFolderRecord.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { quadrantImages } from './syntheticData.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ENGINE_ENTRY = path.join(REPO_ROOT, 'bin', 'netsprout-engine.mjs');

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `netsprout-${prefix}-`));
}

/** `n` 12×12 gray PNGs in 4 class folders (q0..q3), the class being the quadrant with a bright square. */
export async function quadrantImageFolder(n: number, seed = 5): Promise<string> {
  const root = await tempDir('images');
  const d = quadrantImages(n, 12, seed);
  for (let k = 0; k < n; k++) {
    const dir = path.join(root, `q${d.y[k]}`);
    await mkdir(dir, { recursive: true });
    const px = Buffer.from(Uint8Array.from(d.x.subarray(k * 144, (k + 1) * 144), (v) => Math.max(0, Math.min(255, Math.round(v * 80 + 60)))));
    await sharp(px, { raw: { width: 12, height: 12, channels: 1 } }).toColourspace('b-w').png().toFile(path.join(dir, `${k}.png`));
  }
  return root;
}

/** A CSV of `n` rows: two numbers and a colour; the label is whether x + y > 1. */
export async function tableCsv(n: number, seed = 3): Promise<string> {
  const rng = makeRandom(seed);
  const lines = ['x,y,colour,label'];
  for (let i = 0; i < n; i++) {
    const x = rng.next();
    const y = rng.next();
    lines.push(`${x.toFixed(3)},${y.toFixed(3)},${['red', 'green', 'blue'][i % 3]},${x + y > 1 ? 'high' : 'low'}`);
  }
  const file = path.join(await tempDir('table'), 'points.csv');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

export interface WorkerRun {
  messages: EngineMessage[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Starts an engine process, sends it `task`, and collects every message (each checked with the protocol's schema)
 * until it exits. `onMessage` may send controls (`send`).
 */
export function runWorker(task: unknown, onMessage?: (m: EngineMessage, send: (control: unknown) => void) => void): Promise<WorkerRun> {
  return new Promise((resolve, reject) => {
    const child = fork(ENGINE_ENTRY, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const messages: EngineMessage[] = [];
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.resume();
    child.on('message', (raw) => {
      const m = EngineMessage.parse(raw);
      messages.push(m);
      onMessage?.(m, (c) => child.connected && child.send(c as object));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ messages, code, signal, stderr }));
    child.send(task as object);
  });
}

/** Resolves when `check` returns something truthy (checked every 100 ms), or fails after `ms`. */
export async function waitFor<T>(check: () => T | Promise<T>, ms: number, what: string): Promise<NonNullable<T>> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A job folder as the app and the engine leave it: app.json and a journal (finished or not). */
export async function fakeJobFolder(jobsDir: string, jobId: string, project: ProjectRecord, done: boolean): Promise<string> {
  const jobDir = path.join(jobsDir, jobId);
  await mkdir(jobDir, { recursive: true });
  const job: JobRecord = { id: jobId, projectId: project.id, status: 'running', strategy: 'hill', budgetSeconds: 60, seed: 0, target: { target: 'cpu' }, jobDir, createdAt: '2026-01-02T03:04:05.000Z', updatedAt: '2026-01-02T03:04:05.000Z', elapsedSeconds: 0, bestAccuracy: null, candidates: 0, summary: null };
  await writeAppJobFile(jobDir, project, job);
  const events = [
    { type: 'started', elapsedSeconds: 0 },
    { type: 'candidate', id: 'c0', parentId: null, morphs: [], status: 'trained', accuracy: 0.5, accuracyInherited: null, params: 1000, macs: 5000, seconds: 2, elapsedSeconds: 5 },
    { type: 'candidate', id: 'c1', parentId: 'c0', morphs: [{ op: 'wider' }], status: 'trained', accuracy: 0.7, accuracyInherited: 0.5, params: 2000, macs: 9000, seconds: 2, elapsedSeconds: 9 },
    { type: 'candidate', id: 'c2', parentId: 'c0', morphs: [{ op: 'deeper-conv' }], status: 'failed', accuracy: 0, accuracyInherited: null, params: 9e6, macs: 1, seconds: 0, reason: 'would not fit in memory', elapsedSeconds: 9 },
    ...(done ? [{ type: 'done', summary: { valAccuracy: 0.72, testAccuracy: 0.7, params: 2000, bestId: 'c1', elapsedSeconds: 59.5 }, elapsedSeconds: 59.5 }] : []),
  ];
  await writeFile(path.join(jobDir, 'journal.jsonl'), events.map((e) => JSON.stringify({ ...e, at: '2026-01-02T03:05:00.000Z' })).join('\n') + '\n');
  return jobDir;
}

/**
 * A device profile of another device (a 4-core ARM board), written to `file`: architectures of the search space
 * with latencies made up from their multiply-accumulates, and the predictors fitted on them with the engine's own
 * code. A job targeting it predicts latency without profiling this machine first, and (another device) cannot
 * measure its front here.
 */
export async function otherDeviceProfile(file: string): Promise<string> {
  const { defaultProtocol } = await import('../../engine/hardware/latencyProtocol.js');
  const { machineProfile } = await import('../../engine/hardware/machineProfile.js');
  const { FEATURE_NAMES, describeArchitecture } = await import('../../engine/latency/architectureFeatures.js');
  const { DEFAULT_SEARCH_SPACE, sampleArchitecture } = await import('../../engine/latency/architectureSampler.js');
  const { PROFILE_FORMAT, PROFILE_VERSION, fitAndEvaluate, heldOutSplit, writeProfile } = await import('../../engine/latency/deviceProfile.js');
  const rng = makeRandom(4);
  const held = heldOutSplit(24, 0.25, 0);
  const samples = Array.from({ length: 24 }, (_, id) => {
    const arch = sampleArchitecture(rng);
    const f = describeArchitecture(arch.graph).features;
    const ms = 0.2 + f[FEATURE_NAMES.indexOf('macsConvKxK')] * 5e-8 + f[FEATURE_NAMES.indexOf('layers')] * 0.01;
    return { id, hash: arch.hash, split: held.has(id) ? ('heldOut' as const) : ('fit' as const), origin: arch.origin, graph: arch.graph, ms, measurement: { batches: [], batch1Ms: ms, gcBetween: true } };
  });
  const fitted = fitAndEvaluate(samples, undefined, ['ridge'], 0, { nchwcBlock: 0 });
  const here = await machineProfile({ backends: false, onnx: false });
  const protocol = defaultProtocol();
  await writeProfile(file, {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    createdAt: '2026-01-01T00:00:00.000Z',
    machine: { ...here, cpu: { ...here.cpu, manufacturer: 'ARM', brand: 'Cortex-A72 (test board)', model: 'Cortex-A72', cores: 4, physicalCores: 4 }, os: { ...here.os, arch: 'arm64' }, gpus: [] },
    runtime: { name: 'onnx', library: 'onnxruntime-node', version: 'test', backend: 'cpu', threads: 1, settings: {} },
    protocol,
    layerProtocol: protocol,
    searchSpace: DEFAULT_SEARCH_SPACE,
    seed: 0,
    seconds: 1,
    samples: samples as never,
    layerTimes: { layers: {}, passThrough: {} },
    features: { nchwcBlock: 0 },
    predictors: fitted.predictors,
    chosen: fitted.chosen,
  });
  return file;
}
