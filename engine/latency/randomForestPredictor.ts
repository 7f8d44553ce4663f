/**
 * A tree ensemble: ml-random-forest's RandomForestRegression on the log of the features, predicting the log of
 * the latency (so that errors are relative). Trees cannot extrapolate beyond the latencies they were fitted on.
 */
import { RandomForestRegression } from 'ml-random-forest';
import type { ArchitectureDescription } from './architectureFeatures.js';
import { MIN_PREDICTION_MS, logFeatures, type FitData, type LatencyPredictor } from './latencyPredictor.js';

export interface RandomForestParams {
  /** ml-random-forest's own JSON (RandomForestRegression.toJSON()). */
  forest: unknown;
}

export class RandomForestPredictor implements LatencyPredictor {
  readonly name = 'random-forest' as const;
  private forest: RandomForestRegression | null = null;

  constructor(private readonly trees = 60) {}

  static fromParams(params: RandomForestParams): RandomForestPredictor {
    const p = new RandomForestPredictor();
    p.forest = RandomForestRegression.load(params.forest as never);
    return p;
  }

  fit(data: FitData): void {
    const x = data.observations.map((o) => logFeatures(o.description.features));
    const y = data.observations.map((o) => Math.log(o.ms));
    this.forest = trainForest(x, y, { trees: this.trees, seed: (data.seed ?? 0) + 42, minNumSamples: 2, maxDepth: 12 });
  }

  predict(d: ArchitectureDescription): number {
    if (!this.forest) throw new Error('RandomForestPredictor.predict before fit');
    return Math.max(MIN_PREDICTION_MS, Math.exp(this.forest.predict([logFeatures(d.features)])[0]));
  }

  toJSON(): RandomForestParams {
    if (!this.forest) throw new Error('RandomForestPredictor.toJSON before fit');
    return { forest: this.forest.toJSON() };
  }
}

/** A regression forest of ml-random-forest: bagged samples without replacement, 60% of the features per split. */
export function trainForest(x: number[][], y: number[], o: { trees: number; seed: number; minNumSamples: number; maxDepth: number }): RandomForestRegression {
  const forest = new RandomForestRegression({
    nEstimators: o.trees,
    maxFeatures: 0.6,
    replacement: false,
    useSampleBagging: true,
    noOOB: true,
    seed: o.seed,
    treeOptions: { minNumSamples: o.minNumSamples, maxDepth: o.maxDepth },
  } as never);
  forest.train(x, y);
  return forest;
}
