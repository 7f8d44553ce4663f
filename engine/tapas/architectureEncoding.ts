/**
 * How TAPAS sees a network (NeuNetS §4.1.2, Fig. 8a): per layer, its type (one-hot), the ratio of output to input
 * height and depth, and its number of weights; for the whole network, counts of each kind of layer, depth, size,
 * multiply-accumulates and widths. The per-layer vectors are kept in every experiment record; the whole-network
 * features are what the accuracy predictor is fitted on.
 */
import { layerMacs } from '../graph/metrics.js';
import { inferShapes } from '../graph/shapes.js';
import { topologicalOrder } from '../graph/topology.js';
import type { Graph, Layer } from '../graph/types.js';
import { sizeOf, weightSpecs } from '../graph/weightSpecs.js';

/** Layer groups of the one-hot type (the paper's conv, pooling, BN, dropout, skip (add), fully connected, plus ours). */
export const LAYER_GROUPS = ['conv', 'separable', 'conv1d', 'dense', 'pool', 'batchNorm', 'dropout', 'add', 'concat', 'other'] as const;

function group(l: Layer): (typeof LAYER_GROUPS)[number] {
  switch (l.type) {
    case 'conv2d':
      return 'conv';
    case 'separableConv2d':
    case 'depthwiseConv2d':
      return 'separable';
    case 'conv1d':
      return 'conv1d';
    case 'dense':
      return 'dense';
    case 'maxPool2d':
    case 'avgPool2d':
    case 'maxPool1d':
    case 'avgPool1d':
    case 'globalAvgPool':
    case 'globalMaxPool':
      return 'pool';
    case 'batchNorm':
      return 'batchNorm';
    case 'dropout':
      return 'dropout';
    case 'add':
      return 'add';
    case 'concat':
      return 'concat';
    default:
      return 'other';
  }
}

export interface ArchitectureEncoding {
  /** Whole-network features (names stable across versions; a missing one reads as 0). */
  features: Record<string, number>;
  /** Per layer in topological order: group index, output/input height, output/input depth, log10(1 + weights). */
  layers: number[][];
}

export function encodeArchitecture(graph: Graph): ArchitectureEncoding {
  const shapes = inferShapes(graph);
  const counts: Record<string, number> = Object.fromEntries(LAYER_GROUPS.map((g) => [g, 0]));
  const layers: number[][] = [];
  let params = 0;
  let macs = 0;
  let weighted = 0;
  let maxKernel = 1;
  let widthLogSum = 0;
  let maxWidth = 0;
  let dilated = 0;
  let inputElements = 1;
  for (const l of topologicalOrder(graph)) {
    const ins = l.inputs.map((i) => shapes.get(i)!);
    const out = shapes.get(l.id)!;
    if (l.type === 'input') {
      inputElements = sizeOf(out);
      continue;
    }
    const g = group(l);
    counts[g]++;
    const n = weightSpecs(l, ins).reduce((a, s) => a + sizeOf(s.shape), 0);
    params += n;
    macs += layerMacs(l, ins, out);
    const x = ins[0] ?? out;
    const height = out.length > 1 && x.length > 1 ? out[0] / x[0] : 1;
    const depth = out[out.length - 1] / x[x.length - 1];
    layers.push([LAYER_GROUPS.indexOf(g), Number(height.toFixed(4)), Number(depth.toFixed(4)), Number(Math.log10(1 + n).toFixed(4))]);
    if (g === 'conv' || g === 'separable' || g === 'conv1d' || g === 'dense') {
      weighted++;
      const width = out[out.length - 1];
      widthLogSum += Math.log2(width);
      maxWidth = Math.max(maxWidth, width);
    }
    if (l.type === 'conv2d' || l.type === 'separableConv2d' || l.type === 'depthwiseConv2d') {
      maxKernel = Math.max(maxKernel, l.params.kernelSize[0]);
      if (l.params.dilation[0] > 1) dilated++;
    }
    if (l.type === 'conv1d') {
      maxKernel = Math.max(maxKernel, l.params.kernelSize);
      if (l.params.dilation > 1) dilated++;
    }
  }
  const features: Record<string, number> = {
    logParams: Math.log10(1 + params),
    logMacs: Math.log10(1 + macs),
    depth: weighted,
    layers: layers.length,
    maxKernel,
    meanLogWidth: weighted ? widthLogSum / weighted : 0,
    logMaxWidth: Math.log2(1 + maxWidth),
    logInput: Math.log10(inputElements),
    dilated,
  };
  for (const g of LAYER_GROUPS) features[`n_${g}`] = counts[g];
  for (const k of Object.keys(features)) features[k] = Number(features[k].toFixed(5));
  return { features, layers };
}
