/**
 * Bayesian optimisation over network morphisms (Auto-Keras, Jin et al. 2019, §3): a Gaussian process on the
 * edit-distance kernel predicts the cost (1 − validation accuracy) of unseen architectures; the acquisition
 * α(f) = μ − β·σ (β = 2.5) is minimised over the tree of morphisms grown from every observed architecture, by A*
 * search with simulated-annealing acceptance (Algorithm 1), each expanded node's children drawn as Auto-Keras's
 * `transform` draws them (a family of operations uniformly, deeper, wider or skip, then where to apply it; drawn among
 * all applicable morphisms alike, half of a 15-minute Fashion-MNIST run's morphisms were branchings, which add no
 * weights); the chosen architecture is then built from its nearest observed ancestor with its trained weights.
 * Architectures seen before are never proposed again.
 */
import { editDistance } from '../graph/editDistance.js';
import { graphHash } from '../graph/serialize.js';
import { inferShapes } from '../graph/shapes.js';
import type { Graph } from '../graph/types.js';
import { weightSpecs } from '../graph/weightSpecs.js';
import { applicableMorphs, applyRecord, takeByFamily } from '../morph/morphCatalogue.js';
import { MorphError, type ModelState, type MorphRecord } from '../morph/modelState.js';
import { makeRandom } from '../train/seededRandom.js';
import { BourgainEmbedding, GaussianProcess, euclidean } from './gaussianProcess.js';
import { BestSoFar, type CandidateResult, CHILD_MAX_GROWTH, type Proposal, scratchProposal, type SearchStrategy, type StrategyContext } from './strategy.js';

export interface BayesParams {
  epochNeigh: number;
  epochSeed: number;
  /** Proposals per generation. */
  batch: number;
  beta?: number;
  /** Simulated annealing: T starts at 1 and is multiplied by `rate` until it falls below `tLow`. */
  rate?: number;
  tLow?: number;
  /** Children examined per expanded node (a random sample of the applicable morphisms, a family first: deeper, wider, skip). */
  branching?: number;
  /** The most a proposal's epoch may cost, as a multiple of its observed ancestor's; CHILD_MAX_GROWTH by default. */
  maxGrowth?: number;
}

interface Node {
  state: ModelState;
  ancestorId: string;
  ops: MorphRecord[];
  alpha: number;
  hash: string;
}

/** Zero weights of the right shapes: the acquisition search explores graphs, not trained weights. */
function placeholderWeights(graph: Graph): Map<string, Float32Array[]> {
  const shapes = inferShapes(graph);
  const out = new Map<string, Float32Array[]>();
  for (const l of graph.layers) {
    const specs = weightSpecs(l, l.inputs.map((i) => shapes.get(i)!));
    if (specs.length) out.set(l.id, specs.map((s) => new Float32Array(s.shape.reduce((a, b) => a * b, 1))));
  }
  return out;
}

export class BayesOpt implements SearchStrategy {
  readonly name = 'bayes';
  private readonly history: Array<{ id: string; graph: Graph; cost: number }> = [];
  private readonly seen = new Set<string>();
  /** The graph of every proposal, by id (filled again when a resumed job replays its generations). */
  private readonly proposed = new Map<string, Graph>();
  private generation = 0;
  private readonly best = new BestSoFar();
  /** Seconds the last proposal took to find and build (measured on the job's clock). */
  private acquisitionSeconds = 0;

  constructor(readonly params: BayesParams) {}

  async nextGeneration(ctx: StrategyContext): Promise<Proposal[] | null> {
    if (this.generation === 0) {
      this.generation = 1;
      this.seen.add(graphHash(ctx.seed));
      this.proposed.set('c0', ctx.seed);
      return [scratchProposal('c0', ctx.seed, this.params.epochSeed)];
    }
    if (!this.history.length) return null;
    const best = this.history.find((h) => h.id === this.best.id)!;
    const g = this.generation;
    // A proposal costs its acquisition optimisation (thousands of edit distances and morphisms; seconds on a busy
    // machine, as long as the last one took) and its training. A generation already trained in part (a resumed job
    // replaying its journal) is proposed again in full, whatever the time left, so that no trained candidate is lost.
    const replaying = (k: number) => ctx.services?.completed(`b${g}-${k}`) !== undefined;
    const trainSeconds = this.params.epochNeigh * ctx.epochSeconds(best.graph) * 1.3;
    if (!replaying(0) && this.params.batch * (trainSeconds + this.acquisitionSeconds) > ctx.searchSecondsLeft()) return null;
    this.generation++;
    const proposals: Proposal[] = [];
    for (let k = 0; k < this.params.batch; k++) {
      // The proposals of a generation are trained after all are made: stop proposing when the next one's acquisition
      // and the trainings of all so far no longer fit in the search time left (acquisition slower than planned).
      if (k > 0 && !replaying(k) && (proposals.length + 1) * trainSeconds + this.acquisitionSeconds > ctx.searchSecondsLeft()) break;
      const before = ctx.searchSecondsLeft();
      const pick = this.optimiseAcquisition(ctx);
      if (!pick) break;
      this.seen.add(pick.hash);
      let state = await ctx.loadState(pick.ancestorId);
      try {
        for (const op of pick.ops) state = applyRecord(state, op, ctx.rng);
      } catch (e) {
        if (!(e instanceof MorphError)) throw e;
        continue;
      } finally {
        this.acquisitionSeconds = Math.max(0, before - ctx.searchSecondsLeft());
      }
      this.proposed.set(`b${g}-${k}`, state.graph);
      proposals.push({ id: `b${g}-${k}`, parentId: pick.ancestorId, morphs: pick.ops, state, inherit: true, epochs: this.params.epochNeigh });
    }
    return proposals.length ? proposals : null;
  }

  /** Algorithm 1 of Auto-Keras: A* over the morphism tree with simulated-annealing acceptance. */
  private optimiseAcquisition(ctx: StrategyContext): Node | null {
    const beta = this.params.beta ?? 2.5;
    const rate = this.params.rate ?? 0.85;
    const tLow = this.params.tLow ?? 0.01;
    const branching = this.params.branching ?? 12;
    const graphs = this.history.map((h) => h.graph);
    const n = graphs.length;
    // A fixed generator per generation, so the embedding is the same for every point of this optimisation.
    const local = makeRandom(ctx.rng.seed());
    const embedding = new BourgainEmbedding(n, local);
    const coords = graphs.map((a) => embedding.embed(graphs.map((b) => editDistance(a, b))));
    const rhos: number[] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) rhos.push(euclidean(coords[i], coords[j]));
    rhos.sort((a, b) => a - b);
    const lengthScale = rhos.find((r) => r > 0) !== undefined ? rhos[Math.floor(rhos.length / 2)] || rhos.find((r) => r > 0)! : 1;
    const gp = new GaussianProcess(coords, this.history.map((h) => h.cost), lengthScale);
    const acquisition = (graph: Graph) => {
      const p = gp.predict(embedding.embed(graphs.map((b) => editDistance(graph, b))));
      return p.mean - beta * p.std;
    };
    // Architectures are searched near the observed ones in cost too: at most maxGrowth times their ancestor's epoch
    // (a ratio of training work, the same whatever the machine's speed, so a resumed job searches alike).
    const growth = this.params.maxGrowth ?? CHILD_MAX_GROWTH;
    const maxCost = new Map(this.history.map((h) => [h.id, growth * ctx.epochSeconds(h.graph)]));
    const queue: Node[] = this.history.map((h) => ({ state: { graph: h.graph, weights: placeholderWeights(h.graph) }, ancestorId: h.id, ops: [], alpha: h.cost, hash: graphHash(h.graph) }));
    let cMin = Math.min(...this.history.map((h) => h.cost));
    let best: Node | null = null;
    let t = 1;
    const visited = new Set<string>();
    while (queue.length && t > tLow) {
      t *= rate;
      queue.sort((a, b) => a.alpha - b.alpha);
      const node = queue.shift()!;
      const options = applicableMorphs(node.state);
      for (let k = 0; k < branching && options.length; k++) {
        const o = takeByFamily(options, local);
        let child;
        try {
          child = o.apply(local);
        } catch (e) {
          if (e instanceof MorphError) continue;
          throw e;
        }
        if (!ctx.fits(child.graph) || ctx.epochSeconds(child.graph) > maxCost.get(node.ancestorId)!) continue;
        const hash = graphHash(child.graph);
        if (this.seen.has(hash) || visited.has(hash)) continue;
        visited.add(hash);
        const alpha = acquisition(child.graph);
        const next: Node = { state: child, ancestorId: node.ancestorId, ops: [...node.ops, child.record], alpha, hash };
        if (Math.exp((cMin - alpha) / t) > local.next()) queue.push(next);
        if (alpha < cMin) {
          cMin = alpha;
          best = next;
        }
      }
    }
    return best;
  }

  observe(results: CandidateResult[]): void {
    this.best.observe(results);
    for (const r of results) {
      if (r.status !== 'trained') continue;
      const graph = this.proposed.get(r.id);
      if (graph) this.history.push({ id: r.id, graph, cost: 1 - r.accuracy });
    }
  }

  assess() {
    return this.best.assess();
  }

  keep(): Set<string> {
    return new Set(this.history.map((h) => h.id));
  }
}
