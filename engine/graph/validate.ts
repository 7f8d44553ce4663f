import { NetSproutError } from '../errors.js';
import { inferShapes } from './shapes.js';
import { consumersOf, layerIndex } from './topology.js';
import type { Graph, Layer, Shape } from './types.js';

function badParam(layer: Layer, detail: string): NetSproutError {
  return new NetSproutError(
    'GRAPH_BAD_PARAM',
    `Layer "${layer.id}" (${layer.type}) has an invalid parameter: ${detail}.`,
    'Fix the parameter in the architecture file.',
  );
}

const posInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;

function checkParams(layer: Layer): void {
  const pairs = (name: string, v: unknown): void => {
    if (!Array.isArray(v) || v.length !== 2 || !v.every(posInt)) throw badParam(layer, `${name} must be two positive integers`);
  };
  const one = (name: string, v: unknown): void => {
    if (!posInt(v)) throw badParam(layer, `${name} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  switch (layer.type) {
    case 'input':
      if (!Array.isArray(layer.params.shape) || layer.params.shape.length === 0 || !layer.params.shape.every(posInt)) {
        throw badParam(layer, 'shape must be a non-empty list of positive integers');
      }
      break;
    case 'conv2d':
    case 'separableConv2d':
    case 'depthwiseConv2d': {
      const p = layer.params;
      pairs('kernelSize', p.kernelSize);
      pairs('strides', p.strides);
      pairs('dilation', p.dilation);
      if (layer.type !== 'conv2d') one('depthMultiplier', layer.params.depthMultiplier);
      if (layer.type !== 'depthwiseConv2d') one('filters', layer.params.filters);
      break;
    }
    case 'conv1d':
      one('filters', layer.params.filters);
      one('kernelSize', layer.params.kernelSize);
      one('strides', layer.params.strides);
      one('dilation', layer.params.dilation);
      break;
    case 'dense':
      one('units', layer.params.units);
      break;
    case 'batchNorm':
      if (!(layer.params.epsilon > 0)) throw badParam(layer, 'epsilon must be positive');
      if (!(layer.params.momentum >= 0 && layer.params.momentum < 1)) throw badParam(layer, 'momentum must be in [0, 1)');
      break;
    case 'maxPool2d':
    case 'avgPool2d':
      pairs('poolSize', layer.params.poolSize);
      pairs('strides', layer.params.strides);
      break;
    case 'maxPool1d':
    case 'avgPool1d':
      one('poolSize', layer.params.poolSize);
      one('strides', layer.params.strides);
      break;
    case 'dropout':
      if (!(layer.params.rate >= 0 && layer.params.rate < 1)) throw badParam(layer, 'rate must be in [0, 1)');
      break;
    case 'embedding':
      one('inputDim', layer.params.inputDim);
      one('outputDim', layer.params.outputDim);
      break;
    default:
      break;
  }
}

/**
 * Checks a graph completely and returns the output shape of every layer.
 * Throws a NetSproutError with a specific code: GRAPH_EMPTY, GRAPH_DUPLICATE_ID, GRAPH_DANGLING_INPUT, GRAPH_CYCLE,
 * GRAPH_NO_INPUT, GRAPH_OUTPUT_MISSING, GRAPH_UNUSED_LAYER, GRAPH_BAD_PARAM, GRAPH_DTYPE, GRAPH_SHAPE_MISMATCH.
 */
export function validateGraph(graph: Graph): Map<string, Shape> {
  if (!graph || !Array.isArray(graph.layers) || graph.layers.length === 0) {
    throw new NetSproutError('GRAPH_EMPTY', 'The network has no layers.', 'Start from a preset or a valid architecture file.');
  }
  const byId = layerIndex(graph);
  for (const layer of graph.layers) checkParams(layer);
  if (!graph.layers.some((l) => l.type === 'input')) {
    throw new NetSproutError('GRAPH_NO_INPUT', 'The network has no input layer.', 'Add a layer of type "input".');
  }
  if (!byId.has(graph.output)) {
    throw new NetSproutError(
      'GRAPH_OUTPUT_MISSING',
      `The output "${graph.output}" is not a layer of this network.`,
      'Set "output" to the id of the last layer.',
    );
  }
  const shapes = inferShapes(graph);
  // Every layer must contribute to the output.
  const reach = new Set<string>();
  const stack = [graph.output];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (reach.has(id)) continue;
    reach.add(id);
    stack.push(...byId.get(id)!.inputs);
  }
  for (const layer of graph.layers) {
    if (!reach.has(layer.id)) {
      throw new NetSproutError(
        'GRAPH_UNUSED_LAYER',
        `Layer "${layer.id}" does not contribute to the output "${graph.output}".`,
        'Connect it to the network or remove it.',
      );
    }
  }
  const consumers = consumersOf(graph);
  for (const layer of graph.layers) {
    if (layer.type === 'embedding') {
      const src = byId.get(layer.inputs[0])!;
      if (src.type !== 'input' || src.params.dtype !== 'int32') {
        throw new NetSproutError(
          'GRAPH_DTYPE',
          `Embedding layer "${layer.id}" must read token ids straight from an int32 input layer.`,
          'Connect the embedding to an input layer with dtype "int32".',
        );
      }
    }
    if (layer.type === 'input' && layer.params.dtype === 'int32') {
      for (const c of consumers.get(layer.id)!) {
        if (byId.get(c)!.type !== 'embedding') {
          throw new NetSproutError(
            'GRAPH_DTYPE',
            `Layer "${c}" reads the int32 token input "${layer.id}"; only an embedding layer can.`,
            'Put an embedding layer after a token input.',
          );
        }
      }
    }
  }
  return shapes;
}
