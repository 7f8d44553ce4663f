import type { Layer, Shape } from './types.js';

/** One variable of a layer, in the order Keras 3 stores them. */
export interface WeightSpec {
  name: string;
  shape: number[];
  trainable: boolean;
}

/**
 * The variables of a layer given its input shapes, in Keras order:
 * conv2d [kernel (kh,kw,cin,cout), bias]; depthwiseConv2d [kernel (kh,kw,cin,mult), bias];
 * separableConv2d [depthwise (kh,kw,cin,mult), pointwise (1,1,cin*mult,cout), bias]; conv1d [kernel (k,cin,cout), bias];
 * dense [kernel (in,units), bias]; batchNorm [gamma, beta, moving_mean, moving_variance]; embedding [embeddings].
 */
export function weightSpecs(layer: Layer, inputShapes: Shape[]): WeightSpec[] {
  const x = inputShapes[0];
  const cin = x ? x[x.length - 1] : 0;
  const bias = (useBias: boolean, n: number): WeightSpec[] => (useBias ? [{ name: 'bias', shape: [n], trainable: true }] : []);
  switch (layer.type) {
    case 'conv2d': {
      const p = layer.params;
      return [{ name: 'kernel', shape: [p.kernelSize[0], p.kernelSize[1], cin, p.filters], trainable: true }, ...bias(p.useBias, p.filters)];
    }
    case 'depthwiseConv2d': {
      const p = layer.params;
      return [
        { name: 'kernel', shape: [p.kernelSize[0], p.kernelSize[1], cin, p.depthMultiplier], trainable: true },
        ...bias(p.useBias, cin * p.depthMultiplier),
      ];
    }
    case 'separableConv2d': {
      const p = layer.params;
      return [
        { name: 'depthwise_kernel', shape: [p.kernelSize[0], p.kernelSize[1], cin, p.depthMultiplier], trainable: true },
        { name: 'pointwise_kernel', shape: [1, 1, cin * p.depthMultiplier, p.filters], trainable: true },
        ...bias(p.useBias, p.filters),
      ];
    }
    case 'conv1d': {
      const p = layer.params;
      return [{ name: 'kernel', shape: [p.kernelSize, cin, p.filters], trainable: true }, ...bias(p.useBias, p.filters)];
    }
    case 'dense': {
      const p = layer.params;
      return [{ name: 'kernel', shape: [cin, p.units], trainable: true }, ...bias(p.useBias, p.units)];
    }
    case 'batchNorm':
      return [
        { name: 'gamma', shape: [cin], trainable: true },
        { name: 'beta', shape: [cin], trainable: true },
        { name: 'moving_mean', shape: [cin], trainable: false },
        { name: 'moving_variance', shape: [cin], trainable: false },
      ];
    case 'embedding':
      return [{ name: 'embeddings', shape: [layer.params.inputDim, layer.params.outputDim], trainable: true }];
    default:
      return [];
  }
}

export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
