/**
 * NSGA-II (Deb et al. 2002) over network morphisms, the `nsga2` strategy: a population of `populationSize`
 * trained networks; each generation, parents are chosen by binary tournament (lower non-domination rank wins, then
 * the larger crowding distance), each gives one child by growing morphisms or shrinking operators (no crossover:
 * two grown networks have no common layout to cross), the children are trained from their inherited weights, and the
 * next population is the best `populationSize` of parents and children by rank, the last front cut by crowding
 * distance. The objectives are the job's (error, predicted latency, size); children that break a limit are never made.
 * Deterministic given the job's seeded generator and the observed results, so a resumed job replays it.
 */
import { graphHash } from '../graph/serialize.js';
import { crowdingDistance, nonDominatedSort, rankAndCrowdingSelect } from './dominance.js';
import { objectiveVector, type ObjectiveName } from './objectives.js';
import { makeChild, type OffspringOptions } from './offspring.js';
import { BestSoFar, type CandidateResult, populationStatesIfTime, type Proposal, scratchProposal, type SearchStrategy, type StrategyContext } from './strategy.js';

export interface Nsga2Params {
  epochSeed: number;
  epochChild: number;
  populationSize: number;
  objectives: ObjectiveName[];
  offspring?: Partial<OffspringOptions>;
}

export class Nsga2 implements SearchStrategy {
  readonly name = 'nsga2';
  private generation = 0;
  private population: CandidateResult[] = [];
  private readonly seen = new Set<string>();
  private readonly best = new BestSoFar();
  private barren = 0;

  constructor(readonly params: Nsga2Params) {}

  /** Rank (front number) and crowding distance of every member of the population. */
  private standing(): Array<{ rank: number; crowding: number }> {
    const vectors = this.population.map((p) => objectiveVector(p, this.params.objectives));
    const out = vectors.map(() => ({ rank: 0, crowding: 0 }));
    nonDominatedSort(vectors).forEach((front, rank) => {
      const d = crowdingDistance(front.map((i) => vectors[i]));
      front.forEach((i, k) => (out[i] = { rank, crowding: d[k] }));
    });
    return out;
  }

  async nextGeneration(ctx: StrategyContext): Promise<Proposal[] | null> {
    if (this.generation === 0) {
      this.generation = 1;
      this.seen.add(graphHash(ctx.seed));
      return [scratchProposal('c0', ctx.seed, this.params.epochSeed)];
    }
    if (!this.population.length) return null;
    const states = await populationStatesIfTime(ctx, this.population, this.params.populationSize, this.params.epochChild);
    if (!states) return null;
    const g = this.generation++;
    const standing = this.standing();
    const better = (a: number, b: number) => (standing[a].rank !== standing[b].rank ? standing[a].rank < standing[b].rank : standing[a].crowding >= standing[b].crowding);
    const n = this.population.length;
    const proposals: Proposal[] = [];
    for (let j = 0; j < this.params.populationSize; j++) {
      const a = ctx.rng.int(n);
      const b = ctx.rng.int(n);
      const parent = this.population[better(a, b) ? a : b];
      const made = makeChild(states.get(parent.id)!, ctx, { shrinkShare: 0.5, maxOps: 2, ...this.params.offspring });
      if (!made) continue;
      const hash = graphHash(made.state.graph);
      if (this.seen.has(hash)) continue;
      this.seen.add(hash);
      proposals.push({ id: `n${g}-${proposals.length}`, parentId: parent.id, morphs: made.morphs, state: made.state, inherit: true, epochs: this.params.epochChild });
    }
    if (!proposals.length) return ++this.barren >= 3 ? null : [];
    this.barren = 0;
    return proposals;
  }

  observe(results: CandidateResult[]): void {
    this.best.observe(results);
    const trained = results.filter((r) => r.status === 'trained');
    const pool = [...this.population, ...trained];
    const vectors = pool.map((p) => objectiveVector(p, this.params.objectives));
    this.population = rankAndCrowdingSelect(vectors, this.params.populationSize)
      .sort((a, b) => a - b)
      .map((i) => pool[i]);
  }

  assess() {
    return this.best.assess();
  }

  keep(): Set<string> {
    return new Set(this.population.map((p) => p.id));
  }
}
