/**
 * How the portfolio strategies spend a search budget, fixed when the job is planned (and kept in the plan, so a
 * resumed job replays the same search): from the search seconds and the seconds an epoch of the seed network
 * takes here.
 */
import { hyperbandPlan } from './hyperband.js';

const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.floor(x)));

export function portfolioPlanParams(searchSeconds: number, seedEpochSeconds: number): Record<string, number> {
  const epochs = searchSeconds / Math.max(1e-6, seedEpochSeconds);
  // NCEvolve: about eight generations of two children (children grow to about 1.5× the seed's cost).
  const ncEpochChild = clamp((0.9 * epochs) / (8 * 2 * 1.5), 1, 8);
  // EAS: batches of 3 to 5 networks, about six controller steps; 1 wider + 2 deeper steps per network (4 + 5 in the
  // paper, on GPUs), 2 + 3 with more time.
  const easBatch = epochs >= 100 ? 5 : 3;
  const easEpochChild = clamp((0.9 * epochs) / (6 * easBatch * 1.5), 1, 8);
  // Hyperband++: a typical configuration costs about 1.5 seed epochs per epoch.
  const { R, eta } = hyperbandPlan(epochs / 1.5);
  // Prune and Replace: two thirds for the super-network's iterations, the rest for the derived network.
  const prIterations = epochs >= 100 ? 6 : epochs >= 30 ? 4 : 2;
  return {
    ncEpochChild,
    easBatch,
    easEpochChild,
    easWider: epochs >= 200 ? 2 : 1,
    easDeeper: epochs >= 200 ? 3 : 2,
    easStage: easBatch * 4,
    hbR: R,
    hbEta: eta,
    prIterations,
    prIterationSeconds: Math.max(1, Math.floor((0.65 * searchSeconds) / prIterations)),
    prDerivedEpochs: clamp((0.3 * epochs) / 2, 1, 10),
  };
}
