/**
 * Net2Deeper: new layers initialised to the identity (NeuNetS eqs. 4, 6–7; NASH Type I–III): a Conv-BN-ReLU or
 * SepConv-BN-ReLU block after a ReLU (its input is non-negative, so the ReLU keeps it), or a dense layer.
 * Batch norm is inserted as the identity in inference mode: γ = √(σ² + ε), β = μ, with moving statistics μ = 0, σ² = 1.
 */
import type { Layer } from '../graph/types.js';
import { MorphError, cloneState, freshId, insertChainAfter, layerOf, shapesOf, type ModelState, type MorphResult } from './modelState.js';

/** Identity kernel [k, k, c, c]: 1 at the centre pixel from channel i to channel i. */
function identityKernel(k: number, c: number): Float32Array {
  const w = new Float32Array(k * k * c * c);
  const centre = Math.floor(k / 2) * k + Math.floor(k / 2);
  for (let i = 0; i < c; i++) w[(centre * c + i) * c + i] = 1;
  return w;
}

function identityBatchNorm(c: number, epsilon: number): Float32Array[] {
  return [new Float32Array(c).fill(Math.sqrt(1 + epsilon)), new Float32Array(c), new Float32Array(c), new Float32Array(c).fill(1)];
}

function isReluOutput(layer: Layer): boolean {
  return (layer.type === 'activation' && layer.params.fn === 'relu') || ((layer.type === 'conv2d' || layer.type === 'dense') && layer.params.activation === 'relu');
}

/** Inserts Conv(k×k, identity)–BN–ReLU (or SepConv–BN–ReLU) after the ReLU `afterId` of a feature map. */
export function deeperConvBlock(parent: ModelState, afterId: string, kernel: 3 | 5, separable = false): MorphResult {
  const state = cloneState(parent);
  const after = layerOf(state.graph, afterId);
  const shape = shapesOf(state.graph).get(afterId)!;
  if (shape.length !== 3) throw new MorphError(`"${afterId}" is not a feature map (its output is [${shape.join(', ')}]).`);
  if (!isReluOutput(after)) throw new MorphError(`A block can only be inserted after a ReLU; "${afterId}" is ${after.type}.`);
  const c = shape[2];
  const epsilon = 1e-3;
  const convId = freshId(state.graph, separable ? 'separableConv2d_m' : 'conv2d_m');
  const bnId = freshId(state.graph, 'batchNorm_m');
  const reluId = freshId(state.graph, 'activation_m');
  const conv: Layer = separable
    ? {
        id: convId,
        type: 'separableConv2d',
        params: { filters: c, kernelSize: [kernel, kernel], strides: [1, 1], padding: 'same', dilation: [1, 1], depthMultiplier: 1, useBias: false, activation: 'linear' },
        inputs: [afterId],
      }
    : { id: convId, type: 'conv2d', params: { filters: c, kernelSize: [kernel, kernel], strides: [1, 1], padding: 'same', dilation: [1, 1], useBias: false, activation: 'linear' }, inputs: [afterId] };
  insertChainAfter(state.graph, afterId, [
    conv,
    { id: bnId, type: 'batchNorm', params: { epsilon, momentum: 0.9 }, inputs: [convId] },
    { id: reluId, type: 'activation', params: { fn: 'relu' }, inputs: [bnId] },
  ]);
  if (separable) {
    const depthwise = new Float32Array(kernel * kernel * c);
    const centre = Math.floor(kernel / 2) * kernel + Math.floor(kernel / 2);
    for (let i = 0; i < c; i++) depthwise[centre * c + i] = 1;
    state.weights.set(convId, [depthwise, identityKernel(1, c)]);
  } else state.weights.set(convId, [identityKernel(kernel, c)]);
  state.weights.set(bnId, identityBatchNorm(c, epsilon));
  return { ...state, record: { op: separable ? 'deeper-sepconv' : 'deeper-conv', after: afterId, kernel, layers: [convId, bnId, reluId] } };
}

/** Inserts an identity dense layer after a flat tensor (and a ReLU after it when the input is a ReLU's output). */
export function deeperDense(parent: ModelState, afterId: string): MorphResult {
  const state = cloneState(parent);
  const after = layerOf(state.graph, afterId);
  const shape = shapesOf(state.graph).get(afterId)!;
  if (shape.length !== 1) throw new MorphError(`A dense layer goes after a flat tensor; "${afterId}" outputs [${shape.join(', ')}].`);
  if (state.graph.output === afterId) throw new MorphError(`"${afterId}" is the output layer.`);
  const d = shape[0];
  const denseId = freshId(state.graph, 'dense_m');
  const chain: Layer[] = [{ id: denseId, type: 'dense', params: { units: d, useBias: true, activation: 'linear' }, inputs: [afterId] }];
  if (isReluOutput(after)) chain.push({ id: freshId(state.graph, 'activation_m'), type: 'activation', params: { fn: 'relu' }, inputs: [denseId] });
  insertChainAfter(state.graph, afterId, chain);
  const kernel = new Float32Array(d * d);
  for (let i = 0; i < d; i++) kernel[i * d + i] = 1;
  state.weights.set(denseId, [kernel, new Float32Array(d)]);
  return { ...state, record: { op: 'deeper-dense', after: afterId, layers: chain.map((l) => l.id) } };
}
