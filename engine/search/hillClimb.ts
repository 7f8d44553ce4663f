/**
 * Hill climbing with network morphisms (NASH, Elsken et al. 2017, Algorithm 1): from the current best network,
 * n_neigh − 1 children each get n_NM random morphisms, and the best itself is trained on as the last neighbour; all
 * are trained epoch_neigh epochs with SGDR, and the best on validation becomes the parent of the next step.
 * Steps go on while the search part of the budget allows another one; the last step may have fewer neighbours (at
 * least one child and the best itself) so that the search time is used to its end. A step's count of children is
 * written to the strategy's folder before it is proposed, so that a resumed job replays the step as it ran.
 *
 * A neighbour stays near its parent in cost too: a child's epoch may cost at most `maxGrowth` times its parent's
 * (morphisms that would make it dearer are drawn again). NASH's steps are counted, ours are paid from a time budget:
 * unbounded, three morphisms could make a child 5–9 times dearer than the seed (wider and deeper at full
 * resolution), and a 15-minute search on Fashion-MNIST had time for a single step.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type CandidateResult, CHILD_MAX_GROWTH, growByMorphs, type Proposal, scratchProposal, type SearchStrategy, type StrategyContext } from './strategy.js';

export interface HillClimbParams {
  nNeigh: number;
  nNM: number;
  epochNeigh: number;
  /** Epochs to train the seed network before the first step. */
  epochSeed: number;
  /** The most a child's epoch may cost, as a multiple of its parent's (the ratio of their training work); CHILD_MAX_GROWTH by default. */
  maxGrowth?: number;
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
    const children: Proposal[] = [];
    const maxCost = (this.params.maxGrowth ?? CHILD_MAX_GROWTH) * ctx.epochSeconds(parent.graph);
    for (let j = 1; j < this.params.nNeigh; j++) {
      const { state, morphs } = growByMorphs(parent, this.params.nNM, ctx, (g) => ctx.epochSeconds(g) <= maxCost);
      children.push({ id: `c${s}-${j}`, parentId: this.bestId, morphs, state, inherit: true, epochs: this.params.epochNeigh });
    }
    const best: Proposal = { id: `c${s}-0`, parentId: this.bestId, morphs: [], state: parent, inherit: true, epochs: this.params.epochNeigh };
    const kept = this.childrenOfStep(s, ctx, children, best);
    if (kept === 0) return null;
    this.step++;
    return [...children.slice(0, kept), best];
  }

  /**
   * How many of the step's children are trained: all of them, or as many as the search time left allows beside the
   * best itself, each costed by its own size (a child can have several times its parent's multiply-adds). A step
   * proposed before (a resumed job) keeps its count; the children are drawn either way, so the draws replay alike.
   */
  private childrenOfStep(s: number, ctx: StrategyContext, children: Proposal[], best: Proposal): number {
    const dir = ctx.services?.stateDir;
    const file = dir ? path.join(dir, `hill-step-${s}.json`) : null;
    if (file && existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { children: number }).children;
    const cost = (p: Proposal) => p.epochs * ctx.epochSeconds(p.state.graph);
    let left = ctx.searchSecondsLeft() - cost(best);
    let kept = 0;
    for (const c of children) {
      if (cost(c) > left) break;
      left -= cost(c);
      kept++;
    }
    if (file && kept > 0) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, JSON.stringify({ step: s, children: kept }));
      renameSync(`${file}.tmp`, file);
    }
    return kept;
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
