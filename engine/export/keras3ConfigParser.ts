/**
 * A Keras 3 Functional config.json back to the IR graph, for the layer types and settings the IR has, so that an
 * export can be checked by reading it back (and a .keras file from elsewhere read where it fits).
 *
 * It reads what keras3Config writes and what Keras writes for the same layers: layer entries
 * {module, class_name, config, name, inbound_nodes} (keras/src/models/functional.py), nodes as
 * {"args", "kwargs"} with "__keras_tensor__" references (and the older [[name, node, tensor, kwargs]] lists),
 * `input_layers` / `output_layers` as a bare [name, 0, 0] or a list of them. A Normalization layer right after an
 * input is the export's image normalisation: it is not an IR layer, so it is left out and its statistics returned.
 * Whatever else changes the function and the IR cannot express (other classes, channels_first, groups, shared
 * layers, …) is refused with a NetSproutError rather than read approximately; initializers, regularizers and
 * constraints do not change the function and are ignored.
 */
import { NetSproutError } from '../errors.js';
import type { ActivationFn, Graph, Layer, Padding } from '../graph/types.js';
import { validateGraph } from '../graph/validate.js';

export interface ParsedKerasLayer {
  /** The Keras layer name. */
  name: string;
  className: string;
  /** The IR id it maps to, or null for the image Normalization layer. */
  irId: string | null;
  /** Names of the layers it takes its inputs from, in argument order. */
  inputs: string[];
  config: Record<string, unknown>;
}

export interface ParsedNormalization {
  /** The Keras layer name. */
  layer: string;
  /** The IR input it normalises. */
  input: string;
  /** From the config; null when the layer was adapted (the statistics are then its variables). */
  mean: number[] | null;
  variance: number[] | null;
}

export interface ParsedKerasModel {
  graph: Graph;
  /** Every layer of the config, in the config's order. */
  layers: ParsedKerasLayer[];
  normalizations: ParsedNormalization[];
  inputNames: string[];
  outputNames: string[];
}

type Dict = Record<string, unknown>;

const ACTIVATION_FROM_KERAS: Record<string, ActivationFn> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  leaky_relu: 'leakyRelu',
  elu: 'elu',
  selu: 'selu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  silu: 'swish',
  swish: 'swish',
  gelu: 'gelu',
  softmax: 'softmax',
};

/** The IR's default leaky ReLU slope (engine/train/graphModel.ts), which Keras's LeakyReLU also defaults to. */
const DEFAULT_LEAKY_SLOPE = 0.2;

function unsupported(detail: string): NetSproutError {
  return new NetSproutError('KERAS_UNSUPPORTED', `This .keras model cannot be read as a NetSprout network: ${detail}.`, 'Only the layer types and settings NetSprout exports can be read back.');
}

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses config.json. `renamed` maps Keras layer names back to IR ids (metadata.json "netsprout_layer_ids"). */
export function graphFromKeras3Config(config: unknown, renamed: Record<string, string> = {}): ParsedKerasModel {
  if (!isDict(config) || !isDict(config.config) || !Array.isArray(config.config.layers)) {
    throw new NetSproutError('KERAS_BAD_CONFIG', 'config.json is not a Keras model config.', 'The file may be damaged or not a .keras file.');
  }
  if (config.class_name !== 'Functional') throw unsupported(`the model is a ${String(config.class_name)}, not a Functional model`);
  const inner = config.config;
  const idOf = (name: string): string => renamed[name] ?? name;

  const layers: ParsedKerasLayer[] = (inner.layers as unknown[]).map(parseEntry);
  const byName = new Map(layers.map((l) => [l.name, l]));
  // A Normalization layer straight after an input stands for the input itself in the IR graph.
  const normalizations: ParsedNormalization[] = [];
  const standsFor = new Map<string, string>();
  for (const l of layers) {
    if (l.className !== 'Normalization') continue;
    const source = l.inputs.length === 1 ? byName.get(l.inputs[0]) : undefined;
    if (!source || source.className !== 'InputLayer') throw unsupported(`Normalization layer "${l.name}" does not follow an input layer`);
    standsFor.set(l.name, source.name);
    normalizations.push({ layer: l.name, input: idOf(source.name), mean: numberList(l.config.mean), variance: numberList(l.config.variance) });
  }
  for (const l of layers) l.irId = l.className === 'Normalization' ? null : idOf(l.name);

  const irLayers: Layer[] = [];
  for (const l of layers) {
    if (l.irId === null) continue;
    for (const input of l.inputs) if (!byName.has(input)) throw unsupported(`layer "${l.name}" takes its input from "${input}", which is not in the model`);
    const inputs = l.inputs.map((n) => idOf(standsFor.get(n) ?? n));
    irLayers.push({ id: l.irId, inputs, ...irTypeAndParams(l) } as Layer);
  }
  const inputNames = tensorNames(inner.input_layers);
  const outputNames = tensorNames(inner.output_layers);
  if (outputNames.length !== 1) throw unsupported(`the model has ${outputNames.length} outputs; NetSprout networks have one`);
  const output = idOf(standsFor.get(outputNames[0]) ?? outputNames[0]);
  const graph: Graph = { version: 1, layers: irLayers, output };
  validateGraph(graph);
  return { graph, layers, normalizations, inputNames, outputNames };
}

function parseEntry(entry: unknown): ParsedKerasLayer {
  if (!isDict(entry) || typeof entry.class_name !== 'string' || !isDict(entry.config)) {
    throw new NetSproutError('KERAS_BAD_CONFIG', 'config.json has a layer entry without class_name and config.', 'The file may be damaged.');
  }
  const name = typeof entry.name === 'string' ? entry.name : entry.config.name;
  if (typeof name !== 'string') throw new NetSproutError('KERAS_BAD_CONFIG', `A ${entry.class_name} layer in config.json has no name.`, 'The file may be damaged.');
  const nodes = Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [];
  if (nodes.length > 1) throw unsupported(`layer "${name}" is called ${nodes.length} times (shared layers)`);
  return { name, className: entry.class_name, irId: name, inputs: nodes.length === 1 ? nodeInputs(nodes[0]) : [], config: entry.config };
}

/** The producing layer of every tensor a node's arguments name, in order. */
function nodeInputs(node: unknown): string[] {
  const names: string[] = [];
  const collect = (v: unknown): void => {
    if (isDict(v)) {
      if (v.class_name === '__keras_tensor__' && isDict(v.config) && Array.isArray(v.config.keras_history)) {
        names.push(String(v.config.keras_history[0]));
      }
      return;
    }
    if (Array.isArray(v)) {
      // The pre-Keras-3 form: [name, node_index, tensor_index, kwargs].
      if (v.length >= 3 && typeof v[0] === 'string' && typeof v[1] === 'number') names.push(v[0]);
      else v.forEach(collect);
    }
  };
  collect(isDict(node) ? node.args : node);
  return names;
}

/** `input_layers` / `output_layers`: a bare [name, node, tensor] or a nested list of them. */
function tensorNames(refs: unknown): string[] {
  if (Array.isArray(refs) && refs.length === 3 && typeof refs[0] === 'string') return [refs[0]];
  if (Array.isArray(refs)) return refs.flatMap(tensorNames);
  if (isDict(refs)) return Object.values(refs).flatMap(tensorNames);
  return [];
}

function numberList(v: unknown): number[] | null {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Per class

function irTypeAndParams(l: ParsedKerasLayer): Pick<Layer, 'type' | 'params'> {
  const c = l.config;
  const read = new ConfigReader(l);
  switch (l.className) {
    case 'InputLayer': {
      const batch = read.intList(c.batch_shape !== undefined ? 'batch_shape' : 'batch_input_shape', true);
      const dtype = c.dtype;
      if (dtype !== 'float32' && dtype !== 'int32') throw unsupported(`input "${l.name}" has dtype ${JSON.stringify(dtype)}`);
      if (c.sparse === true || c.ragged === true) throw unsupported(`input "${l.name}" is sparse or ragged`);
      return { type: 'input', params: { shape: batch.slice(1), dtype } };
    }
    case 'Conv2D':
      read.convCommon();
      return {
        type: 'conv2d',
        params: {
          filters: read.int('filters'),
          kernelSize: read.pair('kernel_size'),
          strides: read.pair('strides'),
          padding: read.padding(),
          dilation: read.pair('dilation_rate'),
          useBias: read.bool('use_bias'),
          activation: read.activation(),
        },
      };
    case 'Conv1D':
      read.convCommon();
      return {
        type: 'conv1d',
        params: {
          filters: read.int('filters'),
          kernelSize: read.single('kernel_size'),
          strides: read.single('strides'),
          padding: read.padding(),
          dilation: read.single('dilation_rate'),
          useBias: read.bool('use_bias'),
          activation: read.activation(),
        },
      };
    case 'DepthwiseConv2D':
    case 'SeparableConv2D': {
      read.channelsLast();
      const params = {
        kernelSize: read.pair('kernel_size'),
        strides: read.pair('strides'),
        padding: read.padding(),
        dilation: read.pair('dilation_rate'),
        depthMultiplier: read.int('depth_multiplier'),
        useBias: read.bool('use_bias'),
        activation: read.activation(),
      };
      return l.className === 'DepthwiseConv2D' ? { type: 'depthwiseConv2d', params } : { type: 'separableConv2d', params: { ...params, filters: read.int('filters') } };
    }
    case 'Dense':
      return { type: 'dense', params: { units: read.int('units'), useBias: read.bool('use_bias'), activation: read.activation() } };
    case 'BatchNormalization':
      if (c.axis !== -1 && !(Array.isArray(c.axis) && c.axis.length === 1 && c.axis[0] === -1)) throw unsupported(`batch normalization "${l.name}" is over axis ${JSON.stringify(c.axis)}`);
      if (c.center === false || c.scale === false) throw unsupported(`batch normalization "${l.name}" has no centre or scale`);
      return { type: 'batchNorm', params: { epsilon: read.number('epsilon'), momentum: read.number('momentum') } };
    case 'Activation': {
      const fn = activationFromKeras(c.activation, l.name);
      return { type: 'activation', params: { fn } };
    }
    case 'ReLU': {
      const slope = c.negative_slope ?? 0;
      const threshold = c.threshold ?? 0;
      if (slope !== 0 || threshold !== 0) throw unsupported(`ReLU "${l.name}" has a negative slope or threshold`);
      if (c.max_value === null || c.max_value === undefined) return { type: 'activation', params: { fn: 'relu' } };
      if (c.max_value === 6) return { type: 'activation', params: { fn: 'relu6' } };
      throw unsupported(`ReLU "${l.name}" has max_value ${JSON.stringify(c.max_value)}`);
    }
    case 'LeakyReLU': {
      const slope = c.negative_slope ?? c.alpha ?? DEFAULT_LEAKY_SLOPE;
      if (typeof slope !== 'number') throw unsupported(`LeakyReLU "${l.name}" has slope ${JSON.stringify(slope)}`);
      return { type: 'activation', params: slope === DEFAULT_LEAKY_SLOPE ? { fn: 'leakyRelu' } : { fn: 'leakyRelu', alpha: slope } };
    }
    case 'Softmax':
      if (c.axis !== undefined && c.axis !== -1) throw unsupported(`softmax "${l.name}" is over axis ${JSON.stringify(c.axis)}`);
      return { type: 'activation', params: { fn: 'softmax' } };
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      read.channelsLast();
      return {
        type: l.className === 'MaxPooling2D' ? 'maxPool2d' : 'avgPool2d',
        params: { poolSize: read.pair('pool_size'), strides: c.strides === null ? read.pair('pool_size') : read.pair('strides'), padding: read.padding() },
      };
    case 'MaxPooling1D':
    case 'AveragePooling1D':
      read.channelsLast();
      return {
        type: l.className === 'MaxPooling1D' ? 'maxPool1d' : 'avgPool1d',
        params: { poolSize: read.single('pool_size'), strides: c.strides === null ? read.single('pool_size') : read.single('strides'), padding: read.padding() },
      };
    case 'GlobalAveragePooling2D':
    case 'GlobalAveragePooling1D':
    case 'GlobalMaxPooling2D':
    case 'GlobalMaxPooling1D':
      read.channelsLast();
      if (c.keepdims === true) throw unsupported(`global pooling "${l.name}" keeps its dimensions`);
      return { type: l.className.startsWith('GlobalAverage') ? 'globalAvgPool' : 'globalMaxPool', params: {} };
    case 'Flatten':
      read.channelsLast();
      return { type: 'flatten', params: {} };
    case 'Dropout':
      if (c.noise_shape !== null && c.noise_shape !== undefined) throw unsupported(`dropout "${l.name}" has a noise shape`);
      return { type: 'dropout', params: { rate: read.number('rate') } };
    case 'Add':
      return { type: 'add', params: {} };
    case 'Concatenate':
      if (c.axis !== -1) throw unsupported(`concatenation "${l.name}" is over axis ${JSON.stringify(c.axis)}`);
      return { type: 'concat', params: {} };
    case 'Embedding':
      if (c.mask_zero === true) throw unsupported(`embedding "${l.name}" masks zeros`);
      return { type: 'embedding', params: { inputDim: read.int('input_dim'), outputDim: read.int('output_dim') } };
    default:
      throw unsupported(`layer "${l.name}" is a ${l.className}`);
  }
}

function activationFromKeras(v: unknown, layer: string): ActivationFn {
  const fn = typeof v === 'string' ? ACTIVATION_FROM_KERAS[v] : v === null || v === undefined ? 'linear' : undefined;
  if (!fn) throw unsupported(`layer "${layer}" uses the activation ${JSON.stringify(v)}`);
  return fn;
}

/** Typed access to one layer's config, with errors that name the layer and key. */
class ConfigReader {
  constructor(private readonly layer: ParsedKerasLayer) {}

  private get(key: string): unknown {
    return this.layer.config[key];
  }

  private bad(key: string, want: string): NetSproutError {
    return new NetSproutError(
      'KERAS_BAD_CONFIG',
      `Layer "${this.layer.name}" (${this.layer.className}) has ${key} = ${JSON.stringify(this.get(key))}, expected ${want}.`,
      'The file may be damaged or come from a newer Keras.',
    );
  }

  int(key: string): number {
    const v = this.get(key);
    if (!Number.isInteger(v)) throw this.bad(key, 'an integer');
    return v as number;
  }

  number(key: string): number {
    const v = this.get(key);
    if (typeof v !== 'number') throw this.bad(key, 'a number');
    return v;
  }

  bool(key: string): boolean {
    const v = this.get(key);
    if (typeof v !== 'boolean') throw this.bad(key, 'true or false');
    return v;
  }

  /** A list of integers; with `batch`, the first entry may be null (the batch dimension). */
  intList(key: string, batch = false): number[] {
    const v = this.get(key);
    if (!Array.isArray(v) || !v.every((x, i) => Number.isInteger(x) || (batch && i === 0 && x === null))) throw this.bad(key, 'a list of integers');
    return v as number[];
  }

  pair(key: string): [number, number] {
    const v = this.get(key);
    if (Number.isInteger(v)) return [v as number, v as number];
    const list = this.intList(key);
    if (list.length !== 2) throw this.bad(key, 'two integers');
    return [list[0], list[1]];
  }

  single(key: string): number {
    const v = this.get(key);
    if (Number.isInteger(v)) return v as number;
    const list = this.intList(key);
    if (list.length !== 1) throw this.bad(key, 'one integer');
    return list[0];
  }

  padding(): Padding {
    const v = this.get('padding');
    if (v !== 'same' && v !== 'valid') throw this.bad('padding', '"same" or "valid"');
    return v;
  }

  activation(): ActivationFn {
    return activationFromKeras(this.get('activation'), this.layer.name);
  }

  channelsLast(): void {
    const v = this.get('data_format');
    if (v !== undefined && v !== null && v !== 'channels_last') throw unsupported(`layer "${this.layer.name}" is ${String(v)}`);
  }

  convCommon(): void {
    this.channelsLast();
    const groups = this.get('groups');
    if (groups !== undefined && groups !== 1) throw unsupported(`convolution "${this.layer.name}" has ${String(groups)} groups`);
  }
}
