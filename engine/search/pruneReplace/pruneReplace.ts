/**
 * Prune and Replace (Laube, thesis ch. 4; Laube & Zell 2019): a small cell super-network whose edges each hold a
 * pool of candidate operations, ranked by DARTS architecture weights. Each iteration trains the super-network (the
 * weights, and α after the grace share), prunes the lowest-ranked candidates of every pool (keeping at least one
 * convolution while exploring) and replaces them with children of the survivors — drawn in proportion to their
 * softmax weight, made by a transformation of kernel size, dilation, width or depth never tried in that pool, their
 * weights inherited. Exploring iterations keep the pools full; converging ones only prune, down to one operation
 * per edge (the schedule of Table 4.2, shortened to the budget). The batch size follows the memory the pools need
 * (§4.3.4). The discrete network (each edge's best operation, with the super-network's weights) is the strategy's
 * one candidate; the job's final phase trains it to the end of the budget.
 *
 * The super-network trains inside the strategy (the job's workbench: data, memory limit, deadline). Its state is
 * saved in the job folder after every iteration; a resumed job goes on from the last saved iteration.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NetSproutError } from '../../errors.js';
import type { SeededRandom } from '../../train/seededRandom.js';
import { BestSoFar, type CandidateResult, type Proposal, type SearchStrategy, type StrategyContext } from '../strategy.js';
import { stepRandom } from '../strategyServices.js';
import { DEFAULT_LIMITS, drawWeighted, opKey, pruneReplaceSchedule, TRANSFORMATIONS, transformOp, type OpLimits } from './candidateOps.js';
import { deriveNetwork, fittingBatchSize, initSuperState, superAccuracy, trainIteration, transformWeights, type PoolEntry, type SuperState } from './superNetwork.js';

export interface PruneReplaceParams {
  iterations: number;
  /** Seconds of super-network training per iteration. */
  iterationSeconds: number;
  /** Epochs the derived network is trained as the strategy's candidate (the final phase trains it further). */
  derivedEpochs: number;
  /** Channels of the cells. */
  widths?: number[];
  maxPool?: number;
  limits?: OpLimits;
  /** At most this many steps per iteration (tests). */
  maxSteps?: number;
}

/** Removes the `count` lowest-α candidates; while `keepConv`, the last convolution of a pool stays. */
export function prunePool(pool: PoolEntry[], count: number, keepConv: boolean): PoolEntry[] {
  const order = pool.map((_, i) => i).sort((a, b) => pool[a].alpha - pool[b].alpha || b - a);
  const removed = new Set<number>();
  for (const i of order) {
    if (removed.size >= count || pool.length - removed.size <= 1) break;
    const convsLeft = pool.filter((e, j) => !removed.has(j) && e.op.kind === 'sepConv').length;
    if (keepConv && pool[i].op.kind === 'sepConv' && convsLeft <= 1) continue;
    removed.add(i);
  }
  return pool.filter((_, i) => !removed.has(i));
}

/** Adds `count` children of the pool's convolutions (parents by softmax weight; a transformation new to the pool). */
export function replaceInPool(pool: PoolEntry[], history: string[], count: number, widths: number[], rng: SeededRandom, limits: OpLimits = DEFAULT_LIMITS): PoolEntry[] {
  const out = [...pool];
  for (let r = 0; r < count; r++) {
    const convs = out.filter((e) => e.op.kind === 'sepConv');
    if (!convs.length) break;
    const max = Math.max(...convs.map((e) => e.alpha));
    const parent = convs[drawWeighted(convs.map((e) => Math.exp(e.alpha - max)), rng)];
    const options = [...TRANSFORMATIONS];
    rng.shuffle(options);
    const children = options.map((t) => ({ t, r: transformOp(parent.op, t, limits) })).filter((c) => c.r && !out.some((e) => opKey(e.op) === opKey(c.r!.op)));
    const pick = children.find((c) => !history.includes(opKey(c.r!.op))) ?? children[0];
    if (!pick) continue;
    const child = pick.r!;
    out.push({ op: child.op, alpha: parent.alpha, cells: transformWeights(parent, child.op, pick.t, widths, rng, child.widenLayer) });
    history.push(opKey(child.op));
  }
  return out;
}

// The state file: arrays as base64 float32.
const encode = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const decode = (s: string) => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

function saveState(file: string, state: SuperState, done: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const replacer = (_k: string, v: unknown) => (v instanceof Float32Array ? { f32: encode(v) } : v);
  writeFileSync(`${file}.tmp`, JSON.stringify({ done, state }, replacer));
  writeFileSync(file, readFileSync(`${file}.tmp`));
}

function loadState(file: string): { done: number; state: SuperState } {
  return JSON.parse(readFileSync(file, 'utf8'), (_k, v) => (v && typeof v === 'object' && typeof v.f32 === 'string' ? decode(v.f32) : v)) as { done: number; state: SuperState };
}

export class PruneReplace implements SearchStrategy {
  readonly name = 'prune-replace';
  private generation = 0;
  private readonly best = new BestSoFar();

  constructor(readonly params: PruneReplaceParams) {}

  async nextGeneration(ctx: StrategyContext): Promise<Proposal[] | null> {
    if (this.generation++ > 0) return null;
    const services = ctx.services;
    const bench = services?.workbench;
    if (!services || !bench) throw new NetSproutError('STRATEGY_NEEDS_JOB', 'Prune and Replace trains its super-network inside a search job.', 'Run it with `netsprout search --strategy prune-replace`.');
    if (bench.inputShape.length !== 3) throw new NetSproutError('STRATEGY_NOT_FOR_DATA', 'Prune and Replace searches convolutional cells for images; this data is not images.', 'Use --strategy hill, hyperband, eas or auto for text and tables.');
    const widths = this.params.widths ?? [16, 32, 32];
    const file = path.join(services.stateDir, 'prune-replace.json');
    let { done, state } = existsSync(file) ? loadState(file) : { done: 0, state: initSuperState({ inputShape: bench.inputShape, classes: bench.numClasses, widths }, services.jobSeed) };
    const schedule = pruneReplaceSchedule(this.params.iterations, 4, this.params.maxPool ?? 5);
    // The derived network needs time too: the super-network stops halfway through the search time left, or earlier
    // when the derived network's training is expected to take longer than the rest.
    const supernetEnd = performance.now() + 0.5 * (bench.deadline - performance.now());
    for (let it = done; it < this.params.iterations; it++) {
      const deadline = Math.min(supernetEnd, bench.deadline - 1000 * this.params.derivedEpochs * ctx.epochSeconds(deriveNetwork(state).graph) * 1.2);
      if (performance.now() >= deadline || bench.signal?.aborted) break;
      const batchSize = fittingBatchSize(state, bench.memoryLimitBytes);
      const r = await trainIteration(state, {
        train: bench.train,
        validation: bench.validation,
        batchSize,
        seconds: this.params.iterationSeconds,
        maxSteps: this.params.maxSteps,
        grace: 1 / 3,
        seed: services.jobSeed * 31 + it,
        deadline,
        signal: bench.signal,
        onProgress: bench.onProgress,
      });
      // The super-network's validation accuracy, for the journal, when there is time for it.
      const valAccuracy = performance.now() < deadline ? await superAccuracy(state, bench.validation, 256) : null;
      const { prune, replace } = schedule[it];
      const last = it === this.params.iterations - 1;
      const rng = stepRandom(services.jobSeed, `prune-replace-${it}`);
      state.pools = state.pools.map((pool, e) => replaceInPool(prunePool(pool, prune, !last), state.history[e], replace, widths, rng, this.params.limits));
      services.record({
        event: 'prune-replace-iteration',
        iteration: it + 1,
        iterations: this.params.iterations,
        batchSize,
        steps: r.steps,
        trainAccuracy: Number(r.trainAccuracy.toFixed(4)),
        valAccuracy: valAccuracy === null ? null : Number(valAccuracy.toFixed(4)),
        pools: state.pools.map((pool) => pool.map((e) => ({ op: opKey(e.op), alpha: Number(e.alpha.toFixed(4)) }))),
      });
      services.log(`Prune and Replace iteration ${it + 1}/${this.params.iterations}: super-network ${valAccuracy === null ? 'not evaluated' : `${(valAccuracy * 100).toFixed(1)}% on validation`} (batch ${batchSize}, ${r.steps} steps); pools ${state.pools.map((p) => p.map((e) => opKey(e.op)).join('|')).join(' ; ')}.`);
      done = it + 1;
      saveState(file, state, done);
    }
    const derived = deriveNetwork(state);
    if (!ctx.fits(derived.graph)) throw new NetSproutError('STRATEGY_TOO_BIG', 'The network Prune and Replace derived exceeds the job\'s limits.', 'Raise --max-params or use another strategy.');
    return [{ id: 'p1', parentId: null, morphs: [{ op: 'prune-replace', iterations: done, choice: derived.choice.map(opKey) }], state: { graph: derived.graph, weights: derived.weights }, inherit: true, epochs: this.params.derivedEpochs }];
  }

  observe(results: CandidateResult[]): void {
    this.best.observe(results);
  }

  assess() {
    return this.best.assess();
  }

  keep(): Set<string> {
    return new Set(this.best.id ? [this.best.id] : []);
  }
}
