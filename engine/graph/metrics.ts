import { inferShapes } from './shapes.js';
import { topologicalOrder } from './topology.js';
import type { Graph, Layer, Shape } from './types.js';
import { sizeOf, weightSpecs } from './weightSpecs.js';

export interface GraphMetrics {
  /** Every variable, trainable or not (Keras's count_params). */
  params: number;
  trainableParams: number;
  /** Multiply-accumulates of one forward pass on one sample. */
  macs: number;
  /** Bytes of all weights as float32. */
  weightBytes: number;
  /** Float32 elements of all layer outputs for one sample (what training keeps for the backward pass). */
  activationElements: number;
  layers: number;
}

/** Multiply-accumulates of one layer for one sample. */
export function layerMacs(layer: Layer, inputShapes: Shape[], outShape: Shape): number {
  const x = inputShapes[0];
  const cin = x ? x[x.length - 1] : 0;
  switch (layer.type) {
    case 'conv2d':
      return outShape[0] * outShape[1] * outShape[2] * layer.params.kernelSize[0] * layer.params.kernelSize[1] * cin;
    case 'depthwiseConv2d':
      return outShape[0] * outShape[1] * outShape[2] * layer.params.kernelSize[0] * layer.params.kernelSize[1];
    case 'separableConv2d': {
      const p = layer.params;
      const mid = cin * p.depthMultiplier;
      return outShape[0] * outShape[1] * (mid * p.kernelSize[0] * p.kernelSize[1] + mid * p.filters);
    }
    case 'conv1d':
      return outShape[0] * outShape[1] * layer.params.kernelSize * cin;
    case 'dense':
      return sizeOf(outShape) * cin;
    default:
      return 0;
  }
}

export function graphMetrics(graph: Graph): GraphMetrics {
  const shapes = inferShapes(graph);
  let params = 0;
  let trainableParams = 0;
  let macs = 0;
  let activationElements = 0;
  for (const layer of topologicalOrder(graph)) {
    const ins = layer.inputs.map((id) => shapes.get(id)!);
    const out = shapes.get(layer.id)!;
    for (const w of weightSpecs(layer, ins)) {
      const n = sizeOf(w.shape);
      params += n;
      if (w.trainable) trainableParams += n;
    }
    macs += layerMacs(layer, ins, out);
    activationElements += sizeOf(out);
  }
  return { params, trainableParams, macs, weightBytes: params * 4, activationElements, layers: graph.layers.length };
}

/** Bytes of activations held at a batch size during training (forward outputs kept for the backward pass). */
export function activationBytes(graph: Graph, batchSize: number): number {
  return graphMetrics(graph).activationElements * batchSize * 4;
}
