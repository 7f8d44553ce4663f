/**
 * What a search job is asked to do (job.json), the strategies it may use with a one-line explanation of each, and
 * createJob, which writes a new job folder. Kept apart from the job runner (searchJob.ts, which loads TensorFlow.js)
 * so that the app and the command line can make a job and list the strategies without loading a backend;
 * searchJob.ts re-exports all of it.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DataKind } from '../data/detectKind.js';
import { NetSproutError } from '../errors.js';

export const ENGINE_VERSION = '0.1.0';
export const STRATEGIES = ['hill', 'bayes', 'random', 'pareto', 'nsga2', 'ncevolve', 'eas', 'hyperband', 'prune-replace', 'auto'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** Each strategy in plain words, for people who choose one (the app's Review step, the command line's help). */
export const STRATEGY_INFO: Record<StrategyName, { title: string; summary: string }> = {
  auto: { title: 'Automatic', summary: 'NetSprout picks a strategy for your data, budget and limits, and says why in the log.' },
  hill: { title: 'Hill climbing (NASH)', summary: 'Grows the best network so far a few steps at a time, keeping what it has learnt.' },
  bayes: { title: 'Bayesian optimisation (Auto-Keras)', summary: 'Learns which changes have paid off so far to choose the next networks to try.' },
  random: { title: 'Random search', summary: 'Tries random networks and random changes: a baseline to compare the others with.' },
  pareto: { title: 'Pareto evolution (LEMONADE)', summary: 'Keeps a family of networks with the best trade-offs of accuracy, speed and size.' },
  nsga2: { title: 'NSGA-II evolution', summary: 'Evolves a population ranked by its trade-offs of accuracy, speed and size.' },
  ncevolve: { title: 'NCEvolve (cells)', summary: 'Evolves networks built of repeated cells, changing every cell alike.' },
  eas: { title: 'Reinforcement-learning controller (EAS)', summary: 'A small learning controller decides how to widen and deepen the networks.' },
  hyperband: { title: 'Hyperband++', summary: 'Tries many designs and training settings briefly, and trains on only the most promising.' },
  'prune-replace': { title: 'Prune and replace', summary: 'Trains one large network of many options at once and keeps its best parts (pictures only).' },
};

export interface JobSpec {
  version: 1;
  engineVersion: string;
  data: string;
  kind?: DataKind;
  /** The column to predict in a table or text CSV. */
  target?: string;
  /** Use at most this many training examples (a seeded subset). */
  limit?: number;
  budgetSeconds: number;
  seed: number;
  strategy: StrategyName;
  maxParams: number;
  /** The device the model must run on: a built-in target (cpu, gpu, browser) or a device profile file. */
  targetDevice?: string;
  /** Hard limits: latency per input at batch 1 on the target device (ms), size of the weights (MB, 10^6 bytes). */
  maxLatencyMs?: number;
  maxSizeMb?: number;
  createdAt: string;
}

export const DEFAULT_MAX_PARAMS = 3_000_000;

/**
 * Refuses a strategy name that no search implements: a misspelt name from a script or a hand-edited job.json
 * would otherwise run another search under the name asked for.
 */
export function checkStrategy(name: unknown, files: string[] = []): asserts name is StrategyName {
  if (typeof name === 'string' && (STRATEGIES as readonly string[]).includes(name)) return;
  throw new NetSproutError(
    'UNKNOWN_STRATEGY',
    `"${String(name)}" is not a search strategy.`,
    `Use one of ${STRATEGIES.join(', ')} (auto picks one for the data and budget).`,
    files,
  );
}

export async function createJob(jobDir: string, spec: Omit<JobSpec, 'version' | 'engineVersion' | 'createdAt' | 'maxParams'> & { maxParams?: number }): Promise<JobSpec> {
  if (existsSync(path.join(jobDir, 'job.json'))) {
    throw new NetSproutError('JOB_EXISTS', `${jobDir} already holds a job.`, 'Resume it with `netsprout resume`, or choose another --out folder.', [jobDir]);
  }
  checkStrategy(spec.strategy);
  if (spec.maxLatencyMs !== undefined && !spec.targetDevice) {
    throw new NetSproutError('LATENCY_LIMIT_WITHOUT_TARGET', 'A latency limit needs a target device to predict latency on.', 'Add --target cpu (this computer), gpu, browser, or a device profile file.');
  }
  await mkdir(path.join(jobDir, 'candidates'), { recursive: true });
  const full: JobSpec = { version: 1, engineVersion: ENGINE_VERSION, createdAt: new Date().toISOString(), ...spec, maxParams: spec.maxParams ?? DEFAULT_MAX_PARAMS };
  await writeFile(path.join(jobDir, 'job.json'), JSON.stringify(full, null, 2));
  return full;
}
