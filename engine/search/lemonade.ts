/**
 * Lamarckian evolution over network morphisms for several objectives, after LEMONADE (Elsken, Metzen and Hutter,
 * ICLR 2019, Algorithm 1), the `pareto` strategy:
 *  - the population is the non-dominated set of every network trained so far (error, predicted latency, size);
 *  - a kernel density estimate is fitted to the population's cheap objectives (predicted latency and size, known
 *    before training, in log space);
 *  - `generated` parents are drawn with probability ∝ 1/density, so that sparse regions of the front get more
 *    children; each child is its parent changed by growing morphisms or shrinking operators (engine/search/offspring.ts)
 *    and must keep the job's limits (those that break one are never trained);
 *  - of the children, `accepted` are drawn without replacement, again with probability ∝ 1/density of their cheap
 *    objectives under the population's estimate; only these are trained, from their inherited weights (Lamarckian:
 *    the parent's training is kept), for `epochChild` epochs; the shrunk ones are fine-tuned by that training.
 * The seed network is trained first. Every draw comes from the job's seeded generator and the observed results, so a
 * resumed job replays the same generations.
 */
import { graphHash } from '../graph/serialize.js';
import type { MorphRecord, ModelState } from '../morph/modelState.js';
import { sampleByInverseDensity } from './densitySampling.js';
import { cheapVector, nonDominated, type ObjectiveName } from './objectives.js';
import { makeChild, type OffspringOptions } from './offspring.js';
import { BestSoFar, type CandidateResult, populationStatesIfTime, type Proposal, scratchProposal, type SearchStrategy, type StrategyContext } from './strategy.js';

export interface LemonadeParams {
  epochSeed: number;
  epochChild: number;
  /** Children generated per generation (LEMONADE's n_pc). */
  generated: number;
  /** Children trained per generation (n_ac). */
  accepted: number;
  objectives: ObjectiveName[];
  offspring?: Partial<OffspringOptions>;
}

interface Child {
  parentId: string;
  state: ModelState;
  morphs: MorphRecord[];
  cheap: number[];
}

export class Lemonade implements SearchStrategy {
  readonly name = 'pareto';
  private generation = 0;
  private readonly trained: CandidateResult[] = [];
  private population: CandidateResult[] = [];
  private readonly seen = new Set<string>();
  private readonly best = new BestSoFar();
  private barren = 0;

  constructor(readonly params: LemonadeParams) {}

  private get offspring(): OffspringOptions {
    return { shrinkShare: 0.5, maxOps: 2, ...this.params.offspring };
  }

  async nextGeneration(ctx: StrategyContext): Promise<Proposal[] | null> {
    if (this.generation === 0) {
      this.generation = 1;
      this.seen.add(graphHash(ctx.seed));
      return [scratchProposal('c0', ctx.seed, this.params.epochSeed)];
    }
    if (!this.population.length) return null;
    // Stop when not even half a generation fits in the search time left (the job's hard end cuts the rest).
    const states = await populationStatesIfTime(ctx, this.population, this.params.accepted, this.params.epochChild);
    if (!states) return null;
    const g = this.generation++;
    const names = this.params.objectives;
    const popCheap = this.population.map((p) => cheapVector(p, names));
    const children: Child[] = [];
    const hashes: string[] = [];
    const parents = sampleByInverseDensity(ctx.rng, popCheap, popCheap, this.params.generated, true);
    for (const pi of parents) {
      const parent = this.population[pi];
      const made = makeChild(states.get(parent.id)!, ctx, this.offspring);
      if (!made) continue;
      const hash = graphHash(made.state.graph);
      // Networks trained (or accepted) before, and repeats within the generation, are not children again.
      if (this.seen.has(hash) || hashes.includes(hash)) continue;
      hashes.push(hash);
      children.push({ parentId: parent.id, ...made, cheap: cheapVector(ctx.costs(made.state.graph), names) });
    }
    if (!children.length) {
      // Nothing new came out of this generation; give up after a few in a row.
      return ++this.barren >= 3 ? null : [];
    }
    this.barren = 0;
    const accepted = sampleByInverseDensity(ctx.rng, popCheap, children.map((c) => c.cheap), this.params.accepted, false).sort((a, b) => a - b);
    for (const i of accepted) this.seen.add(hashes[i]);
    return accepted.map((i, j) => ({ id: `p${g}-${j}`, parentId: children[i].parentId, morphs: children[i].morphs, state: children[i].state, inherit: true, epochs: this.params.epochChild }));
  }

  observe(results: CandidateResult[]): void {
    this.best.observe(results);
    this.trained.push(...results.filter((r) => r.status === 'trained'));
    this.population = nonDominated(this.trained, this.params.objectives);
  }

  assess() {
    return this.best.assess();
  }

  keep(): Set<string> {
    return new Set(this.population.map((p) => p.id));
  }

  /** The current population (the non-dominated set), for reports. */
  members(): readonly CandidateResult[] {
    return this.population;
  }
}
