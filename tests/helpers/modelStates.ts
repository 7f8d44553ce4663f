import * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '../../engine/graph/types.js';
import type { ModelState } from '../../engine/morph/modelState.js';
import { GraphModel } from '../../engine/train/graphModel.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

/** A trained-looking state: random weights and non-trivial batch-norm statistics. */
export function trainedLookingState(graph: Graph, seed: number): ModelState {
  const rng = makeRandom(seed);
  const model = GraphModel.create(graph, seed);
  const weights = new Map<string, Float32Array[]>();
  for (const [id, ws] of model.allWeights()) {
    if (ws.length === 4 && ws[2].name === 'moving_mean') {
      weights.set(id, [ws[0].data.map(() => 0.5 + rng.next()), ws[1].data.map(() => rng.normal() * 0.3), ws[2].data.map(() => rng.normal() * 0.3), ws[3].data.map(() => 0.5 + rng.next())]);
    } else weights.set(id, ws.map((w) => w.data.map((v) => (v === 0 ? rng.normal() * 0.1 : v))));
  }
  model.dispose();
  return { graph, weights };
}

/** The network's outputs (inference mode) on a batch. */
export function outputsOf(state: ModelState, x: tf.Tensor): Float32Array {
  const model = GraphModel.withWeights(state.graph, state.weights);
  const y = model.predict(x);
  const out = y.dataSync() as Float32Array;
  y.dispose();
  model.dispose();
  return out;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
