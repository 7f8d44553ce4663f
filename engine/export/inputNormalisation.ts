/**
 * Puts the normalisation of raw pixels into the network itself, as a layer of the IR: a 1×1 depthwise convolution
 * right after the input with kernel 1/std[c] and bias −mean[c]/std[c], so that an exported image model takes the
 * 0–255 pixels a user has. Formats that have a normalisation layer of their own (Keras 3's Normalization, ONNX's
 * Sub and Div) write it natively; the TF.js layers format has none with per-channel statistics, and this layer is
 * a built-in one that loads everywhere.
 */
import type { Graph, Layer } from '../graph/types.js';
import type { ExportInput } from './exportTypes.js';

export const NORMALISATION_LAYER_ID = 'normalization';

export function withInputNormalisation(input: ExportInput): { graph: Graph; weights: Map<string, Float32Array[]> } {
  const spec = input.preprocess;
  if (spec.kind !== 'images') return { graph: input.graph, weights: input.weights };
  const inputLayer = input.graph.layers.find((l) => l.type === 'input');
  if (!inputLayer) return { graph: input.graph, weights: input.weights };
  let id = NORMALISATION_LAYER_ID;
  while (input.graph.layers.some((l) => l.id === id)) id = `${id}_`;
  const norm: Layer = {
    id,
    type: 'depthwiseConv2d',
    params: { kernelSize: [1, 1], strides: [1, 1], padding: 'valid', dilation: [1, 1], depthMultiplier: 1, useBias: true, activation: 'linear' },
    inputs: [inputLayer.id],
  };
  const rewired = input.graph.layers.map((l) => (l.inputs.includes(inputLayer.id) ? ({ ...l, inputs: l.inputs.map((i) => (i === inputLayer.id ? id : i)) } as Layer) : l));
  const at = rewired.indexOf(inputLayer) + 1;
  const graph: Graph = { ...input.graph, layers: [...rewired.slice(0, at), norm, ...rewired.slice(at)] };
  const kernel = Float32Array.from(spec.std, (s) => 1 / s);
  const bias = Float32Array.from(spec.mean, (m, c) => -m / spec.std[c]);
  const weights = new Map(input.weights);
  weights.set(id, [kernel, bias]);
  return { graph, weights };
}
