/**
 * Ridge regression corrected by a tree ensemble: ridge (ridgePredictor.ts) gives the latency as a linear function of
 * the features, which extrapolates to networks larger than any it was fitted on; a random forest (ml-random-forest)
 * on the log features then learns the factor by which ridge is off, ms = ridge(x) · exp(forest(x)), from the
 * ratios of ridge's out-of-fold predictions (k-fold on the fitting data, so the forest sees ridge's real errors and
 * not its training fit). What a linear model cannot express, such as cache effects once activations outgrow a
 * cache or kernels that run less efficiently on small layers, is a multiplicative correction that trees capture.
 * Below 2·folds observations there is no forest and it predicts as ridge does.
 */
import { RandomForestRegression } from 'ml-random-forest';
import type { ArchitectureDescription } from './architectureFeatures.js';
import { MIN_PREDICTION_MS, logFeatures, type FitData, type LatencyPredictor } from './latencyPredictor.js';
import { trainForest } from './randomForestPredictor.js';
import { RidgePredictor, type RidgeParams } from './ridgePredictor.js';

export interface RidgeForestParams {
  ridge: RidgeParams;
  /** ml-random-forest's JSON of the correction (log of measured / ridge), or null when there was too little data. */
  forest: unknown;
}

export class RidgeForestPredictor implements LatencyPredictor {
  readonly name = 'ridge-forest' as const;
  private ridge: RidgePredictor | null = null;
  private forest: RandomForestRegression | null = null;

  constructor(private readonly folds = 5, private readonly trees = 60) {}

  static fromParams(params: RidgeForestParams): RidgeForestPredictor {
    const p = new RidgeForestPredictor();
    p.ridge = RidgePredictor.fromParams(params.ridge);
    p.forest = params.forest ? RandomForestRegression.load(params.forest as never) : null;
    return p;
  }

  fit(data: FitData): void {
    const obs = data.observations;
    this.ridge = new RidgePredictor();
    this.ridge.fit(data);
    this.forest = null;
    if (obs.length < 2 * this.folds) return;
    const ratio = new Array<number>(obs.length);
    // The folds use the penalty cross-validation chose for the whole ridge fit rather than choosing their own.
    const lambda = this.ridge.toJSON().lambda;
    for (let k = 0; k < this.folds; k++) {
      const m = new RidgePredictor([lambda]);
      m.fit({ ...data, observations: obs.filter((_, i) => i % this.folds !== k) });
      obs.forEach((o, i) => {
        if (i % this.folds === k) ratio[i] = Math.log(o.ms / m.predict(o.description));
      });
    }
    this.forest = trainForest(obs.map((o) => logFeatures(o.description.features)), ratio, { trees: this.trees, seed: (data.seed ?? 0) + 43, minNumSamples: 5, maxDepth: 8 });
  }

  predict(d: ArchitectureDescription): number {
    if (!this.ridge) throw new Error('RidgeForestPredictor.predict before fit');
    const correction = this.forest ? this.forest.predict([logFeatures(d.features)])[0] : 0;
    return Math.max(MIN_PREDICTION_MS, this.ridge.predict(d) * Math.exp(correction));
  }

  toJSON(): RidgeForestParams {
    if (!this.ridge) throw new Error('RidgeForestPredictor.toJSON before fit');
    return { ridge: this.ridge.toJSON(), forest: this.forest ? this.forest.toJSON() : null };
  }
}
