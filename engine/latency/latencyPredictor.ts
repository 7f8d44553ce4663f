/**
 * One interface for every latency predictor: fit on measured architectures, then predict the latency in ms of
 * any architecture of the search space; the fitted parameters are plain JSON so that a device profile carries them.
 */
import { FEATURE_NAMES, type ArchitectureDescription } from './architectureFeatures.js';

export const PREDICTOR_NAMES = ['lookup-table', 'ridge', 'random-forest', 'mlp', 'ridge-forest'] as const;
export type PredictorName = (typeof PREDICTOR_NAMES)[number];

/** One measured architecture. */
export interface LatencyObservation {
  description: ArchitectureDescription;
  /** Measured latency (batch 1, the protocol's statistic) in ms. */
  ms: number;
}

/**
 * Layers measured on their own (the lookup table's data): key (see architectureFeatures.layerKey) → ms, and the
 * cost of a network that does nothing but take its input and return it, by input shape ("28x28x1").
 */
export interface LayerTimes {
  layers: Record<string, number>;
  passThrough: Record<string, number>;
}

export interface FitData {
  observations: LatencyObservation[];
  layerTimes?: LayerTimes;
  seed?: number;
}

export interface LatencyPredictor {
  readonly name: PredictorName;
  fit(data: FitData): void;
  /** Predicted latency in ms (never below a microsecond). */
  predict(description: ArchitectureDescription): number;
  /** The fitted parameters, enough for `loadPredictor` to rebuild the predictor. */
  toJSON(): unknown;
}

export const MIN_PREDICTION_MS = 1e-3;

/** Column means and standard deviations (std 1 where a column is constant). */
export function standardiser(rows: number[][]): { mean: number[]; std: number[] } {
  const d = rows[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (const r of rows) r.forEach((v, j) => (mean[j] += v / rows.length));
  for (const r of rows) r.forEach((v, j) => (std[j] += (v - mean[j]) ** 2 / rows.length));
  return { mean, std: std.map((v) => (v > 1e-12 ? Math.sqrt(v) : 1)) };
}

/**
 * What the learners that are not linear (the MLP, the forests) see: the log of the whole-network features, without
 * the convolution buckets (the features from `convMacsLargeMapCin4` on), which split multiply-accumulates these
 * learners already see and only help a linear model. Refitted with the buckets on two profiles of the AMD EPYC VM,
 * the MLP's share within ±10% fell from 78.4% to 65.5% on one and stayed at 64.3% on the other.
 */
const NONLINEAR_INPUTS = FEATURE_NAMES.indexOf('convMacsLargeMapCin4');

export function logFeatures(features: number[]): number[] {
  return features.slice(0, NONLINEAR_INPUTS).map((v) => Math.log1p(Math.max(0, v)));
}
