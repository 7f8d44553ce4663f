/**
 * One interface for every search strategy (NeuNetS §3.4): initialised with the data and the budget, it proposes
 * candidates a generation at a time, receives their results, and says how the search is going.
 * Strategies are deterministic given their seed and the results they observe, so a resumed job replays them exactly.
 */
import type { Graph } from '../graph/types.js';
import { randomMorph } from '../morph/morphCatalogue.js';
import { MorphError, type ModelState, type MorphRecord, type MorphResult } from '../morph/modelState.js';
import type { SeededRandom } from '../train/seededRandom.js';
import type { StrategyServices, TrainingSettings } from './strategyServices.js';
import type { CandidateCosts, ObjectiveSpace } from './objectives.js';

export interface CandidateResult {
  id: string;
  parentId: string | null;
  morphs: MorphRecord[];
  accuracyInherited: number | null;
  accuracy: number;
  params: number;
  macs: number;
  /** Bytes of the weights as float32. */
  sizeBytes: number;
  /** Latency at batch 1 on the job's target device, as its profile predicts (null without a target). */
  latencyPredictedMs: number | null;
  seconds: number;
  /** Seconds its evaluation on the validation split took after training (trained candidates; for the time the front's test and the final training keep back). */
  evalSeconds?: number;
  epochs: number;
  status: 'trained' | 'failed';
  reason?: string;
}

export interface Proposal {
  id: string;
  parentId: string | null;
  morphs: MorphRecord[];
  /** The network to train, with its inherited (or fresh) weights. */
  state: ModelState;
  /** Train from these weights (false: from the fresh initialisation of `state.graph`). */
  inherit: boolean;
  epochs: number;
  /** Training hyper-parameters for this candidate (Hyperband++ searches them); the job's defaults otherwise. */
  training?: TrainingSettings;
  /** The train-less accuracy prediction (TAPAS) made before training, for the journal. */
  predictedAccuracy?: number;
}

export interface StrategyContext {
  seed: Graph;
  rng: SeededRandom;
  /** The trained weights of a finished candidate (from its checkpoint). */
  loadState(id: string): Promise<ModelState>;
  /** Seconds an epoch of this graph is expected to take on this machine. */
  epochSeconds(graph: Graph): number;
  /** Seconds left for the search part of the budget. */
  searchSecondsLeft(): number;
  /** Whether a graph is within the job's limits (parameters, size, predicted latency, training memory). */
  fits(graph: Graph): boolean;
  /** The job's services for the portfolio strategies (seed, state folder, journal, accuracy predictor, data). */
  services?: StrategyServices;
  /** What a graph costs before training (parameters, size, latency predicted on the target device). */
  costs(graph: Graph): CandidateCosts;
  /** The job's objectives (all minimised) and the reference point of its hypervolume. */
  objectives: ObjectiveSpace;
}

export interface SearchStrategy {
  readonly name: string;
  /** The next candidates to train, or null when the search is over. */
  nextGeneration(ctx: StrategyContext): Promise<Proposal[] | null>;
  observe(results: CandidateResult[]): void;
  /** The best candidate so far, and whether the last generation improved on it. */
  assess(): { bestId: string | null; bestAccuracy: number; improved: boolean };
  /** Candidates whose checkpoints the strategy may still build on. */
  keep(): Set<string>;
}

/** The most accurate trained candidate so far, and whether the last results improved on it: what `assess` reports. */
export class BestSoFar {
  id: string | null = null;
  accuracy = -1;
  improved = false;

  observe(results: CandidateResult[]): void {
    this.improved = false;
    for (const r of results) {
      if (r.status === 'trained' && r.accuracy > this.accuracy) {
        this.accuracy = r.accuracy;
        this.id = r.id;
        this.improved = true;
      }
    }
  }

  assess(): { bestId: string | null; bestAccuracy: number; improved: boolean } {
    return { bestId: this.id, bestAccuracy: this.accuracy, improved: this.improved };
  }
}

/** A network trained from scratch: no parent, no morphisms, the fresh initialisation of `graph`. */
export function scratchProposal(id: string, graph: Graph, epochs: number, training?: TrainingSettings): Proposal {
  return { id, parentId: null, morphs: [], state: { graph, weights: new Map() }, inherit: false, epochs, ...(training ? { training } : {}) };
}

/**
 * The trained states of a population (by candidate id), or null when not even half of a generation of `children`
 * children, `epochs` epochs each at the population's slowest epoch, fits in the search time left (the job's hard
 * end would cut the rest).
 */
export async function populationStatesIfTime(ctx: StrategyContext, population: CandidateResult[], children: number, epochs: number): Promise<Map<string, ModelState> | null> {
  const states = new Map<string, ModelState>();
  for (const p of population) states.set(p.id, await ctx.loadState(p.id));
  const slowest = Math.max(...[...states.values()].map((s) => ctx.epochSeconds(s.graph)));
  return 0.5 * children * epochs * slowest > ctx.searchSecondsLeft() ? null : states;
}

/**
 * The most a child grown by morphisms may cost per epoch, as a multiple of the network it grew from (hill climbing's
 * parent, Bayesian optimisation's observed ancestor). Without it, three random morphisms made a Fashion-MNIST child up
 * to 23 times dearer than the seed, and Bayesian optimisation's acquisition picked a network of 1.05 million parameters
 * (the seed has 5,274) whose one epoch took 491 s of a 670-s search.
 */
export const CHILD_MAX_GROWTH = 2;

/** Draws of a morphism that `growByMorphs` makes before it ends a chain whose next morphism is not accepted. */
const GROWTH_REDRAWS = 4;

/**
 * Applies up to `length` random morphisms to `state` (ApplyNetMorphs in NASH), stopping early when no morphism applies
 * or the network would exceed the size limits. With `accept`, a morphism whose network it refuses is drawn again
 * (a few times; the same draws for the same random state, so a resumed job replays them).
 */
export function growByMorphs(state: ModelState, length: number, ctx: StrategyContext, accept?: (g: Graph) => boolean): { state: ModelState; morphs: MorphRecord[] } {
  const morphs: MorphRecord[] = [];
  for (let k = 0; k < length; k++) {
    // A morphism the caller does not accept is drawn again, a few times at most (then the chain ends there).
    let next: MorphResult | null = null;
    try {
      for (let draw = 0; draw < GROWTH_REDRAWS && !next; draw++) {
        const drawn = randomMorph(state, ctx.rng);
        if (!ctx.fits(drawn.graph)) break;
        if (!accept || accept(drawn.graph)) next = drawn;
      }
    } catch (e) {
      if (!(e instanceof MorphError)) throw e;
    }
    if (!next) break;
    state = next;
    morphs.push(next.record);
  }
  return { state, morphs };
}
