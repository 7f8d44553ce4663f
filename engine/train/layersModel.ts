/**
 * The IR as a tfjs-layers functional model (tf.LayersModel) with the same weights: for TF.js interop (the layers
 * format export, model.summary(), predict in a browser) and as an independent check of GraphModel's semantics,
 * since tfjs-layers implements every layer the way Keras does.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { topologicalOrder } from '../graph/topology.js';
import type { ActivationFn, Graph, Layer } from '../graph/types.js';
import { validateGraph } from '../graph/validate.js';

type Sym = tfl.SymbolicTensor;
type ActivationName = 'linear' | 'relu' | 'relu6' | 'elu' | 'selu' | 'sigmoid' | 'tanh' | 'swish' | 'gelu' | 'softmax';

function activationName(fn: ActivationFn): ActivationName {
  if (fn === 'leakyRelu') throw new Error('leakyRelu is a layer of its own in tfjs-layers');
  return fn as ActivationName;
}

function makeLayer(layer: Layer, inputs: Sym[]): Sym {
  const name = layer.id;
  const x = inputs[0];
  switch (layer.type) {
    case 'conv2d': {
      const p = layer.params;
      return tfl.layers
        .conv2d({ name, filters: p.filters, kernelSize: p.kernelSize, strides: p.strides, padding: p.padding, dilationRate: p.dilation, useBias: p.useBias, activation: activationName(p.activation) })
        .apply(x) as Sym;
    }
    case 'separableConv2d': {
      const p = layer.params;
      return tfl.layers
        .separableConv2d({
          name,
          filters: p.filters,
          kernelSize: p.kernelSize,
          strides: p.strides,
          padding: p.padding,
          dilationRate: p.dilation,
          depthMultiplier: p.depthMultiplier,
          useBias: p.useBias,
          activation: activationName(p.activation),
        })
        .apply(x) as Sym;
    }
    case 'depthwiseConv2d': {
      const p = layer.params;
      return tfl.layers
        .depthwiseConv2d({
          name,
          kernelSize: p.kernelSize,
          strides: p.strides,
          padding: p.padding,
          dilationRate: p.dilation,
          depthMultiplier: p.depthMultiplier,
          useBias: p.useBias,
          activation: activationName(p.activation),
        })
        .apply(x) as Sym;
    }
    case 'conv1d': {
      const p = layer.params;
      return tfl.layers
        .conv1d({ name, filters: p.filters, kernelSize: p.kernelSize, strides: p.strides, padding: p.padding, dilationRate: p.dilation, useBias: p.useBias, activation: activationName(p.activation) })
        .apply(x) as Sym;
    }
    case 'dense':
      return tfl.layers.dense({ name, units: layer.params.units, useBias: layer.params.useBias, activation: activationName(layer.params.activation) }).apply(x) as Sym;
    case 'batchNorm':
      return tfl.layers.batchNormalization({ name, epsilon: layer.params.epsilon, momentum: layer.params.momentum, axis: -1 }).apply(x) as Sym;
    case 'activation':
      return layer.params.fn === 'leakyRelu'
        ? (tfl.layers.leakyReLU({ name, alpha: layer.params.alpha ?? 0.2 }).apply(x) as Sym)
        : (tfl.layers.activation({ name, activation: activationName(layer.params.fn) }).apply(x) as Sym);
    case 'maxPool2d':
      return tfl.layers.maxPooling2d({ name, poolSize: layer.params.poolSize, strides: layer.params.strides, padding: layer.params.padding }).apply(x) as Sym;
    case 'avgPool2d':
      return tfl.layers.averagePooling2d({ name, poolSize: layer.params.poolSize, strides: layer.params.strides, padding: layer.params.padding }).apply(x) as Sym;
    case 'maxPool1d':
      return tfl.layers.maxPooling1d({ name, poolSize: layer.params.poolSize, strides: layer.params.strides, padding: layer.params.padding }).apply(x) as Sym;
    case 'avgPool1d':
      return tfl.layers.averagePooling1d({ name, poolSize: layer.params.poolSize, strides: layer.params.strides, padding: layer.params.padding }).apply(x) as Sym;
    case 'globalAvgPool':
      return (x.shape.length === 4 ? tfl.layers.globalAveragePooling2d({ name }) : tfl.layers.globalAveragePooling1d({ name })).apply(x) as Sym;
    case 'globalMaxPool':
      return (x.shape.length === 4 ? tfl.layers.globalMaxPooling2d({ name }) : tfl.layers.globalMaxPooling1d({ name })).apply(x) as Sym;
    case 'flatten':
      return tfl.layers.flatten({ name }).apply(x) as Sym;
    case 'dropout':
      return tfl.layers.dropout({ name, rate: layer.params.rate }).apply(x) as Sym;
    case 'add':
      return tfl.layers.add({ name }).apply(inputs) as Sym;
    case 'concat':
      return tfl.layers.concatenate({ name, axis: -1 }).apply(inputs) as Sym;
    case 'embedding':
      return tfl.layers.embedding({ name, inputDim: layer.params.inputDim, outputDim: layer.params.outputDim }).apply(x) as Sym;
    case 'input':
      throw new Error('input layers are created separately');
  }
}

/** A tf.LayersModel of the graph; `weights` (by layer id, Keras order) are copied in when given. */
export function toLayersModel(graph: Graph, weights?: Map<string, Float32Array[]>): tfl.LayersModel {
  validateGraph(graph);
  const values = new Map<string, Sym>();
  const inputs: Sym[] = [];
  for (const layer of topologicalOrder(graph)) {
    if (layer.type === 'input') {
      const t = tfl.input({ name: layer.id, shape: layer.params.shape, dtype: layer.params.dtype });
      inputs.push(t);
      values.set(layer.id, t);
    } else {
      values.set(layer.id, makeLayer(layer, layer.inputs.map((id) => values.get(id)!)));
    }
  }
  const model = tfl.model({ inputs, outputs: values.get(graph.output)! });
  if (weights) {
    for (const [id, arrays] of weights) {
      const layer = model.getLayer(id);
      const shapes = layer.getWeights().map((w) => w.shape);
      const tensors = arrays.map((a, i) => tf.tensor(a, shapes[i]));
      layer.setWeights(tensors);
      tf.dispose(tensors);
    }
  }
  return model;
}
