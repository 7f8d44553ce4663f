/**
 * The architecture IR: one representation for every network NetSprout makes.
 * A graph is a DAG of typed layers; each layer has an id, a type, its params and the ids of its inputs.
 * Shapes never include the batch dimension. Tensors are channels-last (NHWC, NLC), as in Keras.
 */

export type ActivationFn =
  | 'linear'
  | 'relu'
  | 'relu6'
  | 'leakyRelu'
  | 'elu'
  | 'selu'
  | 'sigmoid'
  | 'tanh'
  | 'swish'
  | 'gelu'
  | 'softmax';

export type Padding = 'same' | 'valid';

export interface InputParams {
  /** Shape without the batch dimension, e.g. [28, 28, 1] or [100] (token ids). */
  shape: number[];
  dtype: 'float32' | 'int32';
}

export interface Conv2DParams {
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  padding: Padding;
  dilation: [number, number];
  useBias: boolean;
  activation: ActivationFn;
}

export interface DepthwiseConv2DParams {
  kernelSize: [number, number];
  strides: [number, number];
  padding: Padding;
  dilation: [number, number];
  depthMultiplier: number;
  useBias: boolean;
  activation: ActivationFn;
}

export interface SeparableConv2DParams extends DepthwiseConv2DParams {
  filters: number;
}

export interface Conv1DParams {
  filters: number;
  kernelSize: number;
  strides: number;
  padding: Padding;
  dilation: number;
  useBias: boolean;
  activation: ActivationFn;
}

export interface DenseParams {
  units: number;
  useBias: boolean;
  activation: ActivationFn;
}

export interface BatchNormParams {
  epsilon: number;
  momentum: number;
}

export interface ActivationParams {
  fn: ActivationFn;
  /** Negative slope for leakyRelu. */
  alpha?: number;
}

export interface Pool2DParams {
  poolSize: [number, number];
  strides: [number, number];
  padding: Padding;
}

export interface Pool1DParams {
  poolSize: number;
  strides: number;
  padding: Padding;
}

export interface DropoutParams {
  rate: number;
}

export interface EmbeddingParams {
  inputDim: number;
  outputDim: number;
}

export type EmptyParams = Record<string, never>;

export interface LayerParamsByType {
  input: InputParams;
  conv2d: Conv2DParams;
  separableConv2d: SeparableConv2DParams;
  depthwiseConv2d: DepthwiseConv2DParams;
  conv1d: Conv1DParams;
  dense: DenseParams;
  batchNorm: BatchNormParams;
  activation: ActivationParams;
  maxPool2d: Pool2DParams;
  avgPool2d: Pool2DParams;
  maxPool1d: Pool1DParams;
  avgPool1d: Pool1DParams;
  globalAvgPool: EmptyParams;
  globalMaxPool: EmptyParams;
  flatten: EmptyParams;
  dropout: DropoutParams;
  add: EmptyParams;
  concat: EmptyParams;
  embedding: EmbeddingParams;
}

export type LayerType = keyof LayerParamsByType;

export const LAYER_TYPES: readonly LayerType[] = [
  'input',
  'conv2d',
  'separableConv2d',
  'depthwiseConv2d',
  'conv1d',
  'dense',
  'batchNorm',
  'activation',
  'maxPool2d',
  'avgPool2d',
  'maxPool1d',
  'avgPool1d',
  'globalAvgPool',
  'globalMaxPool',
  'flatten',
  'dropout',
  'add',
  'concat',
  'embedding',
];

export type LayerOf<T extends LayerType> = {
  id: string;
  type: T;
  params: LayerParamsByType[T];
  inputs: string[];
};

export type Layer = { [T in LayerType]: LayerOf<T> }[LayerType];

export interface Graph {
  /** IR format version, bumped on incompatible change. */
  version: 1;
  /** Layers in any order; ids are unique. */
  layers: Layer[];
  /** Id of the layer whose output is the network's output. */
  output: string;
}

/** Per-sample tensor shape (no batch dimension). */
export type Shape = number[];

export const GRAPH_VERSION = 1 as const;
