/**
 * Shrinking operators: LEMONADE's approximate network morphisms (Elsken et al. 2019, §3.2), which make a network
 * smaller or faster while keeping most of what it learned. Unlike the growing morphisms they do not keep the
 * function exactly; the child is fine-tuned from the weights carried over. All return a new state and leave the
 * parent untouched; the weights of every layer that stays are kept.
 *  - remove-layer: drop a block (a convolution or dense layer with its batch norm and activation) whose output has
 *    the shape of its input, e.g. one that a deeper morphism inserted;
 *  - remove-input: drop one input of an add or a concat (a skip connection, or one half of a branched
 *    convolution), with every layer that then feeds nothing;
 *  - narrow: keep the channels of a layer with the largest weights (L1 norm over the layers added to it), the
 *    inverse of Net2Wider; the readers keep the rows of the channels that stay;
 *  - sepconv: replace a k×k convolution by a separable one (depthwise k×k, pointwise 1×1) whose weights are the best
 *    rank-one approximation of the kernel for every input channel (so it starts near the original function).
 */
import type { Graph, Layer } from '../graph/types.js';
import { CHANNEL_PRODUCERS, addGroup, channelChangeReachesAdd, propagateChannels, type ChannelMap } from './channelMap.js';
import { MorphError, cloneState, consumersOf, freshId, layerOf, rewire, shapesOf, type ModelState, type MorphResult } from './modelState.js';
import { outputWidth, remapProducerChannels } from './net2wider.js';

/** Layers that may follow a removed layer inside its block. */
const BLOCK_TAIL = new Set(['batchNorm', 'activation', 'dropout']);
const REMOVABLE = new Set(['conv2d', 'separableConv2d', 'depthwiseConv2d', 'conv1d', 'dense']);

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Drops every layer (and its weights) that no longer leads to the output. */
export function removeDeadLayers(state: ModelState): string[] {
  const g = state.graph;
  const byId = new Map(g.layers.map((l) => [l.id, l]));
  const live = new Set<string>();
  const stack = [g.output];
  while (stack.length) {
    const id = stack.pop()!;
    if (live.has(id)) continue;
    live.add(id);
    for (const i of byId.get(id)?.inputs ?? []) stack.push(i);
  }
  const dead = g.layers.filter((l) => !live.has(l.id) && l.type !== 'input').map((l) => l.id);
  g.layers = g.layers.filter((l) => live.has(l.id) || l.type === 'input');
  for (const id of dead) state.weights.delete(id);
  return dead;
}

/** The block that starts at `layerId`: the layer and the batch norm / activation / dropout chain after it. */
function blockOf(graph: Graph, layerId: string): string[] {
  const consumers = consumersOf(graph);
  const block = [layerId];
  for (;;) {
    const last = block[block.length - 1];
    const next = consumers.get(last) ?? [];
    if (next.length !== 1 || last === graph.output) break;
    const l = layerOf(graph, next[0]);
    if (!BLOCK_TAIL.has(l.type)) break;
    block.push(l.id);
  }
  return block;
}

/** Whether `layerId` starts a block that can be removed (its output has its input's shape). */
export function canRemoveLayer(state: ModelState, layerId: string): boolean {
  const g = state.graph;
  const layer = layerOf(g, layerId);
  if (!REMOVABLE.has(layer.type) || layer.inputs.length !== 1) return false;
  const block = blockOf(g, layerId);
  if (block.includes(g.output)) return false;
  const shapes = shapesOf(g);
  return sameShape(shapes.get(layer.inputs[0])!, shapes.get(block[block.length - 1])!);
}

/** Removes the block that starts at `layerId`; its readers read the block's input instead. */
export function removeLayer(parent: ModelState, layerId: string): MorphResult {
  if (!canRemoveLayer(parent, layerId)) throw new MorphError(`Layer "${layerId}" cannot be removed: its block does not keep the shape of its input, or it is the output.`);
  const state = cloneState(parent);
  const block = blockOf(state.graph, layerId);
  const input = layerOf(state.graph, layerId).inputs[0];
  rewire(state.graph, block[block.length - 1], input, new Set(block));
  state.graph.layers = state.graph.layers.filter((l) => !block.includes(l.id));
  for (const id of block) state.weights.delete(id);
  const dead = removeDeadLayers(state);
  return { ...state, record: { op: 'remove-layer', layer: layerId, layers: [...block, ...dead] } };
}

/** Removes input number `index` of an add or concat layer (the layers that then feed nothing go too). */
export function removeMergeInput(parent: ModelState, mergeId: string, index: number): MorphResult {
  const state = cloneState(parent);
  const g = state.graph;
  const merge = layerOf(g, mergeId);
  if (merge.type !== 'add' && merge.type !== 'concat') throw new MorphError(`Layer "${mergeId}" (${merge.type}) is not an add or a concat.`);
  if (index < 0 || index >= merge.inputs.length) throw new MorphError(`Layer "${mergeId}" has no input number ${index}.`);
  if (merge.inputs.length < 2) throw new MorphError(`Layer "${mergeId}" has one input.`);
  const dropped = merge.inputs[index];
  if (merge.type === 'concat') {
    // The readers keep the rows of the channels that stay.
    const shapes = shapesOf(g);
    const widths = merge.inputs.map((i) => shapes.get(i)!.at(-1)!);
    const total = widths.reduce((a, b) => a + b, 0);
    const start = widths.slice(0, index).reduce((a, b) => a + b, 0);
    const kept: number[] = [];
    for (let c = 0; c < total; c++) if (c < start || c >= start + widths[index]) kept.push(c);
    if (channelChangeReachesAdd(state, mergeId)) throw new MorphError(`Fewer channels after "${mergeId}" would reach an add whose other inputs keep them.`);
    propagateChannels(state, mergeId, total, Int32Array.from(kept), new Set(), false);
  }
  merge.inputs = merge.inputs.filter((_, i) => i !== index);
  if (merge.inputs.length === 1) {
    rewire(g, mergeId, merge.inputs[0], new Set([mergeId]));
    g.layers = g.layers.filter((l) => l.id !== mergeId);
  }
  const dead = removeDeadLayers(state);
  return { ...state, record: { op: 'remove-input', layer: mergeId, index, input: dropped, layers: dead } };
}

/** The L1 norm of each output channel's weights, summed over the producers changed together. */
function channelImportance(state: ModelState, group: string[], width: number): Float64Array {
  const score = new Float64Array(width);
  for (const id of group) {
    const layer = layerOf(state.graph, id);
    const w = state.weights.get(id)!;
    const kernel = layer.type === 'separableConv2d' ? w[1] : w[0];
    for (let i = 0; i < kernel.length; i++) score[i % width] += Math.abs(kernel[i]);
  }
  return score;
}

/** Keeps the `newWidth` channels of `layerId` (and of the layers added to it) with the largest weights. */
export function narrowLayer(parent: ModelState, layerId: string, newWidth: number): MorphResult {
  const state = cloneState(parent);
  const target = layerOf(state.graph, layerId);
  if (!CHANNEL_PRODUCERS.has(target.type) || target.id === state.graph.output) throw new MorphError(`Layer "${layerId}" (${target.type}) cannot be narrowed.`);
  const old = outputWidth(target);
  if (newWidth < 1 || newWidth >= old) throw new MorphError(`Layer "${layerId}" has ${old} channels; narrowing needs between 1 and ${old - 1}.`);
  const group = addGroup(state, layerId);
  const score = channelImportance(state, group, old);
  const order = Array.from({ length: old }, (_, c) => c).sort((a, b) => score[b] - score[a] || a - b);
  const g: ChannelMap = Int32Array.from(order.slice(0, newWidth).sort((a, b) => a - b));
  remapProducerChannels(state, layerId, old, g);
  return { ...state, record: { op: 'narrow', layer: layerId, from: old, to: newWidth, together: group.filter((id) => id !== layerId) } };
}

/** The best rank-one approximation u·vᵀ of a rows × cols matrix (power iteration), as √σ·u and √σ·v. */
function rankOne(m: Float64Array, rows: number, cols: number): { u: Float64Array; v: Float64Array } {
  let v = new Float64Array(cols).fill(1 / Math.sqrt(cols));
  const u = new Float64Array(rows);
  let sigma = 0;
  for (let it = 0; it < 30; it++) {
    u.fill(0);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) u[r] += m[r * cols + c] * v[c];
    const next = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) next[c] += m[r * cols + c] * u[r];
    const norm = Math.hypot(...next);
    if (norm === 0) break;
    for (let c = 0; c < cols; c++) next[c] /= norm;
    v = next;
  }
  u.fill(0);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) u[r] += m[r * cols + c] * v[c];
  sigma = Math.hypot(...u);
  const s = Math.sqrt(sigma);
  for (let r = 0; r < rows; r++) u[r] = sigma > 0 ? (u[r] / sigma) * s : 0;
  for (let c = 0; c < cols; c++) v[c] *= s;
  return { u, v };
}

/** Replaces the k×k convolution `layerId` by a separable one (depthwise k×k, pointwise 1×1, multiplier 1). */
export function separableFromConv(parent: ModelState, layerId: string): MorphResult {
  const state = cloneState(parent);
  const g = state.graph;
  const layer = layerOf(g, layerId);
  if (layer.type !== 'conv2d') throw new MorphError(`Only conv2d layers become separable; "${layerId}" is ${layer.type}.`);
  const p = layer.params;
  const [kh, kw] = p.kernelSize;
  if (kh * kw < 2) throw new MorphError(`Layer "${layerId}" has a 1×1 kernel; a separable version would not be smaller.`);
  const cin = shapesOf(g).get(layer.inputs[0])!.at(-1)!;
  const cout = p.filters;
  const [kernel, bias] = state.weights.get(layerId)!;
  const taps = kh * kw;
  const depthwise = new Float32Array(taps * cin);
  const pointwise = new Float32Array(cin * cout);
  const m = new Float64Array(taps * cout);
  for (let c = 0; c < cin; c++) {
    for (let s = 0; s < taps; s++) for (let o = 0; o < cout; o++) m[s * cout + o] = kernel[(s * cin + c) * cout + o];
    const { u, v } = rankOne(m, taps, cout);
    for (let s = 0; s < taps; s++) depthwise[s * cin + c] = u[s];
    for (let o = 0; o < cout; o++) pointwise[c * cout + o] = v[o];
  }
  const id = freshId(g, 'separableConv2d_s');
  const replacement: Layer = {
    id,
    type: 'separableConv2d',
    params: { filters: cout, kernelSize: [kh, kw], strides: [...p.strides], padding: p.padding, dilation: [...p.dilation], depthMultiplier: 1, useBias: p.useBias, activation: p.activation },
    inputs: [...layer.inputs],
  };
  rewire(g, layerId, id, new Set());
  g.layers[g.layers.findIndex((l) => l.id === layerId)] = replacement;
  state.weights.delete(layerId);
  state.weights.set(id, [depthwise, pointwise, ...(p.useBias ? [bias] : [])]);
  return { ...state, record: { op: 'sepconv', layer: layerId, layers: [id] } };
}

/** A width below `old`: half or three quarters, in multiples of 4 where the layer is that wide. */
export function narrowerWidth(old: number, threeQuarters: boolean): number {
  const raw = old * (threeQuarters ? 0.75 : 0.5);
  const w = old >= 8 ? Math.max(4, Math.round(raw / 4) * 4) : Math.max(1, Math.round(raw));
  return w < old ? w : old - 1;
}
