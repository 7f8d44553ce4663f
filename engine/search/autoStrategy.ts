/**
 * `--strategy auto`: NeuNetS picks a synthesis algorithm per job (§4.1: "NeuNetS will select the best optimization
 * strategy"); these are NetSprout's rules, in order, from what is known before the search starts — whether a
 * target device is set, the kind of data, the budget in epochs of the seed network it affords, and the dataset's
 * difficulty (TAPAS's DCN, the probe network's accuracy). The reasons go to the job's log.
 *
 * 1. A latency limit on the target device → pareto: only the multi-objective search keeps the accuracy–latency
 *    front a limit asks for. (Every app job has a target device; without a limit, accuracy comes first.)
 * 2. Fewer than 10 seed epochs in the search budget → hill: too little for a population or a super-network;
 *    hill climbing spends it on a few networks that keep their weights and grow.
 * 3. Text with fewer than 40 seed epochs → ncevolve (below).
 * 4. Tables and text → hyperband: small networks whose accuracy hangs on the learning rate and regularisation as
 *    much as on their shape (and few morphisms apply to them); Hyperband++ searches both and stops bad ones early.
 * 5. Images, at least 360 seed epochs, hard data (DCN < 0.8) → prune-replace: the super-network compares many
 *    candidate operations at the cost of one network, which pays off only with time for its iterations. The bound was
 *    150 until a 1-hour Fashion-MNIST job's throughput probe made it about 185 seed epochs on the 2-core AMD EPYC VM
 *    (136 at an earlier commit, which chose NCEvolve); at 1 hour NCEvolve reached 92.97–93.66% in three runs and
 *    prune-replace 92.43% in one, so prune-replace waits for budgets about twice that long, where it is not measured.
 * 6. Images, not easy (DCN < 0.95) → ncevolve: a population of cell networks, mutated alike by function-preserving
 *    operations (so a child starts where its parent stopped, as in hill climbing), explores more than one
 *    hill-climbing lineage.
 * 7. Otherwise → hill.
 * Rules 3 and 6 below 40 epochs come from `npm run bench:strategies` at 15 minutes (about 12 seed epochs of the
 * SpamAssassin text network, 15 of the Fashion-MNIST image network). NCEvolve was ahead of hill climbing, which these
 * rules picked before (15 epochs was the bound of rule 2), on both: 99.17% against 98.68% on SpamAssassin, level
 * best there with NSGA-II; on Fashion-MNIST 90.62% against 89.85% at one commit, and 91.54% against 90.94% with
 * faster separable convolutions, the best of every strategy there (Hyperband++ next, 91.21%). One run per strategy,
 * so margins under a point are within the spread of seeds. Every strategy ran again at engine tree 97a0312 on a
 * 2-core AMD EPYC VM (about 21 and 68 seed epochs): with NCEvolve picked, auto reached 98.95% over three seeds on
 * SpamAssassin, level with random search (98.90%) and hill climbing (98.84%) with half their parameters, and 92.22%
 * on Fashion-MNIST on seed 0, ahead of every single strategy there (92.60% over three seeds).
 * EAS and Bayesian optimisation are never picked: EAS's controller needs hundreds of networks to learn (the paper
 * samples 450), and the Gaussian process of Bayesian optimisation costs more as the history grows.
 */
import type { DataKind } from '../data/detectKind.js';

export const CONCRETE_STRATEGIES = ['hill', 'bayes', 'random', 'pareto', 'nsga2', 'ncevolve', 'eas', 'hyperband', 'prune-replace'] as const;
export type ConcreteStrategy = (typeof CONCRETE_STRATEGIES)[number];

/** The strategy the app uses unless the user picks one (the CLI keeps `hill`). */
export const APP_DEFAULT_STRATEGY = 'auto';

/** Seed epochs of search from which hard image data goes to prune-replace (rule 5). */
const PRUNE_REPLACE_MIN_EPOCHS = 360;

export interface AutoInputs {
  kind: DataKind;
  trainCount: number;
  classes: number;
  /** The dataset's difficulty number (probe accuracy, higher is easier), or null when unknown. */
  dcn: number | null;
  searchSeconds: number;
  /** Seconds an epoch of the seed network takes here. */
  seedEpochSeconds: number;
  /** Whether the job has a latency limit on its target device. */
  latencyLimit: boolean;
}

export function chooseStrategy(i: AutoInputs): { strategy: ConcreteStrategy; reasons: string[] } {
  const epochs = i.searchSeconds / Math.max(1e-6, i.seedEpochSeconds);
  const budget = `the search budget affords about ${Math.round(epochs)} epochs of the seed network`;
  const difficulty = i.dcn === null ? 'difficulty unknown' : `difficulty (probe accuracy) ${i.dcn.toFixed(2)}`;
  if (i.latencyLimit) return { strategy: 'pareto', reasons: ['a latency limit is set: the multi-objective search keeps the front of accuracy against latency and size'] };
  if (epochs < 10) return { strategy: 'hill', reasons: [`${budget}, too few for a population or a super-network: hill climbing grows a few networks that keep their weights`] };
  const cells = 'a population of cell networks mutated alike, each child starting from its parent\'s weights';
  if (i.kind === 'text' && epochs < 40) return { strategy: 'ncevolve', reasons: [`text data and ${budget}: ${cells}, did best on text at such budgets`] };
  if (i.kind === 'table' || i.kind === 'text') return { strategy: 'hyperband', reasons: [`${i.kind} data: the accuracy of small networks depends on learning rate and regularisation as much as on shape; Hyperband++ searches both and stops poor configurations early`, budget] };
  const dcn = i.dcn ?? 0.5;
  if (epochs >= PRUNE_REPLACE_MIN_EPOCHS && dcn < 0.8) return { strategy: 'prune-replace', reasons: [`${budget} and the data is hard (${difficulty}): a super-network ranks many candidate operations at the cost of one network`] };
  if (dcn < 0.95) return { strategy: 'ncevolve', reasons: [`${budget} (${difficulty}): ${cells}, explores more than one hill-climbing lineage`] };
  return { strategy: 'hill', reasons: [`${budget} (${difficulty}): hill climbing with morphisms`] };
}
