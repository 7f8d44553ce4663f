/**
 * What a given Keras 3 release writes, where releases differ for the layers NetSprout exports.
 *
 * Keras rebuilds each layer by passing its config back to the constructor, and `Layer.__init__` rejects keyword
 * arguments it does not know (keras/src/layers/layer.py), so a file must carry only the keys its target release
 * knows. Newer releases accept the configs older ones write (the added keys have defaults). Hence the default
 * target is the oldest release supported: 3.6.0, the first that names every weights group (a `name` attribute on
 * each `vars` group, keras/src/saving/saving_lib.py `_save_state`).
 *
 * Differences, each checked against the release tags of keras-team/keras:
 * - InputLayer.get_config adds `ragged` from 3.9.0 and `optional` from 3.13.0 (layers/core/input_layer.py);
 * - Functional.get_config writes a single input/output tensor as a bare [name, 0, 0] from 3.11.0, as
 *   [[name, 0, 0]] before (models/functional.py `map_tensors`); both load everywhere;
 * - Dense and Embedding add `quantization_config` from 3.13.0 (layers/core/dense.py, embedding.py);
 * - BatchNormalization adds `renorm`, `renorm_clipping`, `renorm_momentum` from 3.14.0;
 * - Layer.__call__ records a call()'s non-None `training` default (Dropout: training=False) in the node kwargs up
 *   to 3.15; 3.16 no longer does (layers/layer.py `_resolve_and_populate_arg`);
 * - an uncompiled model gets "compile_config": {} from 3.10.0 (trainers/trainer.py `get_compile_config`);
 * - GlorotUniform (a VarianceScaling) adds `input_axes` and `output_axes` from 3.15.0
 *   (initializers/random_initializers.py).
 * Checked by hand (not in CI, which has no Python Keras): for 3.6.0, 3.9.2, 3.10.0, 3.11.3, 3.12.1, 3.13.2,
 * 3.14.1, 3.15.1 and master, that release's source (numpy backend) loads the files written for it, predicts what
 * the engine predicts, and writes config.json text and an h5 tree identical to ours for the same models (up to
 * the model's name and the Python object id in "shared_object_id"); files written for 3.6.0 load in all of them.
 */
import { NetSproutError } from '../errors.js';

export const DEFAULT_KERAS_VERSION = '3.6.0';

export interface KerasDialect {
  /** The version written to metadata.json. */
  version: string;
  minor: number;
  inputRagged: boolean;
  inputOptional: boolean;
  bareSingleTensorRef: boolean;
  quantizationConfig: boolean;
  batchNormRenorm: boolean;
  recordsTrainingDefault: boolean;
  emptyCompileConfig: boolean;
  initializerAxes: boolean;
}

export function kerasDialect(version: string = DEFAULT_KERAS_VERSION): KerasDialect {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  const major = match ? Number(match[1]) : NaN;
  const minor = match ? Number(match[2]) : NaN;
  if (major !== 3 || !(minor >= 6)) {
    throw new NetSproutError(
      'EXPORT_KERAS_VERSION',
      `Cannot write a .keras file for Keras "${version}".`,
      'Choose a Keras 3 release from 3.6.0 on (for example 3.6.0, which newer releases also load).',
    );
  }
  return {
    version,
    minor,
    inputRagged: minor >= 9,
    inputOptional: minor >= 13,
    bareSingleTensorRef: minor >= 11,
    quantizationConfig: minor >= 13,
    batchNormRenorm: minor >= 14,
    recordsTrainingDefault: minor < 16,
    emptyCompileConfig: minor >= 10,
    initializerAxes: minor >= 15,
  };
}
