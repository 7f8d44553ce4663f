/** The time budget of a job: wall-clock seconds for search and final training together. */
import { NetSproutError } from '../errors.js';

/** NeuNetS's presets (low 2 h, medium 5 h, high 16 h) and a 10-minute "try". */
export const BUDGET_PRESETS: Record<string, number> = { try: 600, low: 7200, medium: 18000, high: 57600 };

export function parseBudget(value: string): number {
  const preset = BUDGET_PRESETS[value.toLowerCase()];
  if (preset) return preset;
  const m = /^(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr)?$/i.exec(value.trim());
  if (!m) {
    throw new NetSproutError(
      'BUDGET_INVALID',
      `"${value}" is not a budget.`,
      'Use try (10 min), low (2 h), medium (5 h), high (16 h), or a duration such as 90s, 15m or 1.5h.',
    );
  }
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const seconds = unit.startsWith('h') ? n * 3600 : unit.startsWith('m') ? n * 60 : n;
  if (seconds < 10) throw new NetSproutError('BUDGET_INVALID', `A budget of ${seconds} s is too short to train anything.`, 'Give at least 10 seconds.');
  return seconds;
}

/**
 * What one training sample costs, in multiply-add equivalents: the network's multiply-adds, plus its elementwise work
 * (batch norm, activations, additions, pooling: memory-bound, about 16 multiply-adds per float of every layer output),
 * plus the optimiser's update of every weight once a step (about 600 per weight, shared by the batch's samples), plus
 * 1e5 for the input pipeline. Multiply-adds alone put a SpamAssassin text network shrunk to its embedding (128
 * multiply-adds, 1.28M weights) at a hundredth of its parent's time; it took three quarters. The two factors are fitted
 * to the 129 candidates that the 15-minute bench:strategies runs trained on this 2-core VM (WASM backend). Predicting
 * each candidate's epoch from the candidates trained before it, as a job does (`updateSpeedEstimate`), the median error
 * fell from 34% to 21% on SpamAssassin and from 33% to 18% on Fashion-MNIST. The job's measured speed scales the whole.
 */
export const ACTIVATION_WORK = 16;
export const WEIGHT_UPDATE_WORK = 600;

export interface WorkMetrics {
  macs: number;
  activationElements: number;
  params: number;
}

export function trainingWork(m: WorkMetrics, batchSize: number): number {
  return m.macs + ACTIVATION_WORK * m.activationElements + (WEIGHT_UPDATE_WORK * m.params) / batchSize + 1e5;
}

/** A forward pass: no gradients and no weight update (the job counts it at a third of a training sample's time). */
export function inferenceWork(m: WorkMetrics): number {
  return m.macs + ACTIVATION_WORK * m.activationElements + 1e5;
}

/**
 * The speed journalled by a job's throughput probe, in seconds per training sample per unit of `trainingWork`; 0 when
 * there is none. A journal written before the work model holds seconds per (multiply-add + 1e5) instead, converted
 * here so that the seed network's time per sample stays what was measured.
 */
export function journalledSpeed(e: Record<string, unknown> | undefined, seed: WorkMetrics, batchSize: number): number {
  const current = Number(e?.secPerSampleWork ?? 0);
  if (current > 0) return current;
  const old = Number(e?.secPerSamplePerMac ?? 0);
  return old > 0 ? (old * (seed.macs + 1e5)) / trainingWork(seed, batchSize) : 0;
}

/**
 * The job's speed estimate (seconds per training sample per unit of `trainingWork`) after a training that ran at `observed`:
 * an average over the trainings so far, weighted to the recent ones, in which one training counts as at most three
 * times faster or slower than the estimate. The work model misses some of what a network costs, and a network whose
 * time goes elsewhere (before weight updates were counted, a text network shrunk to its embedding: 128 multiply-adds,
 * 36 s an epoch) would otherwise multiply it more than twentyfold, and every plan after it would expect candidates to
 * take far longer than they do.
 */
export function updateSpeedEstimate(estimate: number, observed: number): number {
  return 0.7 * estimate + 0.3 * Math.min(3 * estimate, Math.max(estimate / 3, observed));
}
