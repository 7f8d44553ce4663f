/**
 * A seed network within the job's limits. The search starts from a small preset network; with a tight latency or
 * size limit even that may be too slow or too large for the target. Then the seed is shrunk before anything is
 * trained: greedily, the shrinking operator (engine/morph/shrink.ts) that brings the network closest to the limits,
 * until it keeps them. Deterministic (a resumed job shrinks it the same way); the seed is trained from scratch, so the
 * operators work on stand-in weights.
 */
import { NetSproutError } from '../errors.js';
import type { Graph } from '../graph/types.js';
import { initialWeights } from '../hardware/measuredModel.js';
import { applicableShrinks } from '../morph/morphCatalogue.js';
import { MorphError, type ModelState, type MorphRecord } from '../morph/modelState.js';
import { makeRandom } from '../train/seededRandom.js';
import { limitViolation, type CandidateCosts, type Limits } from './objectives.js';

/** How far over its limits a network is: the largest ratio of cost to limit (≤ 1 within them). */
export function limitExcess(c: CandidateCosts, limits: Limits): number {
  const ratios = [c.params / limits.maxParams];
  if (limits.maxSizeBytes !== undefined) ratios.push(c.sizeBytes / limits.maxSizeBytes);
  if (limits.maxLatencyMs !== undefined && c.latencyPredictedMs !== null) ratios.push(c.latencyPredictedMs / limits.maxLatencyMs);
  return Math.max(...ratios);
}

export function fitSeedToLimits(seed: Graph, costs: (g: Graph) => CandidateCosts, limits: Limits, maxSteps = 40): { graph: Graph; steps: MorphRecord[] } {
  let state: ModelState = { graph: seed, weights: initialWeights(seed) };
  let current = costs(seed);
  const steps: MorphRecord[] = [];
  while (limitViolation(current, limits) !== null) {
    if (steps.length >= maxSteps) break;
    let best: { state: ModelState & { record: MorphRecord }; costs: CandidateCosts; excess: number } | null = null;
    applicableShrinks(state).forEach((candidate, k) => {
      try {
        const child = candidate.apply(makeRandom(k));
        const c = costs(child.graph);
        const excess = limitExcess(c, limits);
        if (!best || excess < best.excess) best = { state: child, costs: c, excess };
      } catch (e) {
        if (!(e instanceof MorphError)) throw e;
      }
    });
    const chosen = best as { state: ModelState & { record: MorphRecord }; costs: CandidateCosts; excess: number } | null;
    if (!chosen || chosen.excess >= limitExcess(current, limits)) break;
    state = chosen.state;
    current = chosen.costs;
    steps.push(chosen.state.record);
  }
  const violation = limitViolation(current, limits);
  if (violation !== null) {
    throw new NetSproutError(
      'SEARCH_LIMITS_UNREACHABLE',
      `No network the search can start from keeps the limits: the smallest found has ${violation}.`,
      'Loosen the limits (--max-latency-ms, --max-params, --max-size-mb), or choose a faster target device.',
    );
  }
  return { graph: state.graph, steps };
}
