/**
 * What the job offers strategies beyond the core interface (strategy.ts `StrategyContext.services`): the job's seed
 * and a folder for a strategy's own state, the results already in the journal (a resumed job replays its
 * generations), the train-less accuracy predictor (TAPAS), journal events, and — for strategies that train on
 * their own, like Prune and Replace's super-network — the data and a training deadline.
 */
import type { DataKind } from '../data/detectKind.js';
import type { Graph } from '../graph/types.js';
import { makeRandom, type SeededRandom } from '../train/seededRandom.js';
import type { TrainData, TrainProgress } from '../train/trainer.js';
import type { CandidateResult, Proposal } from './strategy.js';

/** Training hyper-parameters of one candidate (Hyperband++ searches them); the job's defaults fill the rest. */
export interface TrainingSettings {
  optimizer?: 'sgd' | 'adam';
  lrStart?: number;
  lrEnd?: number;
  momentum?: number;
  weightDecay?: number;
}

/** What the accuracy predictor is told about a candidate besides its architecture. */
export interface PredictionQuery {
  graph: Graph;
  epochs: number;
  /** The validation accuracy of the network it was morphed from (its weights are inherited), or null from scratch. */
  parentAccuracy: number | null;
  training?: TrainingSettings;
}

/** Data and training limits for a strategy that trains a network of its own (not a candidate). */
export interface SearchWorkbench {
  train: TrainData;
  validation: TrainData;
  inputShape: number[];
  numClasses: number;
  batchSize: number;
  /** Training memory allowed (bytes), as for candidates. */
  memoryLimitBytes: number;
  /** performance.now() milliseconds at which the search phase ends: training must stop there. */
  deadline: number;
  signal?: AbortSignal;
  onProgress(p: TrainProgress): void;
}

export interface StrategyServices {
  /** The job's seed (strategies derive their own generators from it). */
  jobSeed: number;
  /** A folder inside the job for the strategy's own state (controller weights, a super-network). */
  stateDir: string;
  dataKind: DataKind;
  /** The result of a candidate already in the journal (a resumed job replays its generations), if any. */
  completed(id: string): CandidateResult | undefined;
  /** Predicted validation accuracy of each query (TAPAS), or null when no predictor could be fitted. */
  predictAccuracy: ((queries: PredictionQuery[]) => number[]) | null;
  /** Appends a strategy event to the journal (`{type: 'strategy', strategy, ...}`). */
  record(event: Record<string, unknown>): void;
  /** A line for the job's log. */
  log(message: string): void;
  workbench?: SearchWorkbench;
}

/** A generator for one step of a strategy, from the job's seed and a label: replaying a step draws the same numbers. */
export function stepRandom(jobSeed: number, label: string): SeededRandom {
  let h = 2166136261 ^ jobSeed;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619);
  return makeRandom(h >>> 0);
}

/**
 * Keeps the `keep` most promising of `candidates` by predicted accuracy (ties and no predictor: the first ones),
 * in their original order, each with its prediction (TAPAS used to skip unpromising candidates).
 */
export function screenByPrediction<T extends { proposal: Proposal; query: PredictionQuery }>(candidates: T[], keep: number, services: StrategyServices | undefined): T[] {
  if (candidates.length <= keep || !services?.predictAccuracy) {
    const kept = candidates.slice(0, keep);
    if (services?.predictAccuracy && kept.length) services.predictAccuracy(kept.map((c) => c.query)).forEach((p, i) => (kept[i].proposal.predictedAccuracy = p));
    return kept;
  }
  const predicted = services.predictAccuracy(candidates.map((c) => c.query));
  candidates.forEach((c, i) => (c.proposal.predictedAccuracy = predicted[i]));
  const order = candidates.map((_, i) => i).sort((a, b) => predicted[b] - predicted[a] || a - b);
  const chosen = new Set(order.slice(0, keep));
  return candidates.filter((_, i) => chosen.has(i));
}
