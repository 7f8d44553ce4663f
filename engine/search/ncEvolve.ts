/**
 * NCEvolve (NeuNetS §4.1.1; Wistuba 2018): neuro-evolution of a network of cells that share one structure. The
 * search starts from a single individual (every cell one Conv-BN-ReLU); each generation selects two parents by
 * tournament (a random fraction of the population, the fittest on validation wins; with replacement), mutates
 * each by one function-preserving operation applied to every cell alike, trains the two children a few epochs
 * from their parents' weights, and adds them to the population. The fittest individual is the result.
 *
 * The paper trains the two children of a generation side by side. Here they are proposed together and the job
 * trains them one after the other: the engine's backends already spread one training over every core (WASM
 * threads, XNNPACK; native TensorFlow), so two trainings at once in one process take turns on the same cores, and
 * two processes would each get half the threads — on a 2-core machine no faster, with the data and the memory twice.
 *
 * With the train-less predictor (TAPAS), each parent gets several mutations and the one predicted best is trained.
 */
import { graphHash } from '../graph/serialize.js';
import type { Graph } from '../graph/types.js';
import { MorphError } from '../morph/modelState.js';
import { neuroCellTemplate, randomCellMutation } from './neuroCells.js';
import { BestSoFar, type CandidateResult, type Proposal, scratchProposal, type SearchStrategy, type StrategyContext } from './strategy.js';
import { screenByPrediction, stepRandom, type PredictionQuery } from './strategyServices.js';

export interface NCEvolveParams {
  /** Epochs of the first individual. */
  epochSeed: number;
  /** Epochs of every child. */
  epochChild: number;
  /** Children per generation (the paper's two trained in parallel). */
  children?: number;
  /** Largest population; the least fit are dropped beyond it. */
  population?: number;
  /** Share of the population drawn for a tournament. */
  tournament?: number;
  /** Mutations drawn per child for the accuracy predictor to choose from. */
  screen?: number;
}

interface Individual {
  id: string;
  graph: Graph;
  accuracy: number;
}

export class NCEvolve implements SearchStrategy {
  readonly name = 'ncevolve';
  private generation = 0;
  private population: Individual[] = [];
  private readonly proposed = new Map<string, Graph>();
  private readonly seen = new Set<string>();
  private readonly best = new BestSoFar();

  constructor(readonly params: NCEvolveParams) {}

  async nextGeneration(ctx: StrategyContext): Promise<Proposal[] | null> {
    const jobSeed = ctx.services?.jobSeed ?? 0;
    if (this.generation === 0) {
      this.generation = 1;
      const graph = neuroCellTemplate(ctx.seed);
      this.proposed.set('n0', graph);
      this.seen.add(graphHash(graph));
      return [scratchProposal('n0', graph, this.params.epochSeed)];
    }
    if (!this.population.length) return null;
    const children = this.params.children ?? 2;
    const biggest = this.population.reduce((a, b) => (ctx.epochSeconds(b.graph) > ctx.epochSeconds(a.graph) ? b : a));
    if (children * this.params.epochChild * ctx.epochSeconds(biggest.graph) * 1.3 > ctx.searchSecondsLeft()) return null;
    const g = this.generation++;
    const rng = stepRandom(jobSeed, `ncevolve-${g}`);
    const proposals: Proposal[] = [];
    for (let c = 0; c < children; c++) {
      const parent = this.tournament(rng.next.bind(rng));
      const parentState = await ctx.loadState(parent.id);
      const drafts: Array<{ proposal: Proposal; query: PredictionQuery }> = [];
      const tries = ctx.services?.predictAccuracy ? (this.params.screen ?? 3) : 1;
      for (let t = 0; t < tries; t++) {
        try {
          const m = randomCellMutation(parentState, rng, (graph) => ctx.fits(graph) && !this.seen.has(graphHash(graph)));
          const id = `n${g}-${c}${tries > 1 ? String.fromCharCode(97 + t) : ''}`;
          const proposal: Proposal = { id, parentId: parent.id, morphs: [m.record], state: m.state, inherit: true, epochs: this.params.epochChild };
          drafts.push({ proposal, query: { graph: m.state.graph, epochs: this.params.epochChild, parentAccuracy: parent.accuracy } });
        } catch (e) {
          if (!(e instanceof MorphError)) throw e;
        }
      }
      for (const { proposal } of screenByPrediction(drafts, 1, ctx.services)) {
        this.seen.add(graphHash(proposal.state.graph));
        this.proposed.set(proposal.id, proposal.state.graph);
        proposals.push(proposal);
      }
    }
    return proposals.length ? proposals : null;
  }

  /** Tournament selection: a random fraction of the population (at least two, with replacement), the fittest wins. */
  private tournament(next: () => number): Individual {
    const size = Math.max(2, Math.round((this.params.tournament ?? 0.3) * this.population.length));
    let best: Individual | null = null;
    for (let i = 0; i < size; i++) {
      const pick = this.population[Math.floor(next() * this.population.length)];
      if (!best || pick.accuracy > best.accuracy) best = pick;
    }
    return best!;
  }

  observe(results: CandidateResult[]): void {
    this.best.observe(results);
    for (const r of results) {
      if (r.status !== 'trained') continue;
      const graph = this.proposed.get(r.id);
      if (graph) this.population.push({ id: r.id, graph, accuracy: r.accuracy });
    }
    const cap = this.params.population ?? 12;
    if (this.population.length > cap) {
      // The least fit leave; among equals, the oldest.
      this.population = this.population.map((p, i) => ({ p, i })).sort((a, b) => b.p.accuracy - a.p.accuracy || b.i - a.i).slice(0, cap).sort((a, b) => a.i - b.i).map((x) => x.p);
    }
  }

  assess() {
    return this.best.assess();
  }

  keep(): Set<string> {
    return new Set([...this.population.map((p) => p.id), ...(this.best.id ? [this.best.id] : [])]);
  }
}
