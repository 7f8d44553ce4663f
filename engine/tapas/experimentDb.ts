/**
 * The lifelong database of experiments (TAPAS's LDE, NeuNetS §4.1.2): one line per trained network of every job run
 * on this machine — its architecture encoding, the dataset's difficulty (DCN), kind, classes and size, the epochs
 * and hyper-parameters it was trained with, the accuracy of the network it grew from, and the validation accuracy
 * it reached. It holds no data, file names or class names: only these numbers, and opaque ids for the job and the
 * dataset. It lives in the user's data folder (NETSPROUT_EXPERIMENTS_DIR moves it), next to the difficulty of
 * each dataset seen; `netsprout experiments --clear` empties it. A starter database built from runs on public
 * datasets ships with NetSprout (assets/tapas).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrainingSettings } from '../search/strategyServices.js';
import type { ArchitectureEncoding } from './architectureEncoding.js';

export const EXPERIMENT_VERSION = 1;

export interface ExperimentRecord {
  v: 1;
  /** An opaque id of the job (random), so that a predictor can be scored on jobs it was not fitted on. */
  job: string;
  /** An opaque fingerprint of the dataset (a hash of its shape, counts and label histogram). */
  dataset: string;
  kind: 'images' | 'text' | 'table';
  classes: number;
  trainCount: number;
  /** The dataset's difficulty: the probe network's validation accuracy (higher is easier). */
  dcn: number;
  arch: ArchitectureEncoding;
  epochs: number;
  parentAccuracy: number | null;
  training?: TrainingSettings;
  /** Validation accuracy reached. */
  accuracy: number;
  strategy: string;
  /** Whether this is a job's final model (trained to the end of the budget). */
  final?: boolean;
}

/** The folder of the database: NETSPROUT_EXPERIMENTS_DIR, else the platform's per-user data folder. */
export function experimentsDir(): string {
  if (process.env.NETSPROUT_EXPERIMENTS_DIR) return process.env.NETSPROUT_EXPERIMENTS_DIR;
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? os.homedir(), 'NetSprout', 'experiments');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'NetSprout', 'experiments');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'netsprout', 'experiments');
}

const EXPERIMENTS = 'experiments.jsonl';
const DATASETS = 'datasets.jsonl';
/** This machine's training speed in its last jobs (engine/search/machineSpeed.ts), cleared with the rest. */
export const MACHINE_SPEED = 'machine-speed.jsonl';

/** The starter database shipped with NetSprout. */
export const STARTER_EXPERIMENTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../assets/tapas/starter-experiments.jsonl');

function readLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const out: T[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // A line cut short by a crash: skipped.
    }
  }
  return out;
}

export function appendExperiments(records: ExperimentRecord[], dir = experimentsDir()): void {
  if (!records.length) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(path.join(dir, EXPERIMENTS), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** This machine's experiments, and the starter database unless `starter` is false. */
export function readExperiments(opts: { dir?: string; starter?: boolean } = {}): ExperimentRecord[] {
  const own = readLines<ExperimentRecord>(path.join(opts.dir ?? experimentsDir(), EXPERIMENTS)).filter((r) => r.v === EXPERIMENT_VERSION);
  return opts.starter === false ? own : [...readLines<ExperimentRecord>(STARTER_EXPERIMENTS), ...own];
}

/** The difficulty measured for a dataset before, if any. */
export function knownDifficulty(dataset: string, dir = experimentsDir()): number | null {
  const hit = readLines<{ dataset: string; dcn: number }>(path.join(dir, DATASETS)).filter((d) => d.dataset === dataset).pop();
  return hit ? hit.dcn : null;
}

export function rememberDifficulty(dataset: string, dcn: number, dir = experimentsDir()): void {
  mkdirSync(dir, { recursive: true });
  appendFileSync(path.join(dir, DATASETS), `${JSON.stringify({ dataset, dcn })}\n`);
}

/** What the database holds: its folder, records, distinct jobs and datasets, and bytes on disk. */
export function experimentsSummary(dir = experimentsDir()): { dir: string; records: number; jobs: number; datasets: number; bytes: number; starterRecords: number } {
  const own = readExperiments({ dir, starter: false });
  const bytes = [EXPERIMENTS, DATASETS, MACHINE_SPEED].reduce((a, f) => a + (existsSync(path.join(dir, f)) ? statSync(path.join(dir, f)).size : 0), 0);
  return { dir, records: own.length, jobs: new Set(own.map((r) => r.job)).size, datasets: new Set(own.map((r) => r.dataset)).size, bytes, starterRecords: readLines(STARTER_EXPERIMENTS).length };
}

/** Empties this machine's database and its speed record (the starter database stays: it ships with NetSprout). */
export function clearExperiments(dir = experimentsDir()): void {
  rmSync(path.join(dir, EXPERIMENTS), { force: true });
  rmSync(path.join(dir, DATASETS), { force: true });
  rmSync(path.join(dir, MACHINE_SPEED), { force: true });
}
