/**
 * What the latency protocol runs: an architecture with weights (fresh Keras-default ones from a seed when none
 * are given, the same numbers GraphModel.create draws, without needing a tensor backend), the ONNX file written
 * for it, and inputs of the right kind.
 */
import type { PreprocessSpec } from '../data/preprocessSpec.js';
import { writeOnnx } from '../export/onnxWriter.js';
import { topologicalOrder } from '../graph/topology.js';
import type { Graph } from '../graph/types.js';
import { validateGraph } from '../graph/validate.js';
import { weightSpecs } from '../graph/weightSpecs.js';
import { initialValue } from '../train/initializers.js';
import { makeRandom } from '../train/seededRandom.js';

export type WeightsById = Map<string, Float32Array[]>;

/** Keras-default weights from `seed`, in the order and with the values of GraphModel.create(graph, seed). */
export function initialWeights(graph: Graph, seed = 0): WeightsById {
  const shapes = validateGraph(graph);
  const rng = makeRandom(seed);
  const out: WeightsById = new Map();
  for (const layer of topologicalOrder(graph)) {
    const specs = weightSpecs(layer, layer.inputs.map((i) => shapes.get(i)!));
    if (specs.length) out.set(layer.id, specs.map((s) => initialValue(s, rng)));
  }
  return out;
}

export function inputLayerOf(graph: Graph): { id: string; shape: number[]; dtype: 'float32' | 'int32' } {
  const l = graph.layers.find((x) => x.type === 'input');
  if (!l || l.type !== 'input') throw new Error('The network has no input layer');
  return { id: l.id, shape: [...l.params.shape], dtype: l.params.dtype };
}

/**
 * A preprocessing spec that fits the network's input, for writing ONNX: images for rank-3 float inputs (any
 * number of channels: a layer measured on its own takes a feature map), token ids for int32 inputs, table rows
 * otherwise. Image statistics are mean 0 and std 1.
 */
export function measurementSpec(graph: Graph): PreprocessSpec {
  const { shape, dtype } = inputLayerOf(graph);
  const classes = ['a', 'b'];
  if (dtype === 'int32') {
    const emb = graph.layers.find((l) => l.type === 'embedding');
    const vocabulary = emb && emb.type === 'embedding' ? emb.params.inputDim : 2;
    return {
      kind: 'text',
      version: 1,
      lowercase: true,
      normalisation: 'NFKC',
      tokenPattern: '[\\p{L}\\p{N}]+',
      vocabulary: Array.from({ length: Math.max(0, vocabulary - 2) }, (_, i) => `w${i}`),
      padId: 0,
      unknownId: 1,
      sequenceLength: shape[0],
      truncate: 'end',
      classes,
    };
  }
  if (shape.length === 3) {
    const c = shape[2];
    return {
      kind: 'images',
      version: 1,
      height: shape[0],
      width: shape[1],
      channels: c as 1 | 3,
      fit: 'pad',
      mean: new Array(c).fill(0),
      std: new Array(c).fill(1),
      classes,
      augment: { cropPadding: 0, flip: false, reason: 'latency measurement' },
    };
  }
  const width = shape.reduce((a, b) => a * b, 1);
  return {
    kind: 'table',
    version: 1,
    target: 'y',
    classes,
    columns: Array.from({ length: width }, (_, i) => ({ kind: 'numeric' as const, name: `x${i}`, mean: 0, std: 1, impute: { strategy: 'median' as const, value: 0 } })),
    width,
  };
}

export function onnxBytesFor(graph: Graph, weights: WeightsById = initialWeights(graph)): Uint8Array {
  return writeOnnx({ graph, weights, preprocess: measurementSpec(graph) });
}

/** Random inputs for `batch` samples: pixel-like values, valid token ids, or standard-normal-ish rows. */
export function randomInput(graph: Graph, batch: number, seed = 1): { data: Float32Array | Int32Array; shape: number[] } {
  const { shape, dtype } = inputLayerOf(graph);
  const rng = makeRandom(seed);
  const n = batch * shape.reduce((a, b) => a * b, 1);
  if (dtype === 'int32') {
    const emb = graph.layers.find((l) => l.type === 'embedding');
    const vocabulary = emb && emb.type === 'embedding' ? emb.params.inputDim : 2;
    return { data: Int32Array.from({ length: n }, () => rng.int(vocabulary)), shape: [batch, ...shape] };
  }
  return { data: Float32Array.from({ length: n }, () => rng.next() * 2 - 1), shape: [batch, ...shape] };
}
