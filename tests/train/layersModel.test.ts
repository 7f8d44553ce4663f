import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { GraphBuilder } from '../../engine/graph/builder.js';
import { mlp, referenceCnn, textCnn } from '../../engine/graph/presets.js';
import type { ActivationFn, Graph } from '../../engine/graph/types.js';
import { GraphModel } from '../../engine/train/graphModel.js';
import { toLayersModel } from '../../engine/train/layersModel.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { randomImageGraph } from '../helpers/randomGraphs.js';

function everyActivation(): Graph {
  const b = new GraphBuilder();
  let x = b.input([6]);
  for (const fn of ['relu', 'relu6', 'leakyRelu', 'elu', 'selu', 'sigmoid', 'tanh', 'swish', 'gelu', 'linear'] as ActivationFn[]) x = b.activation(b.dense(x, 5), fn);
  return b.build(b.dense(x, 3, 'softmax'));
}

function sequenceNet(): Graph {
  const b = new GraphBuilder();
  let x = b.input([16, 3]);
  x = b.maxPool1d(b.conv1d(x, 6, 3, { padding: 'valid', dilation: 2, activation: 'relu' }));
  x = b.avgPool1d(x, 2, 1, 'same');
  return b.build(b.dense(b.flatten(b.dropout(x, 0.2)), 2, 'softmax'));
}

function separableNet(): Graph {
  const b = new GraphBuilder();
  let x = b.input([10, 10, 2]);
  x = b.separableConv2d(x, 4, 3, { depthMultiplier: 2, strides: [2, 2] });
  x = b.depthwiseConv2d(x, 3, { depthMultiplier: 2, padding: 'valid' });
  x = b.avgPool2d(b.batchNorm(x), 2, 1, 'same');
  return b.build(b.dense(b.globalMaxPool(x), 3, 'softmax'));
}

beforeAll(async () => {
  await initBackend();
});

describe('toLayersModel', () => {
  const rng = makeRandom(9);
  const cases: Array<[string, Graph, () => tf.Tensor]> = [
    ['reference CNN', referenceCnn([16, 16, 1], 5), () => tf.tensor4d(Float32Array.from({ length: 3 * 256 }, () => rng.normal()), [3, 16, 16, 1])],
    ['graphs with add and concat skips', randomImageGraph(4), () => tf.tensor4d(Float32Array.from({ length: 2 * 432 }, () => rng.normal()), [2, 12, 12, 3])],
    ['separable and depthwise convs', separableNet(), () => tf.tensor4d(Float32Array.from({ length: 2 * 200 }, () => rng.normal()), [2, 10, 10, 2])],
    ['conv1d and 1-D pooling', sequenceNet(), () => tf.tensor3d(Float32Array.from({ length: 2 * 48 }, () => rng.normal()), [2, 16, 3])],
    ['text: embedding', textCnn(12, 30, 3), () => tf.tensor2d(Int32Array.from({ length: 24 }, () => rng.int(30)), [2, 12], 'int32')],
    ['tables: MLP with batch norm', mlp([7], 3), () => tf.tensor2d(Float32Array.from({ length: 28 }, () => rng.normal()), [4, 7])],
    ['every activation', everyActivation(), () => tf.tensor2d(Float32Array.from({ length: 18 }, () => rng.normal() * 2), [3, 6])],
  ];
  for (const [name, graph, input] of cases) {
    it(`gives the engine's outputs (${name})`, () => {
      const model = GraphModel.create(graph, 2);
      // Non-trivial batch-norm statistics, so inference-mode normalisation is exercised.
      for (const [id, ws] of model.allWeights()) {
        if (ws.length === 4 && ws[2].name === 'moving_mean') {
          model.setLayerWeights(id, [ws[0].data.map(() => 1 + rng.next()), ws[1].data.map(() => rng.normal()), ws[2].data.map(() => rng.normal()), ws[3].data.map(() => 0.5 + rng.next())]);
        }
      }
      const weights = new Map([...model.allWeights()].map(([id, ws]) => [id, ws.map((w) => w.data)]));
      const layers = toLayersModel(graph, weights);
      const x = input();
      const a = model.predict(x);
      const b = layers.predict(x) as tf.Tensor;
      expect(b.shape).toEqual(a.shape);
      const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
      expect(diff).toBeLessThan(1e-5);
      tf.dispose([x, a, b]);
      layers.dispose();
      model.dispose();
    });
  }
});
