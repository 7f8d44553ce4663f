/**
 * How the portfolio strategies spend a search budget, fixed when the job is planned (and kept in the plan, so a
 * resumed job replays the same search): from the search seconds and the seconds an epoch of the seed network
 * takes here.
 */
import { hyperbandPlan } from './hyperband.js';

const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.floor(x)));

/**
 * `cellEpochSeconds`: an epoch of NCEvolve's first network (`neuroCellTemplate`), which is not the seed network: on
 * Fashion-MNIST it has 3.7 times the seed's multiply-adds and trained at about 80 s an epoch where the seed took 25–40.
 * Sized by the seed, NCEvolve would train its first network for over a quarter of a 1-hour job's search (meant: a
 * tenth) and its children for three times the epochs that fit eight generations.
 */
export function portfolioPlanParams(searchSeconds: number, seedEpochSeconds: number, cellEpochSeconds = seedEpochSeconds): Record<string, number> {
  const epochs = searchSeconds / Math.max(1e-6, seedEpochSeconds);
  const cellEpochs = searchSeconds / Math.max(1e-6, cellEpochSeconds);
  // NCEvolve: its first network trained for a tenth of the search (as hill climbing's seed), then about eight
  // generations of two children (children grow to about 1.5× the first network's cost).
  const ncEpochSeed = clamp(0.1 * cellEpochs, 1, 10);
  const ncEpochChild = clamp((0.9 * cellEpochs) / (8 * 2 * 1.5), 1, 8);
  // EAS: batches of 3 to 5 networks, about six controller steps; 1 wider + 2 deeper steps per network (4 + 5 in the
  // paper, on GPUs), 2 + 3 with more time.
  const easBatch = epochs >= 100 ? 5 : 3;
  const easEpochChild = clamp((0.9 * epochs) / (6 * easBatch * 1.5), 1, 8);
  // Hyperband++: a typical configuration costs about 1.5 seed epochs per epoch.
  const { R, eta } = hyperbandPlan(epochs / 1.5);
  // Prune and Replace: two thirds for the super-network's iterations, the rest for the derived network.
  const prIterations = epochs >= 100 ? 6 : epochs >= 30 ? 4 : 2;
  return {
    ncEpochSeed,
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
