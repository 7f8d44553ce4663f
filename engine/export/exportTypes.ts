/**
 * What every exporter takes: a graph of the IR, its weights per layer id (each layer's variables in the order of
 * `weightSpecs`, which is Keras's order), and the preprocessing spec the model was trained with.
 *
 * The inputs of an exported model are the data as a user has it, not as the engine feeds it:
 * - images: float32 NHWC with raw 0–255 pixel values at the spec's working resolution and channels; the
 *   normalisation (x − mean[c]) / std[c] of the spec is inside the exported model;
 * - text: int32 token ids [N, sequenceLength] from the spec's vocabulary (tokenising stays outside the model,
 *   documented in the preprocessing JSON written beside it);
 * - tables: float32 [N, width], the row encoded as the spec says (standardised numbers, one-hot categories),
 *   documented in the same JSON.
 * The output is the network's output: class probabilities [N, classes] (softmax included).
 */
import type { PreprocessSpec } from '../data/preprocessSpec.js';
import { NetSproutError } from '../errors.js';
import type { Graph } from '../graph/types.js';

export interface ExportInput {
  graph: Graph;
  weights: Map<string, Float32Array[]>;
  preprocess: PreprocessSpec;
}

/** Per-channel normalisation of raw pixels for image models, or null for other kinds. */
export function imageNormalisation(spec: PreprocessSpec): { mean: number[]; std: number[] } | null {
  return spec.kind === 'images' ? { mean: spec.mean, std: spec.std } : null;
}

/**
 * A layer's weight arrays, checked against the variables its architecture implies (count and sizes), for every
 * exporter: the checkpoint of another candidate, or a damaged one, is refused with the layer and variable named.
 */
export function exportedLayerWeights(layerId: string, variables: Array<{ shape: number[]; name?: string }>, arrays: Float32Array[] | undefined): Float32Array[] {
  const hint = 'Export the weights that belong to this architecture (the checkpoint of the same candidate).';
  if (!arrays || arrays.length !== variables.length) {
    const names = variables.map((v, i) => v.name ?? String(i)).join(', ');
    throw new NetSproutError('EXPORT_WEIGHTS_MISSING', `Layer "${layerId}" needs ${variables.length} weight arrays (${names}), got ${arrays?.length ?? 0}.`, hint);
  }
  variables.forEach((v, i) => {
    const n = v.shape.reduce((a, b) => a * b, 1);
    if (arrays[i].length !== n) {
      throw new NetSproutError('EXPORT_WEIGHTS_SHAPE', `Weight "${v.name ?? i}" of layer "${layerId}" needs ${n} values (shape [${v.shape.join(', ')}]), got ${arrays[i].length}.`, hint);
    }
  });
  return arrays;
}
