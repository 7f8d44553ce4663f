/**
 * The Auto-Keras edit distance between two architectures (Jin et al. 2019, §3.1):
 *   d(fa, fb) = D_l(La, Lb) + λ · D_s(Sa, Sb)
 * D_l: Levenshtein distance over the layers in topological order, a substitution costing the width distance
 *      d_l = |w(a) − w(b)| / max(w(a), w(b)) (1 for layers of different kinds), an insertion or deletion costing 1.
 * D_s: skip connections matched one-to-one by the Hungarian algorithm, a matched pair costing
 *      d_s = (|u(a) − u(b)| + |δ(a) − δ(b)|) / (max(u) + max(δ)) (1 for different kinds), each unmatched one 1.
 */
import { munkres } from 'munkres';
import { inferShapes } from './shapes.js';
import { topologicalOrder } from './topology.js';
import type { Graph, Layer, LayerType } from './types.js';

/** A layer as the kernel sees it: its kind and its width. */
export interface LayerToken {
  kind: string;
  width: number;
}

/** A skip connection: kind (add or concat), u = topological rank of its source, δ = layers it spans. */
export interface SkipToken {
  kind: string;
  u: number;
  delta: number;
}

const KIND: Partial<Record<LayerType, string>> = {
  conv2d: 'conv',
  separableConv2d: 'sepconv',
  depthwiseConv2d: 'dwconv',
  conv1d: 'conv1d',
  dense: 'dense',
  batchNorm: 'bn',
  activation: 'act',
  maxPool2d: 'pool',
  avgPool2d: 'pool',
  maxPool1d: 'pool',
  avgPool1d: 'pool',
  globalAvgPool: 'gpool',
  globalMaxPool: 'gpool',
  flatten: 'flatten',
  dropout: 'dropout',
  embedding: 'embedding',
};

/** The layer sequence and skip-connection set of a graph, as the kernel compares them. */
export function tokenize(graph: Graph): { layers: LayerToken[]; skips: SkipToken[] } {
  const order = topologicalOrder(graph);
  const shapes = inferShapes(graph);
  const rank = new Map<string, number>();
  order.forEach((l, i) => rank.set(l.id, i));
  const layers: LayerToken[] = [];
  const skips: SkipToken[] = [];
  for (const layer of order) {
    const kind = KIND[layer.type];
    if (kind) {
      const shape = shapes.get(layer.id)!;
      layers.push({ kind: layer.type === 'activation' ? `act:${layer.params.fn}` : kind, width: widthOf(layer, shape) });
    }
    if (layer.type === 'add' || layer.type === 'concat') {
      // The first input is the main path; every other input is a skip from its source to this merge.
      for (const src of layer.inputs.slice(1)) {
        const u = rank.get(src)!;
        skips.push({ kind: layer.type, u, delta: rank.get(layer.id)! - u });
      }
    }
  }
  return { layers, skips };
}

function widthOf(layer: Layer, outShape: number[]): number {
  switch (layer.type) {
    case 'conv2d':
    case 'separableConv2d':
    case 'conv1d':
      return layer.params.filters;
    case 'dense':
      return layer.params.units;
    case 'embedding':
      return layer.params.outputDim;
    default:
      return outShape[outShape.length - 1];
  }
}

export function layerDistance(a: LayerToken, b: LayerToken): number {
  if (a.kind !== b.kind) return 1;
  const m = Math.max(a.width, b.width);
  return m === 0 ? 0 : Math.abs(a.width - b.width) / m;
}

export function skipDistance(a: SkipToken, b: SkipToken): number {
  if (a.kind !== b.kind) return 1;
  const denom = Math.max(a.u, b.u) + Math.max(a.delta, b.delta);
  return denom === 0 ? 0 : (Math.abs(a.u - b.u) + Math.abs(a.delta - b.delta)) / denom;
}

/** D_l: the Levenshtein recurrence A[i][j] = min(A[i−1][j] + 1, A[i][j−1] + 1, A[i−1][j−1] + d_l(a_i, b_j)). */
export function layersDistance(a: LayerToken[], b: LayerToken[]): number {
  const prev = new Float64Array(b.length + 1);
  const cur = new Float64Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + layerDistance(a[i - 1], b[j - 1]));
    }
    prev.set(cur);
  }
  return prev[b.length];
}

/** D_s: minimum-cost one-to-one matching of skip connections (Hungarian algorithm) plus one per unmatched skip. */
export function skipsDistance(a: SkipToken[], b: SkipToken[]): number {
  if (a.length === 0 || b.length === 0) return Math.abs(a.length - b.length);
  const cost = a.map((sa) => b.map((sb) => skipDistance(sa, sb)));
  const pairs = munkres(cost);
  let total = 0;
  for (const [i, j] of pairs) total += cost[i][j];
  return total + Math.abs(a.length - b.length);
}

/** λ in d = D_l + λ·D_s; Auto-Keras uses 1. */
export const SKIP_LAMBDA = 1;

export function editDistance(a: Graph, b: Graph, lambda = SKIP_LAMBDA): number {
  const ta = tokenize(a);
  const tb = tokenize(b);
  return layersDistance(ta.layers, tb.layers) + lambda * skipsDistance(ta.skips, tb.skips);
}
