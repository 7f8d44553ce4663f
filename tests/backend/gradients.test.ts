import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../engine/backend/ladder.js';
import { GraphBuilder } from '../../engine/graph/builder.js';
import { textCnn } from '../../engine/graph/presets.js';
import type { Graph } from '../../engine/graph/types.js';
import { GraphModel } from '../../engine/train/graphModel.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

function convNet(): Graph {
  const b = new GraphBuilder();
  let x = b.input([12, 12, 3]);
  x = b.convBnRelu(x, 8);
  const skip = x;
  x = b.separableConv2d(x, 8, 3);
  x = b.addLayers([x, skip]);
  x = b.maxPool2d(b.activation(x, 'relu'));
  x = b.conv2d(x, 12, 3, { strides: [2, 2], padding: 'valid' });
  x = b.depthwiseConv2d(x, 3, { depthMultiplier: 2, useBias: false });
  x = b.activation(b.batchNorm(x), 'relu');
  x = b.concat([b.globalAvgPool(x), b.globalMaxPool(x)]);
  return b.build(b.dense(x, 4, 'softmax'));
}

/** Loss gradients of every trainable variable (by layer id and weight name) for a fixed batch, on one backend. */
async function gradientsOn(backend: 'wasm' | 'cpu', graph: Graph, x: { data: Float32Array | Int32Array; shape: number[] }, labels: number[]) {
  await useBackend(backend);
  const model = GraphModel.create(graph, 7);
  const vars = model.trainableVariables();
  const names = new Map<string, string>();
  for (const [id, ws] of model.allWeights()) ws.forEach((w, i) => names.set(`${id}/${w.name}`, String(i)));
  const { grads } = tf.tidy(() => {
    const input = tf.tensor(x.data, x.shape, x.data instanceof Int32Array ? 'int32' : 'float32');
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 4);
    return tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.forward(input, { training: true, logits: true })) as tf.Scalar, vars);
  });
  const out = vars.map((v) => grads[v.name].dataSync() as Float32Array);
  tf.dispose(Object.values(grads));
  model.dispose();
  return out;
}

function expectGradientsClose(a: Float32Array[], b: Float32Array[]) {
  expect(a.length).toBe(b.length);
  a.forEach((ga, k) => {
    const gb = b[k];
    let scale = 0;
    for (const v of gb) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < ga.length; i++) {
      // Relative to the variable's largest gradient; variables whose gradient is zero in exact arithmetic (a bias
      // followed by batch norm) hold rounding noise only, compared at an absolute 1e-7.
      const err = Math.abs(ga[i] - gb[i]) / Math.max(scale, 1e-3);
      if (err > 1e-4) throw new Error(`variable ${k}, element ${i}: wasm ${ga[i]} vs cpu ${gb[i]} (relative error ${err})`);
    }
  });
}

describe('full gradients, wasm against cpu', () => {
  const rng = makeRandom(3);
  it('a small conv net with BN, skips, separable and depthwise convs, pooling', async () => {
    const x = Float32Array.from({ length: 6 * 12 * 12 * 3 }, () => rng.normal());
    const labels = [0, 1, 2, 3, 1, 2];
    const wasm = await gradientsOn('wasm', convNet(), { data: x, shape: [6, 12, 12, 3] }, labels);
    const cpu = await gradientsOn('cpu', convNet(), { data: x, shape: [6, 12, 12, 3] }, labels);
    expectGradientsClose(wasm, cpu);
  });

  it('an embedding model (UnsortedSegmentSum in the embedding gradient)', async () => {
    const ids = Int32Array.from({ length: 5 * 20 }, () => rng.int(50));
    ids[3] = ids[4] = ids[25] = 7; // repeated tokens must accumulate
    const graph = textCnn(20, 50, 4);
    const wasm = await gradientsOn('wasm', graph, { data: ids, shape: [5, 20] }, [0, 1, 2, 3, 0]);
    const cpu = await gradientsOn('cpu', graph, { data: ids, shape: [5, 20] }, [0, 1, 2, 3, 0]);
    expectGradientsClose(wasm, cpu);
  });

  it('MaxPoolGrad sends the gradient to the first maximum, as the cpu backend does, with ties and padding', async () => {
    for (const [shape, size, stride, pad] of [
      [[2, 8, 8, 3], 2, 2, 'valid'],
      [[2, 7, 9, 2], 3, 2, 'same'],
      [[1, 6, 6, 4], 3, 1, 'valid'],
    ] as const) {
      // Rounded and rectified values, so windows contain ties.
      const x = Float32Array.from({ length: (shape as readonly number[]).reduce((a, b) => a * b, 1) }, () => Math.max(0, Math.round(rng.normal() * 2)));
      const run = async (backend: 'wasm' | 'cpu') => {
        await useBackend(backend);
        return tf.tidy(() => {
          const xt = tf.tensor4d(x, [...shape] as [number, number, number, number]);
          // A distinct weight per output position, so a gradient sent to the wrong input shows.
          const g = tf.grad((t: tf.Tensor) => {
            const y = tf.maxPool(t as tf.Tensor4D, size, stride, pad);
            return tf.sum(tf.mul(y, tf.reshape(tf.range(1, 1 + y.size), y.shape)));
          });
          return g(xt).dataSync() as Float32Array;
        });
      };
      expect(Array.from(await run('wasm'))).toEqual(Array.from(await run('cpu')));
    }
  });
});
