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
 * The job's speed estimate (seconds per training sample per multiply-add) after a training that ran at `observed`:
 * an average over the trainings so far, weighted to the recent ones, in which one training counts as at most three
 * times faster or slower than the estimate. The estimate scales with multiply-adds, and a network whose time goes
 * elsewhere (on SpamAssassin, a text network shrunk to its embedding: 128 multiply-adds, 36 s an epoch) would
 * otherwise multiply it more than twentyfold, and every plan after it would expect candidates to take far longer
 * than they do.
 */
export function updateSpeedEstimate(estimate: number, observed: number): number {
  return 0.7 * estimate + 0.3 * Math.min(3 * estimate, Math.max(estimate / 3, observed));
}
