import type { ImagePreprocessSpec, PreprocessSpec, TablePreprocessSpec, TextPreprocessSpec } from '../../engine/data/preprocessSpec.js';
import type { Graph } from '../../engine/graph/types.js';
import { GraphModel } from '../../engine/train/graphModel.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

export function imageSpec(height: number, width: number, channels: 1 | 3, classes: number): ImagePreprocessSpec {
  return {
    kind: 'images',
    version: 1,
    height,
    width,
    channels,
    fit: 'pad',
    mean: Array.from({ length: channels }, (_, c) => 100 + 20 * c),
    std: Array.from({ length: channels }, (_, c) => 50 + 10 * c),
    classes: Array.from({ length: classes }, (_, k) => `class ${k}`),
    augment: { cropPadding: 0, flip: false, reason: 'test' },
  };
}

export function textSpec(sequenceLength: number, vocabulary: number, classes: number): TextPreprocessSpec {
  return {
    kind: 'text',
    version: 1,
    lowercase: true,
    normalisation: 'NFKC',
    tokenPattern: "[\\p{L}\\p{N}]+",
    vocabulary: Array.from({ length: vocabulary - 2 }, (_, i) => `w${i}`),
    padId: 0,
    unknownId: 1,
    sequenceLength,
    truncate: 'end',
    classes: Array.from({ length: classes }, (_, k) => `c${k}`),
  };
}

export function tableSpec(width: number, classes: number): TablePreprocessSpec {
  return {
    kind: 'table',
    version: 1,
    target: 'y',
    classes: Array.from({ length: classes }, (_, k) => `c${k}`),
    columns: Array.from({ length: width }, (_, i) => ({ kind: 'numeric', name: `x${i}`, mean: 0, std: 1, impute: { strategy: 'median', value: 0 } })) as TablePreprocessSpec['columns'],
    width,
  };
}

/** A model with random weights and batch-norm statistics that are not the identity, as its weights by layer id. */
export function randomWeights(graph: Graph, seed: number): Map<string, Float32Array[]> {
  const model = GraphModel.create(graph, seed);
  const rng = makeRandom(seed + 1);
  const weights = new Map<string, Float32Array[]>();
  for (const [id, ws] of model.allWeights()) {
    const layer = graph.layers.find((l) => l.id === id)!;
    weights.set(
      id,
      ws.map((w, i) => {
        if (layer.type !== 'batchNorm') return Float32Array.from(w.data);
        // gamma, beta, moving mean, moving variance
        return Float32Array.from(w.data, () => (i === 3 ? 0.5 + rng.next() : i === 0 ? 0.5 + rng.next() : rng.next() - 0.5));
      }),
    );
  }
  model.dispose();
  return weights;
}

export function specFor(graph: Graph, classes: number): PreprocessSpec {
  const input = graph.layers.find((l) => l.type === 'input')!;
  const shape = (input.params as { shape: number[] }).shape;
  if ((input.params as { dtype: string }).dtype === 'int32') {
    const emb = graph.layers.find((l) => l.type === 'embedding')!;
    return textSpec(shape[0], (emb.params as { inputDim: number }).inputDim, classes);
  }
  if (shape.length === 3) return imageSpec(shape[0], shape[1], shape[2] as 1 | 3, classes);
  return tableSpec(shape[0], classes);
}
