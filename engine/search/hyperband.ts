/**
 * Hyperband++ (NeuNetS §4.1.3; Li et al. 2018): successive halving over joint configurations of architecture (the
 * chain space, chainSpace.ts) and training hyper-parameters, with the resource being training epochs. A bracket s
 * starts n configurations at r epochs and keeps the best 1/η of them at each rung, trained on from their own
 * weights up to η times the epochs, until R; brackets go from the most exploratory (many configurations, few
 * epochs) to plain random search (few configurations, R epochs), and start over while the budget lasts.
 * R is sized from the budget when the job is planned (hyperbandPlan). With the train-less accuracy predictor
 * (TAPAS), a bracket draws twice the configurations it needs and starts the predicted best.
 */
import type { Graph } from '../graph/types.js';
import { chainGraph, sampleChain, type ChainConfig } from './chainSpace.js';
import { BestSoFar, type CandidateResult, type Proposal, scratchProposal, type SearchStrategy, type StrategyContext } from './strategy.js';
import { screenByPrediction, stepRandom, type PredictionQuery } from './strategyServices.js';

export interface Rung {
  /** Configurations trained at this rung. */
  n: number;
  /** Epochs each has been trained in all after this rung. */
  epochs: number;
}

export interface Bracket {
  s: number;
  rungs: Rung[];
}

/**
 * Hyperband's brackets for a maximum resource R and a halving rate η: s_max = ⌊log_η R⌋; bracket s starts
 * n = ⌈(s_max + 1)/(s + 1) · η^s⌉ configurations at r = R·η^−s epochs; rung i trains ⌊n·η^−i⌋ of them to r·η^i.
 */
export function hyperbandBrackets(R: number, eta = 3): Bracket[] {
  const sMax = Math.floor(Math.log(R) / Math.log(eta) + 1e-9);
  const out: Bracket[] = [];
  for (let s = sMax; s >= 0; s--) {
    const n = Math.ceil(((sMax + 1) / (s + 1)) * eta ** s);
    const r = R * eta ** -s;
    const rungs: Rung[] = [];
    for (let i = 0; i <= s; i++) rungs.push({ n: Math.max(1, Math.floor(n * eta ** -i)), epochs: Math.round(r * eta ** i) });
    out.push({ s, rungs });
  }
  return out;
}

/** Epochs trained by a whole bracket when survivors train on from their weights (each rung adds the difference). */
export function bracketEpochs(b: Bracket): number {
  return b.rungs.reduce((sum, rung, i) => sum + rung.n * (rung.epochs - (i ? b.rungs[i - 1].epochs : 0)), 0);
}

/**
 * The largest R (a power of η up to 27 epochs) whose brackets, all of them once, take at most the epochs the search
 * budget allows (`epochsAffordable`: search seconds over the seconds of an epoch of a typical configuration).
 */
export function hyperbandPlan(epochsAffordable: number, eta = 3): { R: number; eta: number } {
  let R = 1;
  for (let next = eta; next <= 27; next *= eta) {
    if (hyperbandBrackets(next, eta).reduce((a, b) => a + bracketEpochs(b), 0) > epochsAffordable) break;
    R = next;
  }
  return { R, eta };
}

/** Configurations sampled per configuration a bracket draws, at most, to find ones that fit the job and its time. */
const DRAW_TRIES = 25;

export interface HyperbandParams {
  R: number;
  eta: number;
  /** Configurations drawn per configuration started, for the accuracy predictor to choose from. */
  screen?: number;
}

interface Live {
  config: ChainConfig;
  graph: Graph;
  /** The id of its latest training. */
  id: string;
  accuracy: number;
}

export class Hyperband implements SearchStrategy {
  readonly name = 'hyperband';
  private readonly brackets: Bracket[];
  /** Brackets started so far (cycling through `brackets`). */
  private bracketNo = -1;
  private rung = 0;
  private live: Live[] = [];
  private readonly pending = new Map<string, Live>();
  private readonly best = new BestSoFar();

  constructor(readonly params: HyperbandParams) {
    this.brackets = hyperbandBrackets(params.R, params.eta);
  }

  async nextGeneration(ctx: StrategyContext): Promise<Proposal[] | null> {
    const services = ctx.services;
    let bracket = this.bracketNo >= 0 ? this.brackets[this.bracketNo % this.brackets.length] : null;
    if (!bracket || this.rung + 1 >= bracket.rungs.length || !this.live.length) {
      // A new bracket: draw its configurations.
      this.bracketNo++;
      this.rung = 0;
      bracket = this.brackets[this.bracketNo % this.brackets.length];
      const first = bracket.rungs[0];
      const rng = stepRandom(services?.jobSeed ?? 0, `hyperband-${this.bracketNo}`);
      const draws = services?.predictAccuracy ? first.n * (this.params.screen ?? 2) : first.n;
      const drafts: Array<{ proposal: Proposal; query: PredictionQuery; config: ChainConfig }> = [];
      // The first bracket starts with the job's seed network and default training, so that even a budget for one
      // configuration gets a sound one.
      if (this.bracketNo === 0 && ctx.fits(ctx.seed)) {
        const training = { optimizer: 'sgd' as const, lrStart: 0.05, lrEnd: 0 };
        const config: ChainConfig = { components: [], dropout: 0, training };
        drafts.push({ config, proposal: scratchProposal('h0-0', ctx.seed, first.epochs, training), query: { graph: ctx.seed, epochs: first.epochs, parentAccuracy: null, training } });
      }
      // A configuration whose first rung alone would outlast the search left is drawn again: on a slow machine most of
      // the chain space is (an epoch of a 20M multiply-add network took longer than a 15-minute job's whole search on
      // Fashion-MNIST here), and taking one ended the search.
      const secondsLeft = ctx.searchSecondsLeft();
      for (let k = 0; k < draws * DRAW_TRIES && drafts.length < draws; k++) {
        const config = sampleChain(ctx.seed, rng);
        const graph = chainGraph(ctx.seed, config);
        if (!ctx.fits(graph) || ctx.epochSeconds(graph) * first.epochs > secondsLeft) continue;
        const id = `h${this.bracketNo}-${drafts.length}`;
        drafts.push({ config, proposal: scratchProposal(id, graph, first.epochs, config.training), query: { graph, epochs: first.epochs, parentAccuracy: null, training: config.training } });
      }
      // The seed configuration is always kept; the predictor screens the drawn ones for the other places.
      const seedDraft = drafts[0]?.proposal.id === 'h0-0' ? drafts.slice(0, 1) : [];
      if (seedDraft.length && services?.predictAccuracy) seedDraft[0].proposal.predictedAccuracy = services.predictAccuracy([seedDraft[0].query])[0];
      let chosen = [...seedDraft, ...screenByPrediction(drafts.slice(seedDraft.length), first.n - seedDraft.length, services)];
      // As many of the bracket's configurations as the time left allows, in the order drawn (all of them as
      // planned, unless the machine is slower than measured); the very first configuration is always tried, the job's
      // hard end stops it. The search ends when not one more fits.
      let cost = 0;
      const affordable = chosen.filter((d) => (cost += ctx.epochSeconds(d.proposal.state.graph) * d.proposal.epochs) <= secondsLeft);
      chosen = this.best.id === null ? chosen.slice(0, Math.max(1, affordable.length)) : affordable;
      if (!chosen.length) return null;
      this.live = [];
      this.pending.clear();
      for (const d of chosen) this.pending.set(d.proposal.id, { config: d.config, graph: d.proposal.state.graph, id: d.proposal.id, accuracy: -1 });
      services?.record({ event: 'bracket', bracket: this.bracketNo, s: bracket.s, rungs: bracket.rungs });
      return chosen.map((d) => d.proposal);
    }
    // The next rung: the best 1/η go on training from their own weights.
    this.rung++;
    const rung = bracket.rungs[this.rung];
    const previous = bracket.rungs[this.rung - 1];
    const survivors = [...this.live].sort((a, b) => b.accuracy - a.accuracy).slice(0, rung.n);
    const epochs = rung.epochs - previous.epochs;
    const cost = survivors.reduce((a, l) => a + ctx.epochSeconds(l.graph) * epochs, 0);
    if (cost > ctx.searchSecondsLeft()) return null;
    this.live = [];
    this.pending.clear();
    const proposals: Proposal[] = [];
    for (const l of survivors) {
      const state = await ctx.loadState(l.id);
      const id = `${l.id.replace(/-r\d+$/, '')}-r${this.rung}`;
      this.pending.set(id, { ...l, id, accuracy: -1 });
      proposals.push({ id, parentId: l.id, morphs: [], state, inherit: true, epochs, training: l.config.training });
    }
    return proposals;
  }

  observe(results: CandidateResult[]): void {
    this.best.observe(results);
    for (const r of results) {
      const l = this.pending.get(r.id);
      if (!l || r.status !== 'trained') continue;
      this.live.push({ ...l, accuracy: r.accuracy });
    }
  }

  assess() {
    return this.best.assess();
  }

  keep(): Set<string> {
    return new Set([...this.live.map((l) => l.id), ...(this.best.id ? [this.best.id] : [])]);
  }
}
