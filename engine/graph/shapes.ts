import { NetSproutError } from '../errors.js';
import { topologicalOrder } from './topology.js';
import type { Graph, Layer, Padding, Shape } from './types.js';

function convOut(size: number, kernel: number, stride: number, dilation: number, padding: Padding): number {
  const effective = (kernel - 1) * dilation + 1;
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - effective) / stride) + 1;
}

function mismatch(layer: Layer, detail: string): NetSproutError {
  return new NetSproutError(
    'GRAPH_SHAPE_MISMATCH',
    `Shape mismatch at layer "${layer.id}" (${layer.type}): ${detail}.`,
    'Check the layer and the layers that feed it.',
  );
}

function expectRank(layer: Layer, shape: Shape, ranks: number[]): void {
  if (!ranks.includes(shape.length)) {
    throw mismatch(layer, `expects an input of rank ${ranks.join(' or ')} (without batch), got [${shape.join(', ')}]`);
  }
}

/** Output shape of one layer from the shapes of its inputs. Throws GRAPH_SHAPE_MISMATCH. */
export function layerOutputShape(layer: Layer, inputShapes: Shape[]): Shape {
  if (layer.type === 'input') {
    if (inputShapes.length !== 0) throw mismatch(layer, 'an input layer takes no inputs');
    return [...layer.params.shape];
  }
  const arity = layer.type === 'add' || layer.type === 'concat' ? -1 : 1;
  if (arity === 1 && inputShapes.length !== 1) throw mismatch(layer, `expects exactly one input, got ${inputShapes.length}`);
  if (arity === -1 && inputShapes.length < 2) throw mismatch(layer, `expects at least two inputs, got ${inputShapes.length}`);
  const x = inputShapes[0];
  const positive = (s: Shape): Shape => {
    if (s.some((d) => !(d >= 1))) throw mismatch(layer, `the output would be [${s.join(', ')}], which has an empty dimension`);
    return s;
  };
  switch (layer.type) {
    case 'conv2d':
    case 'separableConv2d':
    case 'depthwiseConv2d': {
      expectRank(layer, x, [3]);
      const p = layer.params;
      const h = convOut(x[0], p.kernelSize[0], p.strides[0], p.dilation[0], p.padding);
      const w = convOut(x[1], p.kernelSize[1], p.strides[1], p.dilation[1], p.padding);
      const c = layer.type === 'depthwiseConv2d' ? x[2] * layer.params.depthMultiplier : layer.params.filters;
      return positive([h, w, c]);
    }
    case 'conv1d': {
      expectRank(layer, x, [2]);
      const p = layer.params;
      return positive([convOut(x[0], p.kernelSize, p.strides, p.dilation, p.padding), p.filters]);
    }
    case 'dense':
      expectRank(layer, x, [1, 2, 3]);
      return [...x.slice(0, -1), layer.params.units];
    case 'batchNorm':
    case 'activation':
    case 'dropout':
      return [...x];
    case 'maxPool2d':
    case 'avgPool2d': {
      expectRank(layer, x, [3]);
      const p = layer.params;
      return positive([
        convOut(x[0], p.poolSize[0], p.strides[0], 1, p.padding),
        convOut(x[1], p.poolSize[1], p.strides[1], 1, p.padding),
        x[2],
      ]);
    }
    case 'maxPool1d':
    case 'avgPool1d': {
      expectRank(layer, x, [2]);
      const p = layer.params;
      return positive([convOut(x[0], p.poolSize, p.strides, 1, p.padding), x[1]]);
    }
    case 'globalAvgPool':
    case 'globalMaxPool':
      expectRank(layer, x, [2, 3]);
      return [x[x.length - 1]];
    case 'flatten':
      return [x.reduce((a, b) => a * b, 1)];
    case 'add': {
      for (const s of inputShapes) {
        if (s.length !== x.length || s.some((d, i) => d !== x[i])) {
          throw mismatch(layer, `add needs equal shapes, got ${inputShapes.map((q) => `[${q.join(', ')}]`).join(' and ')}`);
        }
      }
      return [...x];
    }
    case 'concat': {
      let channels = 0;
      for (const s of inputShapes) {
        if (s.length !== x.length || s.slice(0, -1).some((d, i) => d !== x[i])) {
          throw mismatch(
            layer,
            `concat needs equal shapes except the last axis, got ${inputShapes.map((q) => `[${q.join(', ')}]`).join(' and ')}`,
          );
        }
        channels += s[s.length - 1];
      }
      return [...x.slice(0, -1), channels];
    }
    case 'embedding':
      expectRank(layer, x, [1]);
      return [x[0], layer.params.outputDim];
  }
}

/** Output shape of every layer, by id. Validates connectivity (cycles, dangling inputs) on the way. */
export function inferShapes(graph: Graph): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const layer of topologicalOrder(graph)) {
    shapes.set(layer.id, layerOutputShape(layer, layer.inputs.map((id) => shapes.get(id)!)));
  }
  return shapes;
}
