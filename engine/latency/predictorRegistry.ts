/** Making and rebuilding the predictors by name. */
import { NetSproutError } from '../errors.js';
import { PREDICTOR_NAMES, type LatencyPredictor, type PredictorName } from './latencyPredictor.js';
import { LookupTablePredictor, type LookupTableParams } from './lookupTablePredictor.js';
import { MlpPredictor, type MlpParams } from './mlpPredictor.js';
import { RandomForestPredictor, type RandomForestParams } from './randomForestPredictor.js';
import { RidgeForestPredictor, type RidgeForestParams } from './ridgeForestPredictor.js';
import { RidgePredictor, type RidgeParams } from './ridgePredictor.js';

export function createPredictor(name: PredictorName): LatencyPredictor {
  switch (name) {
    case 'lookup-table':
      return new LookupTablePredictor();
    case 'ridge':
      return new RidgePredictor();
    case 'random-forest':
      return new RandomForestPredictor();
    case 'mlp':
      return new MlpPredictor();
    case 'ridge-forest':
      return new RidgeForestPredictor();
  }
}

export function loadPredictor(name: string, params: unknown, source = 'the profile'): LatencyPredictor {
  try {
    switch (name as PredictorName) {
      case 'lookup-table':
        return LookupTablePredictor.fromParams(params as LookupTableParams);
      case 'ridge':
        return RidgePredictor.fromParams(params as RidgeParams);
      case 'random-forest':
        return RandomForestPredictor.fromParams(params as RandomForestParams);
      case 'mlp':
        return MlpPredictor.fromParams(params as MlpParams);
      case 'ridge-forest':
        return RidgeForestPredictor.fromParams(params as RidgeForestParams);
    }
  } catch (e) {
    throw new NetSproutError('PROFILE_PREDICTOR', `The ${name} predictor in ${source} cannot be read: ${(e as Error).message}.`, 'Make the profile again with `netsprout profile`.', [source]);
  }
  throw new NetSproutError('PROFILE_PREDICTOR', `${source} names an unknown predictor "${name}".`, `Known predictors: ${PREDICTOR_NAMES.join(', ')}.`, [source]);
}
