/**
 * Which layers of a network ONNX Runtime's CPU provider runs in its blocked channel layout (NCHWc), and what the
 * layout changes between them cost: the kernel detection that nn-Meter does for fused operators, for the one
 * graph rewrite that changes a CPU network's latency most. ONNX Runtime's NCHWc transformer
 * (onnxruntime/core/optimizer/nchwc_transformer.cc, MLAS's snchwc.cpp), with B the block size (8 floats with
 * AVX2, 16 with AVX-512F; no blocking off x86-64):
 * - a convolution (2-D, one group) is blocked when its input has fewer than B channels (read as NCHW directly) or a
 *   multiple of 4 channels (padded to a multiple of B); its filters are padded to a multiple of B;
 * - a depthwise convolution is blocked when its channels are a multiple of 4;
 * - max and average pooling, global pooling: when the channels are a multiple of B;
 * - add: when every input is blocked; concat: when every input is blocked with a multiple of B channels;
 * - a batch norm after a convolution is folded into it; one elsewhere, and activations, keep their input's layout;
 * - every tensor that crosses from one layout to the other is reordered once (ReorderInput / ReorderOutput).
 * A convolution that is not blocked runs as im2col and a matrix product, at a different cost per multiply-add.
 * The rules model that code as it reads in ONNX Runtime 1.15 and as the optimised graphs of onnxruntime-node
 * 1.21–1.26 show it; this project runs 1.30, where `npm run bench:latency` (held-out figures) is the check.
 */
import { inferShapes } from '../graph/shapes.js';
import { topologicalOrder } from '../graph/topology.js';
import type { Graph, Shape } from '../graph/types.js';
import { sizeOf } from '../graph/weightSpecs.js';

export interface NchwcFigures {
  /**
   * Multiply-accumulates of blocked convolutions, with channels padded as the blocked kernels compute them, by
   * MLAS kernel: k×k on blocked input, k×k reading NCHW input (fewer channels than a block), 1×1, depthwise.
   */
  macsBlocked: number;
  macsBlockedNchwInput: number;
  macsBlockedPointwise: number;
  macsBlockedDepthwise: number;
  /** Multiply-accumulates of convolutions left in NCHW (im2col and a matrix product), and of depthwise ones. */
  macsUnblocked: number;
  macsUnblockedDepthwise: number;
  /** Elements of the tensors reordered between the layouts, and how many reorders. */
  reorderElements: number;
  reorders: number;
  /** Input elements of pooling layers left in NCHW. */
  unblockedPoolElements: number;
}

type Layout = 'blocked' | 'plain';

/** The NCHWc block size of a CPU from its SIMD flags (0: the transformer does not run there). */
export function nchwcBlockSize(simd: readonly string[], arch: string = process.arch): number {
  if (arch !== 'x64' && arch !== 'ia32') return 0;
  if (simd.includes('avx512f')) return 16;
  return 8;
}

/** `shapes`: the graph's inferred shapes, when the caller has them already. */
export function nchwcFigures(graph: Graph, block: number, shapes: Map<string, Shape> = inferShapes(graph)): NchwcFigures {
  const figures: NchwcFigures = { macsBlocked: 0, macsBlockedNchwInput: 0, macsBlockedPointwise: 0, macsBlockedDepthwise: 0, macsUnblocked: 0, macsUnblockedDepthwise: 0, reorderElements: 0, reorders: 0, unblockedPoolElements: 0 };
  if (block <= 1) return figures;
  const layout = new Map<string, Layout>();
  const reordered = new Set<string>();
  const padded = (c: number) => Math.ceil(c / block) * block;
  /** Makes input `id` available in `want`, counting a reorder the first time each tensor needs one. */
  const need = (id: string, want: Layout) => {
    if ((layout.get(id) ?? 'plain') === want || reordered.has(`${id}>${want}`)) return;
    reordered.add(`${id}>${want}`);
    figures.reorders++;
    figures.reorderElements += sizeOf(shapes.get(id)!);
  };
  /** A tensor between the two halves of a separable convolution, reordered if its consumer needs the other layout. */
  const needInner = (from: Layout, want: Layout, elements: number) => {
    if (from === want) return;
    figures.reorders++;
    figures.reorderElements += elements;
  };
  /** A one-group convolution of `c` input channels: blocked, or im2col and a matrix product. */
  const conv = (c: number, positions: number, taps: number, filters: number, bring: (want: Layout) => void): Layout => {
    if (c < block || c % 4 === 0) {
      // Fewer channels than a block: the blocked kernel reads NCHW as it is.
      bring(c < block ? 'plain' : 'blocked');
      const macs = positions * taps * (c < block ? c : padded(c)) * padded(filters);
      if (c < block) figures.macsBlockedNchwInput += macs;
      else if (taps === 1) figures.macsBlockedPointwise += macs;
      else figures.macsBlocked += macs;
      return 'blocked';
    }
    bring('plain');
    figures.macsUnblocked += positions * taps * c * filters;
    return 'plain';
  };
  /** A depthwise convolution (multiplier m) of `c` channels. */
  const depthwise = (c: number, m: number, positions: number, taps: number, bring: (want: Layout) => void): Layout => {
    if (m === 1 && c % 4 === 0) {
      bring('blocked');
      figures.macsBlockedDepthwise += positions * taps * padded(c);
      return 'blocked';
    }
    bring('plain');
    figures.macsUnblockedDepthwise += positions * taps * c * m;
    return 'plain';
  };
  for (const layer of topologicalOrder(graph)) {
    const ins = layer.inputs.map((id) => shapes.get(id)!);
    const out = shapes.get(layer.id)!;
    const first = layer.inputs[0];
    const spatial = out.length === 3;
    const cin = ins[0]?.[ins[0].length - 1] ?? 0;
    const positions = spatial ? out[0] * out[1] : 0;
    const bringFirst = (want: Layout) => need(first, want);
    let result: Layout = 'plain';
    switch (layer.type) {
      case 'conv2d': {
        const [kh, kw] = layer.params.kernelSize;
        result = conv(cin, positions, kh * kw, layer.params.filters, bringFirst);
        break;
      }
      case 'depthwiseConv2d': {
        const [kh, kw] = layer.params.kernelSize;
        result = depthwise(cin, layer.params.depthMultiplier, positions, kh * kw, bringFirst);
        break;
      }
      case 'separableConv2d': {
        // Exported as a depthwise (grouped) Conv, then a pointwise Conv on its output.
        const [kh, kw] = layer.params.kernelSize;
        const mid = cin * layer.params.depthMultiplier;
        const inner = depthwise(cin, layer.params.depthMultiplier, positions, kh * kw, bringFirst);
        result = conv(mid, positions, 1, layer.params.filters, (want) => needInner(inner, want, positions * mid));
        break;
      }
      case 'maxPool2d':
      case 'avgPool2d':
      case 'globalAvgPool':
      case 'globalMaxPool': {
        const global = layer.type === 'globalAvgPool' || layer.type === 'globalMaxPool';
        if (ins[0].length === 3 && cin % block === 0) {
          need(first, 'blocked');
          // Global pooling hands a vector on, which what follows reads in NCHW.
          if (global) needInner('blocked', 'plain', cin);
          result = global ? 'plain' : 'blocked';
        } else {
          if (ins[0].length === 3) need(first, 'plain');
          figures.unblockedPoolElements += sizeOf(ins[0]);
        }
        break;
      }
      case 'add':
        if (spatial && layer.inputs.every((id) => layout.get(id) === 'blocked')) result = 'blocked';
        else for (const id of layer.inputs) need(id, 'plain');
        break;
      case 'concat':
        if (spatial && layer.inputs.every((id, i) => layout.get(id) === 'blocked' && ins[i][ins[i].length - 1] % block === 0)) result = 'blocked';
        else for (const id of layer.inputs) need(id, 'plain');
        break;
      case 'batchNorm':
      case 'activation':
      case 'dropout':
        result = layout.get(first) ?? 'plain';
        break;
      default:
        // Flatten, dense, embedding, 1-D layers: NCHW (or no channels at all).
        for (const id of layer.inputs) need(id, 'plain');
        break;
    }
    layout.set(layer.id, result);
  }
  if (layout.get(graph.output) === 'blocked') need(graph.output, 'plain');
  return figures;
}
