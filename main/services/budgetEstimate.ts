/**
 * What each budget preset buys on this machine: from the seed network's measured epoch time, the search plan a
 * job would make (as engine/search/searchJob.ts plans: a quarter of the budget for the final training, the seed
 * trained up to 10 epochs with a tenth of the search time, neighbours of 1 to 8 epochs at about 1.5 times the
 * seed's cost) and so roughly how many candidates it trains.
 */
import { BUDGET_PRESETS } from '../../engine/search/budget.js';
import type { ThroughputResult } from '../../engine/protocol/messages.js';
import { BUDGET_PRESET_NAMES, type BudgetEstimate } from '../common/appApi.js';

const FINAL_SHARE = 0.25;
const NEIGHBOURS = 4;
const GROWTH = 1.5;

export function presetEstimate(seconds: number, epochSeconds: number): { candidates: number; seedEpochs: number } {
  const seedEpoch = Math.max(1e-3, epochSeconds);
  const search = seconds * (1 - FINAL_SHARE);
  const seedEpochs = Math.max(1, Math.min(10, Math.floor((0.1 * search) / seedEpoch)));
  const neighbourEpochs = Math.max(1, Math.min(8, Math.floor((0.9 * search) / 6 / (NEIGHBOURS * GROWTH * seedEpoch))));
  const left = search - seedEpochs * seedEpoch;
  const candidates = left > 0 ? 1 + Math.floor(left / (neighbourEpochs * GROWTH * seedEpoch)) : 1;
  return { candidates, seedEpochs };
}

export function budgetEstimate(throughput: ThroughputResult): BudgetEstimate {
  return {
    throughput,
    presets: BUDGET_PRESET_NAMES.map((name) => ({ name, seconds: BUDGET_PRESETS[name], ...presetEstimate(BUDGET_PRESETS[name], throughput.epochSeconds) })),
  };
}
