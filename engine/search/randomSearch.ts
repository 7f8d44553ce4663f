/**
 * The baseline the other strategies must beat (NASH §5.1.1): random networks trained without selection, half of
 * them random morphism chains grown from the trained seed, half random networks trained from scratch (a random chain
 * applied to the seed, then reinitialised). The best on validation is kept.
 */
import { BestSoFar, type CandidateResult, growByMorphs, type Proposal, scratchProposal, type SearchStrategy, type StrategyContext } from './strategy.js';

export class RandomSearch implements SearchStrategy {
  readonly name = 'random';
  private n = 0;
  private readonly best = new BestSoFar();

  constructor(readonly params: { chainLength: number; epochs: number; epochSeed: number; batch: number }) {}

  async nextGeneration(ctx: StrategyContext): Promise<Proposal[] | null> {
    if (this.n === 0) {
      this.n = 1;
      return [scratchProposal('c0', ctx.seed, this.params.epochSeed)];
    }
    const seed = await ctx.loadState('c0');
    const out: Proposal[] = [];
    for (let j = 0; j < this.params.batch; j++) {
      const { state, morphs } = growByMorphs(seed, 1 + ctx.rng.int(this.params.chainLength * 2), ctx);
      const fromScratch = ctx.rng.next() < 0.5;
      // Random morph chains grow networks; training from scratch needs more epochs to be fair.
      const epochs = fromScratch ? this.params.epochs * 2 : this.params.epochs;
      if (ctx.epochSeconds(state.graph) * epochs * (out.length + 1) > ctx.searchSecondsLeft()) break;
      out.push({ id: `r${this.n++}`, parentId: fromScratch ? null : 'c0', morphs, state, inherit: !fromScratch, epochs });
    }
    return out.length ? out : null;
  }

  observe(results: CandidateResult[]): void {
    this.best.observe(results);
  }

  assess() {
    return this.best.assess();
  }

  keep(): Set<string> {
    return new Set(['c0', ...(this.best.id ? [this.best.id] : [])]);
  }
}
