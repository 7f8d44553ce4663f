/**
 * The function-preserving operations NCEvolve mutates cells with (NeuNetS §4.1.1), for 2-D feature maps and 1-D
 * sequences alike: insert a convolution (a Conv-BN-ReLU block after a ReLU, or a single linear identity
 * convolution anywhere), insert a residual convolution whose output starts at zero (eq. 8), branch a convolution
 * into two that concatenate (eq. 9), and widen a kernel by zero padding. Also renaming layers, so that a mutation
 * applied to every cell gives the new layers the same local names in each.
 */
import type { Layer } from '../graph/types.js';
import { deeperConvBlock } from './deeper.js';
import { widenKernel } from './kernelMorphs.js';
import { MorphError, cloneState, freshId, insertChainAfter, layerOf, shapesOf, type ModelState, type MorphResult } from './modelState.js';

const EPSILON = 1e-3;

/** An identity kernel: [k, k, c, c] (2-D) or [k, c, c] (1-D), 1 at the centre tap from channel i to channel i. */
export function identityKernel(k: number, c: number, dims: 1 | 2): Float32Array {
  const taps = dims === 2 ? k * k : k;
  const centre = dims === 2 ? Math.floor(k / 2) * k + Math.floor(k / 2) : Math.floor(k / 2);
  const w = new Float32Array(taps * c * c);
  for (let i = 0; i < c; i++) w[(centre * c + i) * c + i] = 1;
  return w;
}

/** Batch norm that is the identity in inference mode: γ = √(σ² + ε), β = μ = 0, σ² = 1. */
function identityBatchNorm(c: number): Float32Array[] {
  return [new Float32Array(c).fill(Math.sqrt(1 + EPSILON)), new Float32Array(c), new Float32Array(c), new Float32Array(c).fill(1)];
}

/** Whether a layer's output has passed through a ReLU (so it is non-negative and a ReLU after it changes nothing). */
export function isReluOutput(layer: Layer): boolean {
  return (layer.type === 'activation' && layer.params.fn === 'relu') || ((layer.type === 'conv2d' || layer.type === 'conv1d' || layer.type === 'dense') && layer.params.activation === 'relu');
}

function mapDims(state: ModelState, id: string): { dims: 1 | 2; channels: number } {
  const shape = shapesOf(state.graph).get(id)!;
  if (shape.length === 3) return { dims: 2, channels: shape[2] };
  if (shape.length === 2) return { dims: 1, channels: shape[1] };
  throw new MorphError(`"${id}" is not a feature map or a sequence (its output is [${shape.join(', ')}]).`);
}

function convLayer(id: string, input: string, dims: 1 | 2, filters: number, kernel: number, separable: boolean): Layer {
  if (dims === 1) return { id, type: 'conv1d', params: { filters, kernelSize: kernel, strides: 1, padding: 'same', dilation: 1, useBias: false, activation: 'linear' }, inputs: [input] };
  if (separable) {
    return {
      id,
      type: 'separableConv2d',
      params: { filters, kernelSize: [kernel, kernel], strides: [1, 1], padding: 'same', dilation: [1, 1], depthMultiplier: 1, useBias: false, activation: 'linear' },
      inputs: [input],
    };
  }
  return { id, type: 'conv2d', params: { filters, kernelSize: [kernel, kernel], strides: [1, 1], padding: 'same', dilation: [1, 1], useBias: false, activation: 'linear' }, inputs: [input] };
}

/** Weights of an identity convolution (separable: depthwise 1 at the centre, pointwise the identity; NeuNetS eqs. 6–7). */
function identityConvWeights(dims: 1 | 2, c: number, kernel: number, separable: boolean): Float32Array[] {
  if (dims === 2 && separable) {
    const depthwise = new Float32Array(kernel * kernel * c);
    const centre = Math.floor(kernel / 2) * kernel + Math.floor(kernel / 2);
    for (let i = 0; i < c; i++) depthwise[centre * c + i] = 1;
    return [depthwise, identityKernel(1, c, 2)];
  }
  return [identityKernel(kernel, c, dims)];
}

/**
 * Inserts a convolution initialised to the identity after `afterId` (NeuNetS "Insert Convolution", eq. 4):
 * a Conv-BN-ReLU block when `afterId`'s output has passed a ReLU, otherwise (`linear`) one convolution without
 * batch norm or activation, which is the identity on any input. Separable convolutions are 2-D only.
 */
export function insertConv(parent: ModelState, afterId: string, kernel: number, separable: boolean, linear: boolean): MorphResult {
  if (kernel % 2 !== 1) throw new MorphError('An identity convolution needs an odd kernel.');
  const after = layerOf(parent.graph, afterId);
  const { dims, channels } = mapDims(parent, afterId);
  if (dims === 1 && separable) throw new MorphError('Separable convolutions are 2-D only.');
  if (!linear && dims === 2) {
    const r = deeperConvBlock(parent, afterId, kernel as 3 | 5, separable);
    return { ...r, record: { ...r.record, op: 'insert-conv', linear: false, separable } };
  }
  if (!linear && !isReluOutput(after)) throw new MorphError(`A Conv-BN-ReLU block can only be inserted after a ReLU; "${afterId}" is ${after.type}.`);
  const state = cloneState(parent);
  const convId = freshId(state.graph, dims === 1 ? 'conv1d_m' : separable ? 'separableConv2d_m' : 'conv2d_m');
  const chain: Layer[] = [convLayer(convId, afterId, dims, channels, kernel, separable)];
  state.weights.set(convId, identityConvWeights(dims, channels, kernel, separable));
  if (!linear) {
    const bnId = freshId(state.graph, 'batchNorm_m');
    chain.push({ id: bnId, type: 'batchNorm', params: { epsilon: EPSILON, momentum: 0.9 }, inputs: [convId] });
    chain.push({ id: freshId(state.graph, 'activation_m'), type: 'activation', params: { fn: 'relu' }, inputs: [bnId] });
    state.weights.set(bnId, identityBatchNorm(channels));
  }
  insertChainAfter(state.graph, afterId, chain);
  return { ...state, record: { op: 'insert-conv', after: afterId, kernel, separable, linear, layers: chain.map((l) => l.id) } };
}

/**
 * Inserts a residual convolution after the ReLU `afterId` (NeuNetS "Insert Skip", eq. 8): X → Conv(zero)–BN → add
 * with X → ReLU. The new convolution's weights are zero, so the branch adds nothing and, X being non-negative, the
 * ReLU after the add keeps X. Only the last layer of the branch (the convolution before its BN) is zero, so the
 * gradient reaches it.
 */
export function insertResidualConv(parent: ModelState, afterId: string, kernel: number, separable: boolean): MorphResult {
  const after = layerOf(parent.graph, afterId);
  if (!isReluOutput(after)) throw new MorphError(`A residual convolution goes after a ReLU; "${afterId}" is ${after.type}.`);
  const { dims, channels } = mapDims(parent, afterId);
  if (dims === 1 && separable) throw new MorphError('Separable convolutions are 2-D only.');
  const state = cloneState(parent);
  const convId = freshId(state.graph, dims === 1 ? 'conv1d_m' : separable ? 'separableConv2d_m' : 'conv2d_m');
  const bnId = freshId(state.graph, 'batchNorm_m');
  const addId = freshId(state.graph, 'add_m');
  const reluId = freshId(state.graph, 'activation_m');
  const conv = convLayer(convId, afterId, dims, channels, kernel, separable);
  const zeros = identityConvWeights(dims, channels, kernel, separable).map((w, i, all) => (i === all.length - 1 ? new Float32Array(w.length) : w));
  state.weights.set(convId, zeros);
  state.weights.set(bnId, [new Float32Array(channels).fill(1), new Float32Array(channels), new Float32Array(channels), new Float32Array(channels).fill(1)]);
  insertChainAfter(state.graph, afterId, [
    conv,
    { id: bnId, type: 'batchNorm', params: { epsilon: EPSILON, momentum: 0.9 }, inputs: [convId] },
    { id: addId, type: 'add', params: {}, inputs: [afterId, bnId] },
    { id: reluId, type: 'activation', params: { fn: 'relu' }, inputs: [addId] },
  ]);
  return { ...state, record: { op: 'insert-skip', after: afterId, kernel, separable, layers: [convId, bnId, addId, reluId] } };
}


/** Widens the kernel of a 2-D or 1-D convolution by 2 (zero padding; odd kernels, 'same' padding, no dilation). */
export function widenAnyKernel(parent: ModelState, layerId: string): MorphResult {
  const layer = layerOf(parent.graph, layerId);
  if (layer.type !== 'conv1d') return widenKernel(parent, layerId, 1);
  const p = layer.params;
  if (p.padding !== 'same' || p.kernelSize % 2 === 0 || p.dilation !== 1) throw new MorphError(`Layer "${layerId}" needs 'same' padding, an odd kernel and no dilation to widen its kernel exactly.`);
  const state = cloneState(parent);
  const target = layerOf(state.graph, layerId);
  if (target.type !== 'conv1d') throw new MorphError('unreachable');
  const k = target.params.kernelSize;
  const w = state.weights.get(layerId)!;
  const rest = w[0].length / k;
  const out = new Float32Array((k + 2) * rest);
  out.set(w[0], rest);
  state.weights.set(layerId, [out, ...w.slice(1)]);
  target.params.kernelSize = k + 2;
  return { ...state, record: { op: 'widen-kernel', layer: layerId, from: k, to: k + 2 } };
}

/** Renames layers (ids in the graph, inputs, output and weights); ids not in `names` stay. */
export function renameLayers(state: ModelState, names: Map<string, string>): ModelState {
  if (!names.size) return state;
  const rename = (id: string) => names.get(id) ?? id;
  const graph = structuredClone(state.graph);
  for (const l of graph.layers) {
    l.id = rename(l.id);
    l.inputs = l.inputs.map(rename);
  }
  graph.output = rename(graph.output);
  const ids = new Set(graph.layers.map((l) => l.id));
  if (ids.size !== graph.layers.length) throw new MorphError('Renaming would give two layers the same id.');
  const weights = new Map([...state.weights].map(([id, w]) => [rename(id), w]));
  return { graph, weights };
}
