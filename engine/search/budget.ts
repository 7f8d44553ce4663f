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
