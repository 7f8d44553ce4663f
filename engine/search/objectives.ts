/**
 * The objectives of a multi-objective search, all minimised: validation error, latency predicted on the target
 * device (when the job has one) and size (bytes of float32 weights). Latency and size are the cheap objectives,
 * known before training (LEMONADE's split); error is known only after it.
 *
 * A job fixes its objective space once, in its plan: the names and the reference point of the hypervolume
 * (error 1, i.e. accuracy 0 as in Laube's thesis; latency 1.1 × the limit, or 4 × the seed's latency without one;
 * size likewise). The hypervolume is computed on objectives divided by the reference point, so it is the share of
 * the reference box that the front dominates (0 to 1), comparable between jobs with the same reference.
 */
import { graphMetrics } from '../graph/metrics.js';
import type { Graph } from '../graph/types.js';
import { paretoFront } from './dominance.js';
import { hypervolume } from './hypervolume.js';

export const OBJECTIVE_NAMES = ['error', 'latency', 'size'] as const;
export type ObjectiveName = (typeof OBJECTIVE_NAMES)[number];

/** What a network costs, known before it is trained. */
export interface CandidateCosts {
  params: number;
  macs: number;
  /** Bytes of its weights as float32 (what an exported model weighs, near enough). */
  sizeBytes: number;
  /** Latency per input at batch 1 on the target device, as the device profile predicts; null without a target. */
  latencyPredictedMs: number | null;
}

export interface ObjectiveSpace {
  names: ObjectiveName[];
  /** The hypervolume's reference point, in the units of each objective (error as a fraction). */
  reference: number[];
}

/** The hard limits of a job: a candidate that exceeds one (as predicted) is never trained. */
export interface Limits {
  maxParams: number;
  maxLatencyMs?: number;
  maxSizeBytes?: number;
}

export function costsOf(graph: Graph, predictLatencyMs: ((g: Graph) => number) | null): CandidateCosts {
  const m = graphMetrics(graph);
  return { params: m.params, macs: m.macs, sizeBytes: m.weightBytes, latencyPredictedMs: predictLatencyMs ? predictLatencyMs(graph) : null };
}

/** Why a network breaks a limit, or null when it keeps them all. */
export function limitViolation(costs: CandidateCosts, limits: Limits): string | null {
  if (costs.params > limits.maxParams) return `${costs.params.toLocaleString('en')} parameters, over the limit of ${limits.maxParams.toLocaleString('en')}`;
  if (limits.maxSizeBytes !== undefined && costs.sizeBytes > limits.maxSizeBytes) return `${(costs.sizeBytes / 1e6).toFixed(3)} MB, over the limit of ${(limits.maxSizeBytes / 1e6).toFixed(3)} MB`;
  if (limits.maxLatencyMs !== undefined && costs.latencyPredictedMs !== null && costs.latencyPredictedMs > limits.maxLatencyMs) {
    return `${costs.latencyPredictedMs.toFixed(3)} ms predicted, over the latency limit of ${limits.maxLatencyMs} ms`;
  }
  return null;
}

/** The objective space of a job: latency only with a target; the reference point from the limits and the seed. */
export function objectiveSpace(seed: CandidateCosts, limits: Limits): ObjectiveSpace {
  const names: ObjectiveName[] = seed.latencyPredictedMs !== null ? ['error', 'latency', 'size'] : ['error', 'size'];
  const reference = names.map((n) => {
    if (n === 'error') return 1;
    if (n === 'latency') return limits.maxLatencyMs !== undefined ? 1.1 * limits.maxLatencyMs : 4 * seed.latencyPredictedMs!;
    const sizeLimit = Math.min(limits.maxParams * 4, limits.maxSizeBytes ?? Infinity);
    return limits.maxSizeBytes !== undefined ? 1.1 * limits.maxSizeBytes : Math.min(1.1 * sizeLimit, 4 * seed.sizeBytes);
  });
  return { names, reference };
}

/** What the objectives are computed from: a trained candidate, with its measured latency where known. */
export interface Scored {
  accuracy: number;
  sizeBytes: number;
  latencyPredictedMs: number | null;
  latencyMs?: number | null;
}

/** The objective vector; latency is the measured one when there is one, else the predicted one. */
export function objectiveVector(c: Scored, names: readonly ObjectiveName[]): number[] {
  return names.map((n) => (n === 'error' ? 1 - c.accuracy : n === 'size' ? c.sizeBytes : (c.latencyMs ?? c.latencyPredictedMs ?? Infinity)));
}

/** The cheap objectives (all but error), in log space: what the density estimate of LEMONADE works on. */
export function cheapVector(c: Omit<Scored, 'accuracy'>, names: readonly ObjectiveName[]): number[] {
  return names.filter((n) => n !== 'error').map((n) => Math.log(Math.max(1e-9, n === 'size' ? c.sizeBytes : (c.latencyMs ?? c.latencyPredictedMs ?? 1))));
}

/** Hypervolume of a set of candidates, normalised by the reference point (0 to 1). */
export function frontHypervolume(members: readonly Scored[], space: ObjectiveSpace): number {
  const points = members.map((m) => objectiveVector(m, space.names).map((v, i) => v / space.reference[i]));
  return hypervolume(points, space.names.map(() => 1));
}

/** The non-dominated candidates, in their given order; of candidates with equal objectives the first is kept. */
export function nonDominated<T extends Scored>(candidates: readonly T[], names: readonly ObjectiveName[]): T[] {
  const vectors = candidates.map((c) => objectiveVector(c, names));
  const front = paretoFront(vectors);
  const seen = new Set<string>();
  const out: T[] = [];
  for (const i of front) {
    const key = vectors[i].join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(candidates[i]);
  }
  return out;
}
