/**
 * Hill climbing with network morphisms (NASH, Elsken et al. 2017, Algorithm 1): from the current best network,
 * n_neigh − 1 children each get n_NM random morphisms, and the best itself is trained on as the last neighbour; all
 * are trained epoch_neigh epochs with SGDR, and the best on validation becomes the parent of the next step.
 * Steps go on while the search part of the budget allows another one.
 */
import { type CandidateResult, growByMorphs, type Proposal, scratchProposal, type SearchStrategy, type StrategyContext } from './strategy.js';

export interface HillClimbParams {
  nNeigh: number;
  nNM: number;
  epochNeigh: number;
  /** Epochs to train the seed network before the first step. */
  epochSeed: number;
}

export class HillClimb implements SearchStrategy {
  readonly name = 'hill';
  private step = 0;
  private bestId: string | null = null;
  private bestAccuracy = -1;
  private improved = true;

  constructor(readonly params: HillClimbParams) {}

  async nextGeneration(ctx: StrategyContext): Promise<Proposal[] | null> {
    if (this.bestId === null) {
      if (this.step > 0) return null;
      this.step = 1;
      return [scratchProposal('c0', ctx.seed, this.params.epochSeed)];
    }
    const parent = await ctx.loadState(this.bestId);
    // The step's cost: n_neigh trainings of about the parent's size (children are somewhat larger).
    const stepSeconds = this.params.nNeigh * this.params.epochNeigh * ctx.epochSeconds(parent.graph) * 1.3;
    if (stepSeconds > ctx.searchSecondsLeft()) return null;
    const s = this.step++;
    const proposals: Proposal[] = [];
    for (let j = 1; j < this.params.nNeigh; j++) {
      const { state, morphs } = growByMorphs(parent, this.params.nNM, ctx);
      proposals.push({ id: `c${s}-${j}`, parentId: this.bestId, morphs, state, inherit: true, epochs: this.params.epochNeigh });
    }
    proposals.push({ id: `c${s}-0`, parentId: this.bestId, morphs: [], state: parent, inherit: true, epochs: this.params.epochNeigh });
    return proposals;
  }

  observe(results: CandidateResult[]): void {
    const trained = results.filter((r) => r.status === 'trained');
    if (!trained.length) return;
    const best = trained.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    this.improved = best.accuracy > this.bestAccuracy;
    // The current best trained on is a neighbour too: the best of the step is the new parent either way.
    this.bestId = best.id;
    this.bestAccuracy = best.accuracy;
  }

  assess() {
    return { bestId: this.bestId, bestAccuracy: this.bestAccuracy, improved: this.improved };
  }

  keep(): Set<string> {
    return new Set(this.bestId ? [this.bestId] : []);
  }
}
