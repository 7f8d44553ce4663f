/**
 * The IR graph as a Keras 3 Functional model: the config.json object Keras itself would write for the same
 * network, and the list of layers in `model.layers` order with their h5 container names and variable shapes.
 *
 * Where each convention comes from (keras-team/keras, read at v3.6.0 and master):
 * - keras/src/saving/serialization_lib.py `serialize_keras_object`: every object is
 *   {module, class_name, config, registered_name} (+ build_config); public classes use their first `keras_export`
 *   path ("keras.layers" + "Conv2D", registered_name null); Functional has no export, so it is written as
 *   "keras.src.models.functional" / "Functional" / registered_name "Functional". Within the ObjectSharingScope of
 *   `saving_lib._serialize_model_as_json`, an object serialized twice (the global DTypePolicy every layer holds)
 *   gets a "shared_object_id" in its later configs.
 * - keras/src/models/functional.py `get_config` / `serialize_node`: layers in `model.layers` order, each with
 *   "name" and "inbound_nodes"; a node is {"args": [...], "kwargs": {...}} whose tensors are
 *   {"class_name": "__keras_tensor__", "config": {shape, dtype, keras_history}}; merge layers take a list.
 * - keras/src/layers/layer.py: base config {name, trainable, dtype policy}; `get_build_config` gives
 *   {"input_shape": …} only for layers whose build() ran on the first call (not for layers built in __init__:
 *   InputLayer, activations, pooling, Dropout); `__call__` adds "mask": None to the node kwargs of layers whose
 *   call() takes a mask, and (up to 3.15) a non-None `training` default (Dropout).
 * - each layer's `get_config` (layers/core, convolutional, normalization, activations, pooling, reshaping,
 *   regularization, merging, preprocessing/normalization.py) for the keys, in their order.
 * - keras/src/activations/__init__.py: activation functions serialize to their function name (swish → "silu");
 *   `gelu` defaults to approximate=False, the erf form the engine trains with.
 * - BatchNormalization momentum has the engine's meaning: moving = moving·momentum + batch·(1 − momentum).
 * - preprocessing/normalization.py: with `mean` and `variance` given, both live in the config (not in variables)
 *   and the layer's weights group holds no datasets; it computes (x − mean) / max(sqrt(variance), 1e-7).
 */
import type { PreprocessSpec } from '../data/preprocessSpec.js';
import { NetSproutError } from '../errors.js';
import { topologicalOrder } from '../graph/topology.js';
import type { ActivationFn, Graph, Layer, Shape } from '../graph/types.js';
import { validateGraph } from '../graph/validate.js';
import { weightSpecs } from '../graph/weightSpecs.js';
import { kerasDialect, type KerasDialect } from './keras3Dialect.js';
import { containerNames, freeName, kerasLayerOrder, layerNamesFor } from './keras3Naming.js';
import type { ExportInput } from './exportTypes.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface KerasTensorConfig {
  class_name: '__keras_tensor__';
  config: { shape: Array<number | null>; dtype: string; keras_history: [string, number, number] };
}

export interface KerasNode {
  args: Json[];
  kwargs: JsonObject;
}

export interface KerasLayerEntry {
  module: string;
  class_name: string;
  config: JsonObject;
  registered_name: string | null;
  build_config?: JsonObject;
  name: string;
  inbound_nodes: KerasNode[];
}

export interface KerasModelConfig {
  module: 'keras.src.models.functional';
  class_name: 'Functional';
  config: {
    name: string;
    trainable: boolean;
    layers: KerasLayerEntry[];
    input_layers: Json;
    output_layers: Json;
  };
  registered_name: 'Functional';
  build_config: { input_shape: null };
  /** From Keras 3.10 an uncompiled model writes an empty compile config (the loader skips it). */
  compile_config?: Record<string, never>;
}

/** One layer of the Keras model, in `model.layers` order. */
export interface KerasLayerPlan {
  /** The Keras layer name. */
  name: string;
  /** The IR layer it comes from, or null for the Normalization layer added for image inputs. */
  irId: string | null;
  className: string;
  /** The group under `layers/` of model.weights.h5 that holds its variables. */
  container: string;
  /** Its variables' shapes, in Keras order. */
  weightShapes: number[][];
  entry: KerasLayerEntry;
}

export interface Keras3Model {
  config: KerasModelConfig;
  layers: KerasLayerPlan[];
  dialect: KerasDialect;
  /** Keras layer name → IR id, for the ids that had to be changed to be valid Keras names. */
  renamed: Record<string, string>;
}

export const KERAS3_MODEL_NAME = 'functional';

/** Config keys whose values Keras holds as Python floats (see keras3PyJson). */
export const KERAS3_FLOAT_KEYS: ReadonlySet<string> = new Set([
  'momentum',
  'epsilon',
  'rate',
  'negative_slope',
  'max_value',
  'threshold',
  'minval',
  'maxval',
  'mean',
  'variance',
  'renorm_momentum',
]);

/** A fixed stand-in for the Python object id (`id(policy)`) Keras writes as the shared DTypePolicy's id. */
const SHARED_DTYPE_POLICY_ID = 1;

/** Keras activation function names (keras.activations.*), by IR activation. */
export const KERAS_ACTIVATION: Record<ActivationFn, string> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  leakyRelu: 'leaky_relu',
  elu: 'elu',
  selu: 'selu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  swish: 'silu',
  gelu: 'gelu',
  softmax: 'softmax',
};

/** Layers whose `build()` runs on the first call, so Keras records a build_config for them. */
const BUILT_ON_CALL = new Set([
  'Conv2D',
  'SeparableConv2D',
  'DepthwiseConv2D',
  'Conv1D',
  'Dense',
  'BatchNormalization',
  'Flatten',
  'Add',
  'Concatenate',
  'Embedding',
  'Normalization',
]);

/** Layers whose call() has a `mask` argument, so Keras records "mask": None in their nodes. */
const CALL_TAKES_MASK = new Set(['BatchNormalization', 'Softmax', 'GlobalAveragePooling1D']);

/** Layers whose call() has a non-None `training` default (Dropout: training=False). */
const CALL_TRAINING_DEFAULT = new Set(['Dropout']);

const MERGE_LAYERS = new Set(['Add', 'Concatenate']);

// ---------------------------------------------------------------------------------------------------------------
// Serialized objects

function dtypePolicy(): JsonObject {
  return { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
}

function initializer(className: 'GlorotUniform' | 'Zeros' | 'Ones' | 'RandomUniform', dialect: KerasDialect): JsonObject {
  const glorot: JsonObject = dialect.initializerAxes ? { seed: null, input_axes: null, output_axes: null } : { seed: null };
  const config: JsonObject = className === 'GlorotUniform' ? glorot : className === 'RandomUniform' ? { seed: null, minval: -0.05, maxval: 0.05 } : {};
  return { module: 'keras.initializers', class_name: className, config, registered_name: null };
}

function baseConfig(name: string): JsonObject {
  return { name, trainable: true, dtype: dtypePolicy() };
}

const pair = (v: [number, number]): Json => [v[0], v[1]];

// ---------------------------------------------------------------------------------------------------------------
// Per-layer class and config

/** The Keras class an IR layer becomes (1-D or 2-D global pooling by the input's rank). */
export function kerasClassOf(layer: Layer, inputShapes: Shape[]): string {
  switch (layer.type) {
    case 'input':
      return 'InputLayer';
    case 'conv2d':
      return 'Conv2D';
    case 'separableConv2d':
      return 'SeparableConv2D';
    case 'depthwiseConv2d':
      return 'DepthwiseConv2D';
    case 'conv1d':
      return 'Conv1D';
    case 'dense':
      return 'Dense';
    case 'batchNorm':
      return 'BatchNormalization';
    case 'activation':
      return activationClass(layer.params.fn);
    case 'maxPool2d':
      return 'MaxPooling2D';
    case 'avgPool2d':
      return 'AveragePooling2D';
    case 'maxPool1d':
      return 'MaxPooling1D';
    case 'avgPool1d':
      return 'AveragePooling1D';
    case 'globalAvgPool':
    case 'globalMaxPool': {
      const kind = layer.type === 'globalAvgPool' ? 'GlobalAveragePooling' : 'GlobalMaxPooling';
      return `${kind}${inputShapes[0].length === 3 ? '2D' : '1D'}`;
    }
    case 'flatten':
      return 'Flatten';
    case 'dropout':
      return 'Dropout';
    case 'add':
      return 'Add';
    case 'concat':
      return 'Concatenate';
    case 'embedding':
      return 'Embedding';
  }
}

function activationClass(fn: ActivationFn): string {
  if (fn === 'relu' || fn === 'relu6') return 'ReLU';
  if (fn === 'leakyRelu') return 'LeakyReLU';
  if (fn === 'softmax') return 'Softmax';
  return 'Activation';
}

function convConfig(name: string, rank: 1 | 2, dialect: KerasDialect, p: { filters: number; kernelSize: number | [number, number]; strides: number | [number, number]; padding: string; dilation: number | [number, number]; activation: ActivationFn; useBias: boolean }): JsonObject {
  const tuple = (v: number | [number, number]): Json => (rank === 1 ? [v as number] : pair(v as [number, number]));
  return {
    ...baseConfig(name),
    filters: p.filters,
    kernel_size: tuple(p.kernelSize),
    strides: tuple(p.strides),
    padding: p.padding,
    data_format: 'channels_last',
    dilation_rate: tuple(p.dilation),
    groups: 1,
    activation: KERAS_ACTIVATION[p.activation],
    use_bias: p.useBias,
    kernel_initializer: initializer('GlorotUniform', dialect),
    bias_initializer: initializer('Zeros', dialect),
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  };
}

function layerConfig(layer: Layer, name: string, dialect: KerasDialect): JsonObject {
  switch (layer.type) {
    case 'input': {
      const config: JsonObject = { batch_shape: [null, ...layer.params.shape], dtype: layer.params.dtype, sparse: false };
      if (dialect.inputRagged) config.ragged = false;
      config.name = name;
      if (dialect.inputOptional) config.optional = false;
      return config;
    }
    case 'conv2d':
      return convConfig(name, 2, dialect, layer.params);
    case 'conv1d':
      return convConfig(name, 1, dialect, layer.params);
    case 'depthwiseConv2d': {
      const p = layer.params;
      return {
        ...baseConfig(name),
        depth_multiplier: p.depthMultiplier,
        kernel_size: pair(p.kernelSize),
        strides: pair(p.strides),
        padding: p.padding,
        data_format: 'channels_last',
        dilation_rate: pair(p.dilation),
        activation: KERAS_ACTIVATION[p.activation],
        use_bias: p.useBias,
        depthwise_initializer: initializer('GlorotUniform', dialect),
        bias_initializer: initializer('Zeros', dialect),
        depthwise_regularizer: null,
        bias_regularizer: null,
        activity_regularizer: null,
        depthwise_constraint: null,
        bias_constraint: null,
      };
    }
    case 'separableConv2d': {
      const p = layer.params;
      return {
        ...baseConfig(name),
        depth_multiplier: p.depthMultiplier,
        filters: p.filters,
        kernel_size: pair(p.kernelSize),
        strides: pair(p.strides),
        padding: p.padding,
        data_format: 'channels_last',
        dilation_rate: pair(p.dilation),
        activation: KERAS_ACTIVATION[p.activation],
        use_bias: p.useBias,
        depthwise_initializer: initializer('GlorotUniform', dialect),
        pointwise_initializer: initializer('GlorotUniform', dialect),
        bias_initializer: initializer('Zeros', dialect),
        depthwise_regularizer: null,
        pointwise_regularizer: null,
        bias_regularizer: null,
        activity_regularizer: null,
        depthwise_constraint: null,
        pointwise_constraint: null,
        bias_constraint: null,
      };
    }
    case 'dense': {
      const p = layer.params;
      const config: JsonObject = {
        ...baseConfig(name),
        units: p.units,
        activation: KERAS_ACTIVATION[p.activation],
        use_bias: p.useBias,
        kernel_initializer: initializer('GlorotUniform', dialect),
        bias_initializer: initializer('Zeros', dialect),
        kernel_regularizer: null,
        bias_regularizer: null,
        kernel_constraint: null,
        bias_constraint: null,
      };
      if (dialect.quantizationConfig) config.quantization_config = null;
      return config;
    }
    case 'batchNorm': {
      const config: JsonObject = {
        ...baseConfig(name),
        axis: -1,
        momentum: layer.params.momentum,
        epsilon: layer.params.epsilon,
        center: true,
        scale: true,
        beta_initializer: initializer('Zeros', dialect),
        gamma_initializer: initializer('Ones', dialect),
        moving_mean_initializer: initializer('Zeros', dialect),
        moving_variance_initializer: initializer('Ones', dialect),
        beta_regularizer: null,
        gamma_regularizer: null,
        beta_constraint: null,
        gamma_constraint: null,
        synchronized: false,
      };
      if (dialect.batchNormRenorm) Object.assign(config, { renorm: false, renorm_clipping: null, renorm_momentum: 0.99 });
      return config;
    }
    case 'activation':
      return activationConfig(name, layer.params.fn, layer.params.alpha);
    case 'maxPool2d':
    case 'avgPool2d': {
      const p = layer.params;
      return { ...baseConfig(name), pool_size: pair(p.poolSize), padding: p.padding, strides: pair(p.strides), data_format: 'channels_last' };
    }
    case 'maxPool1d':
    case 'avgPool1d': {
      const p = layer.params;
      return { ...baseConfig(name), pool_size: [p.poolSize], padding: p.padding, strides: [p.strides], data_format: 'channels_last' };
    }
    case 'globalAvgPool':
    case 'globalMaxPool':
      return { ...baseConfig(name), data_format: 'channels_last', keepdims: false };
    case 'flatten':
      return { ...baseConfig(name), data_format: 'channels_last' };
    case 'dropout':
      return { ...baseConfig(name), rate: layer.params.rate, seed: null, noise_shape: null };
    case 'add':
      return baseConfig(name);
    case 'concat':
      return { ...baseConfig(name), axis: -1 };
    case 'embedding': {
      const config: JsonObject = {
        ...baseConfig(name),
        input_dim: layer.params.inputDim,
        output_dim: layer.params.outputDim,
        embeddings_initializer: initializer('RandomUniform', dialect),
        embeddings_regularizer: null,
        activity_regularizer: null,
        embeddings_constraint: null,
        mask_zero: false,
      };
      if (dialect.quantizationConfig) config.quantization_config = null;
      return config;
    }
  }
}

function activationConfig(name: string, fn: ActivationFn, alpha: number | undefined): JsonObject {
  switch (activationClass(fn)) {
    case 'ReLU':
      return { ...baseConfig(name), max_value: fn === 'relu6' ? 6 : null, negative_slope: 0, threshold: 0 };
    case 'LeakyReLU':
      return { ...baseConfig(name), negative_slope: alpha ?? 0.2 };
    case 'Softmax':
      return { ...baseConfig(name), axis: -1 };
    default:
      return { ...baseConfig(name), activation: KERAS_ACTIVATION[fn] };
  }
}

function normalizationConfig(name: string, mean: number[], variance: number[]): JsonObject {
  return { ...baseConfig(name), axis: [-1], invert: false, mean, variance };
}

// ---------------------------------------------------------------------------------------------------------------
// The model

/** A layer of the Keras graph before ordering: the IR layer (or the added Normalization) and its wiring. */
interface KerasGraphLayer {
  name: string;
  irLayer: Layer | null;
  className: string;
  config: JsonObject;
  inputs: string[];
  inputShapes: Shape[];
  outputShape: Shape;
  outputDtype: string;
  weightShapes: number[][];
}

/** Builds the Keras 3 Functional model for an export. Throws NetSproutError for what Keras cannot represent. */
export function buildKeras3Model(input: Pick<ExportInput, 'graph' | 'preprocess'>, opts: { kerasVersion?: string } = {}): Keras3Model {
  const dialect = kerasDialect(opts.kerasVersion);
  const { graph, preprocess } = input;
  const shapes = validateGraph(graph);
  checkKerasCanRepresent(graph);
  const order = topologicalOrder(graph);
  const names = layerNamesFor(order.map((l) => l.id));
  const nameOf = new Map(order.map((l, i) => [l.id, names[i]]));
  const taken = new Set(names);

  // The image normalisation becomes a Normalization layer right after each image input.
  const normalisation = imageNormalisationFor(graph, preprocess);
  const feeds = new Map<string, string>(); // input layer id → name of the layer that feeds its consumers
  const graphLayers: KerasGraphLayer[] = [];
  for (const layer of order) {
    const name = nameOf.get(layer.id)!;
    const inputShapes = layer.inputs.map((id) => shapes.get(id)!);
    const className = kerasClassOf(layer, inputShapes);
    graphLayers.push({
      name,
      irLayer: layer,
      className,
      config: layerConfig(layer, name, dialect),
      inputs: layer.inputs.map((id) => feeds.get(id) ?? nameOf.get(id)!),
      inputShapes,
      outputShape: shapes.get(layer.id)!,
      outputDtype: layer.type === 'input' ? layer.params.dtype : 'float32',
      weightShapes: weightSpecs(layer, inputShapes).map((s) => s.shape),
    });
    if (layer.type === 'input' && normalisation && layer.params.shape.length === 3) {
      const normName = freeName('normalization', taken);
      taken.add(normName);
      feeds.set(layer.id, normName);
      const shape = shapes.get(layer.id)!;
      graphLayers.push({
        name: normName,
        irLayer: null,
        className: 'Normalization',
        config: normalizationConfig(normName, normalisation.mean, normalisation.std.map((s) => s * s)),
        inputs: [name],
        inputShapes: [shape],
        outputShape: shape,
        outputDtype: 'float32',
        weightShapes: [],
      });
    }
  }

  const byName = new Map(graphLayers.map((l) => [l.name, l]));
  const outputName = nameOf.get(graph.output)!;
  const orderedNames = kerasLayerOrder(graphLayers, [outputName]);
  const ordered = orderedNames.map((n) => byName.get(n)!);
  const containers = containerNames(ordered.map((l) => l.className));
  const layers: KerasLayerPlan[] = ordered.map((l, i) => ({
    name: l.name,
    irId: l.irLayer ? l.irLayer.id : null,
    className: l.className,
    container: containers[i],
    weightShapes: l.weightShapes,
    entry: layerEntry(l, byName, dialect),
  }));
  markSharedDtypePolicy(layers.map((l) => l.entry));

  const inputNames = order.filter((l) => l.type === 'input').map((l) => nameOf.get(l.id)!);
  const config: KerasModelConfig = {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: KERAS3_MODEL_NAME,
      trainable: true,
      layers: layers.map((l) => l.entry),
      input_layers: tensorRefs(inputNames, dialect),
      output_layers: tensorRefs([outputName], dialect),
    },
    registered_name: 'Functional',
    build_config: { input_shape: null },
    ...(dialect.emptyCompileConfig ? { compile_config: {} } : {}),
  };
  const renamed: Record<string, string> = {};
  for (const layer of order) if (nameOf.get(layer.id) !== layer.id) renamed[nameOf.get(layer.id)!] = layer.id;
  return { config, layers, dialect, renamed };
}

function layerEntry(layer: KerasGraphLayer, byName: Map<string, KerasGraphLayer>, dialect: KerasDialect): KerasLayerEntry {
  // Key order as Keras writes it: module, class_name, config, registered_name, build_config, name, inbound_nodes.
  const shapes = layer.inputShapes.map(batchShape);
  const buildConfig = BUILT_ON_CALL.has(layer.className) ? { input_shape: MERGE_LAYERS.has(layer.className) ? shapes : shapes[0] } : undefined;
  return {
    module: 'keras.layers',
    class_name: layer.className,
    config: layer.config,
    registered_name: null,
    ...(buildConfig ? { build_config: buildConfig } : {}),
    name: layer.name,
    // An InputLayer's node has no input tensors, and Keras does not serialize such nodes.
    inbound_nodes: layer.inputs.length > 0 ? [inboundNode(layer, byName, dialect)] : [],
  };
}

function inboundNode(layer: KerasGraphLayer, byName: Map<string, KerasGraphLayer>, dialect: KerasDialect): KerasNode {
  const tensors = layer.inputs.map((name) => kerasTensor(byName.get(name)!));
  const kwargs: JsonObject = {};
  if (dialect.recordsTrainingDefault && CALL_TRAINING_DEFAULT.has(layer.className)) kwargs.training = false;
  if (CALL_TAKES_MASK.has(layer.className)) kwargs.mask = null;
  return { args: MERGE_LAYERS.has(layer.className) ? [tensors] : tensors, kwargs };
}

function kerasTensor(producer: KerasGraphLayer): Json {
  const tensor: KerasTensorConfig = {
    class_name: '__keras_tensor__',
    config: { shape: batchShape(producer.outputShape), dtype: producer.outputDtype, keras_history: [producer.name, 0, 0] },
  };
  return tensor as unknown as Json;
}

function batchShape(shape: Shape): Array<number | null> {
  return [null, ...shape];
}

function tensorRefs(names: string[], dialect: KerasDialect): Json {
  const refs: Json[] = names.map((n) => [n, 0, 0]);
  return refs.length === 1 && dialect.bareSingleTensorRef ? refs[0] : refs;
}

/**
 * Every layer holds the one global DTypePolicy, so within Keras's ObjectSharingScope its second and later
 * serializations get a "shared_object_id" (record_object_after_serialization). The first layer's copy has none:
 * serialize_dict had already copied it when the id was added to the recorded original.
 */
function markSharedDtypePolicy(entries: KerasLayerEntry[]): void {
  const policies = entries.map((e) => e.config.dtype).filter((d): d is JsonObject => typeof d === 'object' && d !== null && !Array.isArray(d));
  for (const p of policies.slice(1)) p.shared_object_id = SHARED_DTYPE_POLICY_ID;
}

function imageNormalisationFor(graph: Graph, spec: PreprocessSpec): { mean: number[]; std: number[] } | null {
  const inputs = graph.layers.filter((l) => l.type === 'input');
  const mismatch = (detail: string): NetSproutError =>
    new NetSproutError('EXPORT_PREPROCESS_MISMATCH', `The preprocessing does not fit the network: ${detail}.`, 'Export the model together with the preprocessing it was trained with.');
  if (spec.kind === 'text') {
    for (const l of inputs) {
      if (l.params.dtype !== 'int32' || l.params.shape.length !== 1 || l.params.shape[0] !== spec.sequenceLength) {
        throw mismatch(`text models take int32 token ids of length ${spec.sequenceLength}, input "${l.id}" is ${l.params.dtype} [${l.params.shape.join(', ')}]`);
      }
    }
    return null;
  }
  if (spec.kind === 'table') {
    for (const l of inputs) {
      if (l.params.dtype !== 'float32' || l.params.shape.length !== 1 || l.params.shape[0] !== spec.width) {
        throw mismatch(`table models take encoded rows of width ${spec.width}, input "${l.id}" is ${l.params.dtype} [${l.params.shape.join(', ')}]`);
      }
    }
    return null;
  }
  const want = [spec.height, spec.width, spec.channels];
  for (const l of inputs) {
    const s = l.params.shape;
    if (l.params.dtype !== 'float32' || s.length !== 3 || s.some((d, i) => d !== want[i])) {
      throw mismatch(`image models take [${want.join(', ')}] pixels, input "${l.id}" is ${l.params.dtype} [${s.join(', ')}]`);
    }
  }
  if (spec.mean.length !== spec.channels || spec.std.length !== spec.channels) {
    throw mismatch(`the image statistics have ${spec.mean.length} means and ${spec.std.length} deviations for ${spec.channels} channels`);
  }
  if (![...spec.mean, ...spec.std].every(Number.isFinite) || spec.std.some((s) => !(s > 0))) {
    throw mismatch('the image statistics are not finite positive numbers');
  }
  return { mean: [...spec.mean], std: [...spec.std] };
}

/** Refuses IR settings that the target Keras layers reject. */
function checkKerasCanRepresent(graph: Graph): void {
  for (const layer of graph.layers) {
    if (layer.type !== 'conv2d' && layer.type !== 'depthwiseConv2d' && layer.type !== 'separableConv2d' && layer.type !== 'conv1d') continue;
    const p = layer.params;
    const strides = typeof p.strides === 'number' ? [p.strides] : p.strides;
    const dilation = typeof p.dilation === 'number' ? [p.dilation] : p.dilation;
    // keras/src/layers/convolutional/base_conv.py (and depthwise/separable before 3.16) raise on this.
    if (Math.max(...strides) > 1 && Math.max(...dilation) > 1) {
      throw new NetSproutError(
        'EXPORT_KERAS_STRIDED_DILATION',
        `Layer "${layer.id}" has both strides > 1 and dilation > 1, which Keras convolution layers do not accept.`,
        'Use a stride of 1 with dilation, or no dilation with a stride.',
      );
    }
  }
}
