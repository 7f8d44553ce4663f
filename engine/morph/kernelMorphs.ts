/**
 * Kernel widening (zero padding of the kernel, NeuNetS) and branching a convolution into two that concatenate to the
 * same result (NeuNetS eq. 9). Both keep the function exactly.
 */
import { MorphError, cloneState, freshId, insertChainAfter, layerOf, type ModelState, type MorphResult } from './modelState.js';

/** Pads a [kh, kw, rest] kernel with zeros to [kh + 2p, kw + 2p, rest]. */
function padKernel(w: Float32Array, kh: number, kw: number, rest: number, p: number): Float32Array {
  const nh = kh + 2 * p;
  const nw = kw + 2 * p;
  const out = new Float32Array(nh * nw * rest);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out.set(w.subarray((y * kw + x) * rest, (y * kw + x + 1) * rest), ((y + p) * nw + x + p) * rest);
  return out;
}

/** Grows a conv2d / separable / depthwise kernel from k to k + 2·pad (odd kernels, 'same' padding). */
export function widenKernel(parent: ModelState, layerId: string, pad = 1): MorphResult {
  const state = cloneState(parent);
  const layer = layerOf(state.graph, layerId);
  if (layer.type !== 'conv2d' && layer.type !== 'separableConv2d' && layer.type !== 'depthwiseConv2d') throw new MorphError(`Layer "${layerId}" (${layer.type}) has no 2-D kernel.`);
  const p = layer.params;
  if (p.padding !== 'same' || p.kernelSize.some((k) => k % 2 === 0) || p.dilation.some((d) => d !== 1)) {
    throw new MorphError(`Layer "${layerId}" needs 'same' padding, an odd kernel and no dilation to widen its kernel exactly.`);
  }
  const [kh, kw] = p.kernelSize;
  const w = state.weights.get(layerId)!;
  const rest = w[0].length / (kh * kw);
  const next = [padKernel(w[0], kh, kw, rest, pad), ...w.slice(1)];
  state.weights.set(layerId, next);
  p.kernelSize = [kh + 2 * pad, kw + 2 * pad];
  return { ...state, record: { op: 'widen-kernel', layer: layerId, from: kh, to: kh + 2 * pad } };
}

/**
 * Splits a conv2d or conv1d into two convolutions over the same input whose outputs concatenate to the original one
 * (NeuNetS eq. 9): the filters are shared out, the kernels' output channel being their last axis in both.
 */
export function branchConv(parent: ModelState, layerId: string): MorphResult {
  const state = cloneState(parent);
  const layer = layerOf(state.graph, layerId);
  if (layer.type !== 'conv2d' && layer.type !== 'conv1d') throw new MorphError(`Only conv2d and conv1d layers are branched; "${layerId}" is ${layer.type}.`);
  const o = layer.params.filters;
  if (o < 2) throw new MorphError(`Layer "${layerId}" has one filter; it cannot be split.`);
  const half = Math.floor(o / 2);
  const [kernel, bias] = state.weights.get(layerId)!;
  const rest = kernel.length / o;
  const split = (from: number, to: number) => {
    const out = new Float32Array(rest * (to - from));
    for (let i = 0; i < rest; i++) out.set(kernel.subarray(i * o + from, i * o + to), i * (to - from));
    return out;
  };
  const otherId = freshId(state.graph, `${layer.type}_m`);
  const catId = freshId(state.graph, 'concat_m');
  const other = structuredClone(layer);
  other.id = otherId;
  other.params.filters = o - half;
  state.graph.layers.push(other);
  layer.params.filters = half;
  insertChainAfter(state.graph, layerId, [{ id: catId, type: 'concat', params: {}, inputs: [layerId, otherId] }]);
  state.weights.set(layerId, [split(0, half), ...(bias ? [bias.slice(0, half)] : [])]);
  state.weights.set(otherId, [split(half, o), ...(bias ? [bias.slice(half)] : [])]);
  return { ...state, record: { op: 'branch', layer: layerId, layers: [otherId, catId] } };
}
