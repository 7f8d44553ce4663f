import { describe, expect, it } from 'vitest';
import { graphMetrics } from '../../engine/graph/metrics.js';
import { smallCnn } from '../../engine/graph/presets.js';
import { graphHash } from '../../engine/graph/serialize.js';
import type { Graph } from '../../engine/graph/types.js';
import { initialWeights } from '../../engine/hardware/measuredModel.js';
import type { ModelState } from '../../engine/morph/modelState.js';
import { paretoFront } from '../../engine/search/dominance.js';
import { Lemonade } from '../../engine/search/lemonade.js';
import { Nsga2 } from '../../engine/search/nsga2.js';
import { costsOf, frontHypervolume, limitViolation, nonDominated, objectiveSpace, objectiveVector, type Limits } from '../../engine/search/objectives.js';
import { fitSeedToLimits } from '../../engine/search/seedFitting.js';
import type { CandidateResult, Proposal, SearchStrategy, StrategyContext } from '../../engine/search/strategy.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

/** A stand-in latency: proportional to multiply-accumulates, plus a fixed cost per layer. */
const latency = (g: Graph) => 0.01 + graphMetrics(g).macs * 1e-6 + g.layers.length * 0.002;

/** Runs a strategy for a few generations without training: accuracy grows with the logarithm of the parameters. */
async function simulate(make: () => SearchStrategy, limits: Limits, generations: number, seed = 1) {
  const strategy = make();
  const seedGraph = smallCnn([12, 12, 1], 4);
  const states = new Map<string, ModelState>();
  const costs = (g: Graph) => costsOf(g, latency);
  const ctx: StrategyContext = {
    seed: seedGraph,
    rng: makeRandom(seed),
    loadState: async (id) => states.get(id)!,
    epochSeconds: () => 0.01,
    searchSecondsLeft: () => 1000,
    fits: (g) => limitViolation(costs(g), limits) === null,
    costs,
    objectives: objectiveSpace(costs(seedGraph), limits),
  };
  const proposals: Proposal[] = [];
  const results: CandidateResult[] = [];
  for (let g = 0; g < generations; g++) {
    const gen = await strategy.nextGeneration(ctx);
    if (!gen) break;
    const observed: CandidateResult[] = [];
    for (const p of gen) {
      proposals.push(p);
      const state = p.state.weights.size ? p.state : { graph: p.state.graph, weights: initialWeights(p.state.graph) };
      states.set(p.id, state);
      const c = costs(p.state.graph);
      const accuracy = Math.min(0.99, 0.2 + 0.07 * Math.log(c.params) + 0.01 * makeRandom(p.id.length * 31 + g).next());
      observed.push({ id: p.id, parentId: p.parentId, morphs: p.morphs, accuracyInherited: null, accuracy, params: c.params, macs: c.macs, sizeBytes: c.sizeBytes, latencyPredictedMs: c.latencyPredictedMs, seconds: 0, epochs: p.epochs, status: 'trained' });
    }
    strategy.observe(observed);
    results.push(...observed);
  }
  return { strategy, proposals, results, ctx };
}

const limits: Limits = { maxParams: 60_000, maxLatencyMs: 0.2 };

describe('objectives', () => {
  it('fixes the reference point from the limits (or the seed) and names the objectives by the target', () => {
    const seed = { params: 1000, macs: 5000, sizeBytes: 4000, latencyPredictedMs: 0.5 };
    expect(objectiveSpace(seed, { maxParams: 3e6, maxLatencyMs: 2 })).toEqual({ names: ['error', 'latency', 'size'], reference: [1, 2.2, 16000] });
    expect(objectiveSpace(seed, { maxParams: 3e6 })).toEqual({ names: ['error', 'latency', 'size'], reference: [1, 2, 16000] });
    expect(objectiveSpace({ ...seed, latencyPredictedMs: null }, { maxParams: 3000, maxSizeBytes: 10000 })).toEqual({ names: ['error', 'size'], reference: [1, 11000] });
    expect(limitViolation(seed, { maxParams: 999 })).toMatch(/1,000 parameters, over the limit of 999/);
    expect(limitViolation(seed, { maxParams: 3e6, maxLatencyMs: 0.4 })).toMatch(/0.500 ms predicted, over the latency limit of 0.4 ms/);
    expect(limitViolation(seed, { maxParams: 3e6, maxSizeBytes: 3999 })).toMatch(/over the limit of 0.004 MB/);
    expect(limitViolation(seed, { maxParams: 3e6, maxLatencyMs: 1, maxSizeBytes: 5000 })).toBeNull();
  });

  it('hypervolume is normalised by the reference point, with measured latency where there is one', () => {
    const space = { names: ['error', 'latency', 'size'] as const, reference: [1, 2, 100] };
    // One member at error 0.5, latency 1, size 50: half of each side of the box.
    const a = { accuracy: 0.5, latencyPredictedMs: 1, sizeBytes: 50 };
    expect(frontHypervolume([a], { names: [...space.names], reference: space.reference })).toBeCloseTo(0.125, 12);
    expect(frontHypervolume([{ ...a, latencyMs: 0.5 }], { names: [...space.names], reference: space.reference })).toBeCloseTo(0.5 * 0.75 * 0.5, 12);
    expect(objectiveVector({ ...a, latencyMs: 0.5 }, ['error', 'latency'])).toEqual([0.5, 0.5]);
    // Equal objective vectors: the first is kept.
    expect(nonDominated([{ id: 'x', ...a }, { id: 'y', ...a }], ['error', 'size']).map((m) => m.id)).toEqual(['x']);
  });

  it('shrinks a seed that breaks the limits until it keeps them, or says why it cannot', () => {
    const seed = smallCnn([12, 12, 1], 4);
    const before = graphMetrics(seed).params;
    const fitted = fitSeedToLimits(seed, (g) => costsOf(g, null), { maxParams: Math.floor(before / 3) });
    expect(graphMetrics(fitted.graph).params).toBeLessThanOrEqual(before / 3);
    expect(fitted.steps.length).toBeGreaterThan(0);
    expect(fitSeedToLimits(seed, (g) => costsOf(g, null), { maxParams: 1e6 }).steps).toEqual([]);
    expect(() => fitSeedToLimits(seed, (g) => costsOf(g, latency), { maxParams: 1e6, maxLatencyMs: 1e-6 })).toThrow(/keeps the limits/);
  });
});

describe('the pareto strategy (LEMONADE)', () => {
  it('trains the seed first, then children of the non-dominated population that keep the limits, from inherited weights', async () => {
    const { strategy, proposals, results, ctx } = await simulate(() => new Lemonade({ epochSeed: 2, epochChild: 1, generated: 12, accepted: 4, objectives: ['error', 'latency', 'size'] }), limits, 6);
    expect(proposals[0]).toMatchObject({ id: 'c0', parentId: null, inherit: false, epochs: 2 });
    const children = proposals.slice(1);
    expect(children.length).toBeGreaterThanOrEqual(12);
    const ops = new Set<string>();
    for (const p of children) {
      expect(p.inherit).toBe(true);
      expect(p.morphs.length).toBeGreaterThan(0);
      expect(ctx.fits(p.state.graph)).toBe(true);
      for (const m of p.morphs) ops.add(m.op);
    }
    // Both growing morphisms and shrinking operators are used.
    expect([...ops].some((o) => ['narrow', 'sepconv', 'remove-layer', 'remove-input'].includes(o))).toBe(true);
    expect([...ops].some((o) => ['deeper-conv', 'deeper-sepconv', 'wider', 'skip-add', 'skip-concat', 'widen-kernel', 'branch'].includes(o))).toBe(true);
    // No architecture is trained twice.
    const hashes = proposals.map((p) => graphHash(p.state.graph));
    expect(new Set(hashes).size).toBe(hashes.length);
    // The population is exactly the non-dominated set of everything observed, and it is what is kept.
    const vectors = results.map((r) => objectiveVector(r, ['error', 'latency', 'size']));
    const front = paretoFront(vectors).map((i) => results[i].id).sort();
    expect([...strategy.keep()].sort()).toEqual(front);
    // Every parent was in the population when chosen: a parent is a seed or a trained candidate.
    for (const p of children) expect(results.some((r) => r.id === p.parentId)).toBe(true);
  });

  it('is deterministic for a seed (a resumed job replays the same generations)', async () => {
    const make = () => new Lemonade({ epochSeed: 1, epochChild: 1, generated: 9, accepted: 3, objectives: ['error', 'latency', 'size'] });
    const a = await simulate(make, limits, 5, 7);
    const b = await simulate(make, limits, 5, 7);
    expect(b.proposals.map((p) => [p.id, p.parentId, graphHash(p.state.graph)])).toEqual(a.proposals.map((p) => [p.id, p.parentId, graphHash(p.state.graph)]));
    const c = await simulate(make, limits, 5, 8);
    expect(c.proposals.map((p) => graphHash(p.state.graph))).not.toEqual(a.proposals.map((p) => graphHash(p.state.graph)));
  });
});

describe('the nsga2 strategy', () => {
  it('keeps a population of the best by rank and crowding distance, and is deterministic', async () => {
    const make = () => new Nsga2({ epochSeed: 1, epochChild: 1, populationSize: 4, objectives: ['error', 'latency', 'size'] });
    const { strategy, proposals, results, ctx } = await simulate(make, limits, 6, 3);
    expect(proposals.length).toBeGreaterThan(12);
    for (const p of proposals.slice(1)) expect(ctx.fits(p.state.graph)).toBe(true);
    const kept = [...strategy.keep()];
    expect(kept.length).toBe(4);
    // Children come from population members (binary tournament), never from outside it.
    const ids = new Set(results.map((r) => r.id));
    for (const p of proposals.slice(1)) expect(ids.has(p.parentId!)).toBe(true);
    const again = await simulate(make, limits, 6, 3);
    expect(again.proposals.map((p) => graphHash(p.state.graph))).toEqual(proposals.map((p) => graphHash(p.state.graph)));
  });
});
