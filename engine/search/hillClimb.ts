/**
 * Hill climbing with network morphisms (NASH, Elsken et al. 2017, Algorithm 1): from the current best network,
 * n_neigh − 1 children each get n_NM random morphisms, and the best itself is trained on as the last neighbour; all
 * are trained epoch_neigh epochs with SGDR, and the best on validation becomes the parent of the next step.
 * Steps go on while the search part of the budget allows another one; the last step may have fewer neighbours (at
 * least one child and the best itself) so that the search time is used to its end. A step's neighbour count is
 * written to the strategy's folder before it is proposed, so that a resumed job replays the step as it ran.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
    const s = this.step;
    const neighbours = this.neighboursOfStep(s, ctx, ctx.epochSeconds(parent.graph));
    if (neighbours < 2) return null;
    this.step++;
    const proposals: Proposal[] = [];
    for (let j = 1; j < neighbours; j++) {
      const { state, morphs } = growByMorphs(parent, this.params.nNM, ctx);
      proposals.push({ id: `c${s}-${j}`, parentId: this.bestId, morphs, state, inherit: true, epochs: this.params.epochNeigh });
    }
    proposals.push({ id: `c${s}-0`, parentId: this.bestId, morphs: [], state: parent, inherit: true, epochs: this.params.epochNeigh });
    return proposals;
  }

  /**
   * The neighbours of step `s`: n_neigh, or as many as the search time left allows (each a training of about the
   * parent's size; children are somewhat larger). A step proposed before (a resumed job) keeps its count.
   */
  private neighboursOfStep(s: number, ctx: StrategyContext, parentEpochSeconds: number): number {
    const dir = ctx.services?.stateDir;
    const file = dir ? path.join(dir, `hill-step-${s}.json`) : null;
    if (file && existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { neighbours: number }).neighbours;
    const affordable = Math.floor(ctx.searchSecondsLeft() / (this.params.epochNeigh * parentEpochSeconds * 1.3));
    const neighbours = Math.min(this.params.nNeigh, affordable);
    if (file && neighbours >= 2) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, JSON.stringify({ step: s, neighbours }));
      renameSync(`${file}.tmp`, file);
    }
    return neighbours;
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
