import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Graph } from '../../engine/graph/types.js';
import { graphHash } from '../../engine/graph/serialize.js';
import type { ModelState } from '../../engine/morph/modelState.js';
import type { CandidateResult, Proposal, SearchStrategy, StrategyContext } from '../../engine/search/strategy.js';
import type { StrategyServices } from '../../engine/search/strategyServices.js';
import { GraphModel } from '../../engine/train/graphModel.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

/** A network with fresh weights, as plain arrays. */
export function freshState(graph: Graph, seed = 0): ModelState {
  const model = GraphModel.create(graph, seed);
  const weights = new Map([...model.allWeights()].map(([id, ws]) => [id, ws.map((w) => w.data.slice())]));
  model.dispose();
  return { graph, weights };
}

/**
 * Drives a strategy without training: checkpoints kept in memory (the proposal's state stands for the trained
 * weights), accuracy a fixed function of the architecture. Returns every generation's proposals.
 */
export async function driveStrategy(
  strategy: SearchStrategy,
  seed: Graph,
  opts: { generations: number; accuracy?: (g: Graph, p: Proposal) => number; services?: Partial<StrategyServices>; fits?: (g: Graph) => boolean; searchSecondsLeft?: () => number; epochSeconds?: (g: Graph) => number },
): Promise<{ generations: Proposal[][]; results: CandidateResult[] }> {
  const store = new Map<string, ModelState>();
  const accuracy = opts.accuracy ?? ((g) => (parseInt(graphHash(g).slice(0, 6), 16) % 1000) / 1000);
  const generations: Proposal[][] = [];
  const results: CandidateResult[] = [];
  const services: StrategyServices = {
    jobSeed: 5,
    // A folder of its own per drive: a strategy that keeps state there must not find another drive's.
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'netsprout-strategy-')),
    dataKind: 'images',
    completed: () => undefined,
    predictAccuracy: null,
    record: () => undefined,
    log: () => undefined,
    ...opts.services,
  };
  const ctx = {
    seed,
    rng: makeRandom(5),
    loadState: async (id: string) => {
      const s = store.get(id);
      if (!s) throw new Error(`no checkpoint ${id}`);
      return s;
    },
    epochSeconds: opts.epochSeconds ?? (() => 0.01),
    searchSecondsLeft: opts.searchSecondsLeft ?? (() => 1e6),
    fits: opts.fits ?? (() => true),
    services,
  } as unknown as StrategyContext;
  for (let g = 0; g < opts.generations; g++) {
    const gen = await strategy.nextGeneration(ctx);
    if (!gen) break;
    generations.push(gen);
    const rs: CandidateResult[] = gen.map((p) => {
      store.set(p.id, p.inherit ? p.state : freshState(p.state.graph));
      return { id: p.id, parentId: p.parentId, morphs: p.morphs, accuracyInherited: null, accuracy: accuracy(p.state.graph, p), params: 0, macs: 0, sizeBytes: 0, latencyPredictedMs: null, seconds: 0, epochs: p.epochs, status: 'trained' } as CandidateResult;
    });
    results.push(...rs);
    strategy.observe(rs);
  }
  return { generations, results };
}

/** What identifies a generation: ids, parents, morphisms, epochs and architectures. */
export function fingerprint(generations: Proposal[][]): string {
  return JSON.stringify(generations.map((g) => g.map((p) => [p.id, p.parentId, p.morphs, p.epochs, p.inherit, p.training ?? null, graphHash(p.state.graph)])));
}
