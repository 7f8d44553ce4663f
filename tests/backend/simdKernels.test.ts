import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, useBackend } from '../../engine/backend/ladder.js';
import { runSimd, setSimdKernelsEnabled, simdKernels, simdThreads } from '../../engine/backend/wasmKernels/simdKernels.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { sgd } from '../../engine/train/optimizers.js';
import { GraphBuilder } from '../../engine/graph/builder.js';
import { GraphModel } from '../../engine/train/graphModel.js';
import { batchNormTraining, classificationLoss, fusedBatchNormTraining, globalAveragePool, hasFusedTrainingKernels } from '../../engine/train/trainingOps.js';

const rand = makeRandom(99);
const randn = (n: number, scale = 1, shift = 0): Float32Array => Float32Array.from({ length: n }, () => shift + scale * rand.normal());
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

function expectClose(actual: Float32Array, expected: Float32Array, label: string) {
  expect(actual.length).toBe(expected.length);
  let maxAbs = 0;
  for (const v of expected) maxAbs = Math.max(maxAbs, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, maxAbs);
    if (!(err <= 1e-4)) throw new Error(`${label}, element ${i}: ${actual[i]} vs ${expected[i]} (relative error ${err})`);
  }
}

/** y, mean, variance and the gradients of Σ y·w by x, γ and β, on the active backend. */
function batchNormRun(fused: boolean, relu: boolean, x: Float32Array, shape: number[], gamma: Float32Array, beta: Float32Array, w: Float32Array) {
  const c = shape[shape.length - 1];
  return tf.tidy(() => {
    const [xt, gt, bt, wt] = [tf.tensor(x, shape), tf.tensor1d(gamma), tf.tensor1d(beta), tf.tensor(w, shape)];
    let stats: Float32Array[] = [];
    const f = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
      const out = fused ? fusedBatchNormTraining(xi, gi, bi, 1e-3, relu) : batchNormTraining(xi, gi, bi, 1e-3);
      stats = [out.mean.dataSync() as Float32Array, out.variance.dataSync() as Float32Array];
      tf.dispose([out.mean, out.variance]);
      const y = relu && !fused ? tf.relu(out.y) : out.y;
      return tf.sum(tf.mul(y, wt)) as tf.Scalar;
    };
    const y = tf.tidy(() => {
      const out = fused ? fusedBatchNormTraining(xt, gt, bt, 1e-3, relu) : batchNormTraining(xt, gt, bt, 1e-3);
      tf.dispose([out.mean, out.variance]);
      return relu && !fused ? tf.relu(out.y) : out.y;
    });
    const [dx, dg, db] = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([xt, gt, bt]);
    expect(dg.shape).toEqual([c]);
    return { y: y.dataSync() as Float32Array, mean: stats[0], variance: stats[1], dx: dx.dataSync() as Float32Array, dg: dg.dataSync() as Float32Array, db: db.dataSync() as Float32Array };
  });
}

describe("NetSprout's SIMD kernels on the wasm backend", () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('are loaded over the backend heap, and run on as many threads as the backend', async () => {
    await useBackend('wasm');
    expect(simdKernels(tf.backend())).not.toBeNull();
    expect(hasFusedTrainingKernels()).toBe(true);
    expect(simdThreads(tf.backend())).toBeGreaterThanOrEqual(1);
  });

  // Channel counts cover the 16-wide blocks, the 4-wide ones and the scalar tail; shapes of rank 2 and 4.
  for (const shape of [[9, 7], [3, 4, 5, 20], [2, 5, 3, 33], [40, 16], [1, 2, 2, 3]]) {
    for (const relu of [false, true]) {
      it(`batch norm in training${relu ? ' with ReLU' : ''}, shape ${shape}: values, statistics and gradients match the cpu backend`, async () => {
        const c = shape[shape.length - 1];
        const x = randn(size(shape), 2, 0.5);
        const gamma = randn(c, 0.5, 1);
        const beta = randn(c, 0.5);
        const w = randn(size(shape));
        await useBackend('cpu');
        const ref = batchNormRun(false, relu, x, shape, gamma, beta, w);
        await useBackend('wasm');
        const got = batchNormRun(true, relu, x, shape, gamma, beta, w);
        for (const k of ['y', 'mean', 'variance', 'dx', 'dg', 'db'] as const) expectClose(got[k], ref[k], k);
      });
    }
  }

  it('MaxPoolGrad 2×2 (channels not a multiple of 4, ties) matches the cpu backend', async () => {
    const shape = [3, 6, 8, 6];
    // Few distinct values, so windows hold ties: the gradient goes to the first maximum.
    const x = Float32Array.from({ length: size(shape) }, () => Math.floor(rand.next() * 3));
    const dy = randn(3 * 3 * 4 * 6);
    const run = async (backend: 'wasm' | 'cpu') => {
      await useBackend(backend);
      return tf.tidy(() => {
        const xt = tf.tensor4d(x, shape as [number, number, number, number]);
        const y = tf.maxPool(xt, 2, 2, 'valid');
        const out = tf.engine().runKernel('MaxPoolGrad', { dy: tf.tensor(dy, y.shape), input: xt, output: y }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
        return out.dataSync() as Float32Array;
      });
    };
    const ref = await run('cpu');
    expectClose(await run('wasm'), ref, 'dx');
  });

  it('MaxPool (2×2 tiling on the SIMD kernel, other windows and odd sizes on the backend) matches the cpu backend', async () => {
    for (const { shape, f, st, pad } of [
      { shape: [3, 6, 8, 6], f: 2, st: 2, pad: 'valid' },
      { shape: [2, 4, 4, 16], f: 2, st: 2, pad: 'same' },
      { shape: [2, 5, 7, 4], f: 2, st: 2, pad: 'same' },
      { shape: [2, 7, 7, 5], f: 3, st: 2, pad: 'valid' },
    ] as const) {
      const x = randn(size([...shape]));
      const run = async (backend: 'wasm' | 'cpu') => {
        await useBackend(backend);
        return tf.tidy(() => Float32Array.from(tf.maxPool(tf.tensor4d(x, [...shape] as [number, number, number, number]), f, st, pad).dataSync()));
      };
      const ref = await run('cpu');
      expectClose(await run('wasm'), ref, `maxPool ${shape} ${f}/${st} ${pad}`);
    }
  });

  it('Conv2DBackpropFilter on short output rows (the transposed convolution on the SIMD Conv2D) matches the cpu backend', async () => {
    for (const { xs, k, o, pad } of [
      { xs: [5, 6, 7, 6], k: [3, 3], o: 9, pad: 'same' },
      { xs: [8, 5, 5, 12], k: [3, 2], o: 16, pad: 'valid' },
      { xs: [4, 7, 7, 3], k: [1, 1], o: 5, pad: 'same' },
    ] as const) {
      const ys = tf.tidy(() => tf.conv2d(tf.zeros([...xs] as [number, number, number, number]) as tf.Tensor4D, tf.zeros([k[0], k[1], xs[3], o]) as tf.Tensor4D, 1, pad).shape);
      const x = randn(size([...xs]));
      const dy = randn(size(ys));
      const run = async (backend: 'wasm' | 'cpu') => {
        await useBackend(backend);
        return tf.tidy(() => {
          const inputs = { x: tf.tensor(x, [...xs]), dy: tf.tensor(dy, ys) };
          return Float32Array.from((tf.engine().runKernel('Conv2DBackpropFilter', inputs, { strides: 1, pad, dataFormat: 'NHWC', filterShape: [k[0], k[1], xs[3], o] }) as tf.Tensor).dataSync());
        });
      };
      const ref = await run('cpu');
      expectClose(await run('wasm'), ref, `dW x=${xs} k=${k} ${pad}`);
    }
  });

  it('Conv2DBackpropFilter gives the same bits on every call (sums per fixed chunk, whichever thread runs it)', async () => {
    await useBackend('wasm');
    const xs = [32, 9, 9, 12];
    const ds = [32, 9, 9, 24];
    const x = tf.tensor4d(randn(size(xs)), xs as [number, number, number, number]);
    const dy = tf.tensor4d(randn(size(ds)), ds as [number, number, number, number]);
    const once = () => tf.tidy(() => (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 12, 24] }) as tf.Tensor).dataSync() as Float32Array);
    const first = once();
    for (let i = 0; i < 5; i++) expect(Buffer.from(once().buffer).equals(Buffer.from(first.buffer))).toBe(true);
    tf.dispose([x, dy]);
  });

  it('DepthwiseConv2dNativeBackpropFilter (multiplier 1, the SIMD kernel) matches the cpu backend, and the grouped convolution where cpu ignores dilations', async () => {
    const cases = [
      // 16-, 4- and 1-channel blocks of the kernel, strides, paddings, more images than chunks.
      { x: [3, 7, 9, 21], k: [3, 3], s: 1, d: 1, pad: 'same' },
      { x: [2, 9, 8, 6], k: [3, 3], s: 2, d: 1, pad: 'same' },
      { x: [11, 6, 7, 3], k: [5, 3], s: 1, d: 1, pad: 'valid' },
      { x: [2, 8, 8, 5], k: [3, 3], s: 1, d: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
      { x: [2, 11, 10, 17], k: [3, 3], s: 1, d: 2, pad: 'same' },
      { x: [3, 12, 12, 4], k: [3, 2], s: 1, d: [3, 2], pad: 'valid' },
    ] as const;
    for (const c of cases) {
      const filterShape = [c.k[0], c.k[1], c.x[3], 1];
      const ys = tf.tidy(() => tf.depthwiseConv2d(tf.zeros([...c.x] as [number, number, number, number]) as tf.Tensor4D, tf.zeros(filterShape as [number, number, number, number]) as tf.Tensor4D, c.s, c.pad as 'same', 'NHWC', c.d as number).shape);
      const x = randn(size([...c.x]));
      const dy = randn(size(ys));
      const run = async (backend: 'wasm' | 'cpu') => {
        await useBackend(backend);
        return tf.tidy(() => {
          const attrs = { strides: c.s, pad: c.pad, dilations: c.d, filterShape };
          const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: tf.tensor(x, [...c.x]), dy: tf.tensor(dy, ys) }, attrs) as tf.Tensor;
          expect(dw.shape).toEqual(filterShape);
          return Float32Array.from(dw.dataSync());
        });
      };
      const label = `depthwise dW x=${c.x} k=${c.k} s=${c.s} d=${c.d} pad=${JSON.stringify(c.pad)}`;
      const dilated = c.d !== 1;
      // tfjs's cpu kernel ignores dilations for this gradient; there the reference is the grouped convolution that
      // the kernels-off path runs (checked against the direct formula in wasmKernels.test.ts).
      setSimdKernelsEnabled(!dilated);
      const ref = dilated ? await run('wasm') : await run('cpu');
      setSimdKernelsEnabled(true);
      expectClose(await run('wasm'), ref, label);
    }
  });

  it('DepthwiseConv2dNative (multiplier 1 on the SIMD kernel, 2 on the backend) matches the cpu backend for strides, dilations, paddings and channel counts', async () => {
    const cases = [
      { x: [2, 7, 9, 21], k: [3, 3], m: 1, s: 1, d: 1, pad: 'same' },
      { x: [3, 9, 8, 6], k: [3, 3], m: 1, s: 2, d: 1, pad: 'same' },
      { x: [2, 6, 7, 3], k: [5, 3], m: 1, s: 1, d: 1, pad: 'valid' },
      { x: [1, 8, 8, 5], k: [3, 3], m: 1, s: 1, d: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
      { x: [2, 11, 10, 12], k: [3, 3], m: 1, s: 1, d: 2, pad: 'same' },
      { x: [2, 9, 9, 4], k: [3, 3], m: 2, s: 1, d: 1, pad: 'same' },
    ] as const;
    for (const c of cases) {
      const x = randn(size([...c.x]));
      const w = randn(c.k[0] * c.k[1] * c.x[3] * c.m);
      const run = async (backend: 'wasm' | 'cpu') => {
        await useBackend(backend);
        return tf.tidy(() => {
          const y = tf.depthwiseConv2d(tf.tensor4d(x, [...c.x] as [number, number, number, number]), tf.tensor4d(w, [c.k[0], c.k[1], c.x[3], c.m]), c.s, c.pad as 'same', 'NHWC', c.d);
          return Float32Array.from(y.dataSync());
        });
      };
      const ref = await run('cpu');
      expectClose(await run('wasm'), ref, `depthwise x=${c.x} k=${c.k} m=${c.m} s=${c.s} d=${c.d} pad=${JSON.stringify(c.pad)}`);
    }
  });

  it('DepthwiseConv2dNativeBackpropFilter gives the same bits on every call', async () => {
    await useBackend('wasm');
    const x = tf.tensor4d(randn(32 * 10 * 10 * 20), [32, 10, 10, 20]);
    const dy = tf.tensor4d(randn(32 * 10 * 10 * 20), [32, 10, 10, 20]);
    const once = () => tf.tidy(() => (tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dilations: 1, filterShape: [3, 3, 20, 1] }) as tf.Tensor).dataSync() as Float32Array);
    const first = once();
    for (let i = 0; i < 5; i++) expect(Buffer.from(once().buffer).equals(Buffer.from(first.buffer))).toBe(true);
    tf.dispose([x, dy]);
  });

  it('Conv2D (stride 1 on the SIMD kernel, other strides on the backend) matches the cpu backend for paddings, dilations and channel counts', async () => {
    const cases = [
      { x: [2, 7, 9, 4], k: [3, 3], o: 8, s: 1, d: 1, pad: 'same' },
      { x: [3, 8, 6, 5], k: [3, 2], o: 13, s: 1, d: [2, 1], pad: 'valid' },
      { x: [2, 9, 9, 12], k: [5, 5], o: 3, s: 1, d: 2, pad: 'same' },
      { x: [1, 6, 7, 9], k: [2, 3], o: 17, s: 1, d: 1, pad: [[0, 0], [2, 1], [0, 3], [0, 0]] },
      { x: [2, 5, 5, 6], k: [1, 1], o: 7, s: 1, d: 1, pad: 'valid' },
      { x: [2, 8, 8, 2], k: [3, 3], o: 8, s: 1, d: 1, pad: 'same' },
      { x: [2, 9, 8, 6], k: [3, 3], o: 5, s: 2, d: 1, pad: 'same' },
    ] as const;
    for (const c of cases) {
      const x = randn(size([...c.x]));
      const w = randn(c.k[0] * c.k[1] * c.x[3] * c.o);
      const run = async (backend: 'wasm' | 'cpu') => {
        await useBackend(backend);
        return tf.tidy(() => {
          const y = tf.conv2d(tf.tensor4d(x, [...c.x] as [number, number, number, number]), tf.tensor4d(w, [c.k[0], c.k[1], c.x[3], c.o]), c.s, c.pad as 'same', 'NHWC', c.d as number);
          return Float32Array.from(y.dataSync());
        });
      };
      const ref = await run('cpu');
      expectClose(await run('wasm'), ref, `conv x=${c.x} k=${c.k} d=${c.d} pad=${JSON.stringify(c.pad)}`);
    }
  });

  it('Conv2DBackpropInput at stride 1 with dilations and explicit padding matches the direct formula', async () => {
    await useBackend('wasm');
    for (const { xs, k, d, o, p } of [
      { xs: [2, 9, 7, 11], k: [3, 3], d: [2, 2], o: 6, p: [2, 2, 2, 2] },
      { xs: [3, 8, 6, 5], k: [3, 2], d: [1, 3], o: 9, p: [1, 0, 3, 1] },
      { xs: [1, 10, 5, 16], k: [2, 3], d: [3, 1], o: 4, p: [0, 0, 0, 0] },
    ]) {
      const [b, h, w, c] = xs;
      const oh = h + p[0] + p[1] - (k[0] - 1) * d[0];
      const ow = w + p[2] + p[3] - (k[1] - 1) * d[1];
      const dy = randn(b * oh * ow * o);
      const filter = randn(k[0] * k[1] * c * o);
      const ref = new Float32Array(size(xs));
      for (let n = 0; n < b; n++)
        for (let y = 0; y < oh; y++)
          for (let x = 0; x < ow; x++)
            for (let i = 0; i < k[0]; i++)
              for (let j = 0; j < k[1]; j++) {
                const yy = y + i * d[0] - p[0];
                const xx = x + j * d[1] - p[2];
                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                for (let ch = 0; ch < c; ch++) {
                  let acc = 0;
                  for (let q = 0; q < o; q++) acc += dy[((n * oh + y) * ow + x) * o + q] * filter[((i * k[1] + j) * c + ch) * o + q];
                  ref[((n * h + yy) * w + xx) * c + ch] += acc;
                }
              }
      const pad = p.every((v) => v === 0) ? 'valid' : [[0, 0], [p[0], p[1]], [p[2], p[3]], [0, 0]];
      const got = tf.tidy(() => {
        const inputs = { dy: tf.tensor4d(dy, [b, oh, ow, o]), filter: tf.tensor4d(filter, [k[0], k[1], c, o]) };
        const out = tf.engine().runKernel('Conv2DBackpropInput', inputs, { strides: 1, pad, dilations: d, dataFormat: 'NHWC', inputShape: xs } as unknown as tf.NamedAttrMap) as tf.Tensor;
        return out.dataSync() as Float32Array;
      });
      expectClose(got, ref, `dx ${xs} k=${k} d=${d}`);
    }
  });

  it('GatherV2 along axis 0 copies rows (float32, int32, bool), refuses indices out of range, and falls back on other axes', async () => {
    const x = randn(7 * 3 * 5);
    const ids = new Int32Array([6, 0, 0, 3, 5, 2]);
    const run = async (backend: 'wasm' | 'cpu') => {
      await useBackend(backend);
      return tf.tidy(() => {
        const xt = tf.tensor3d(x, [7, 3, 5]);
        const it = tf.tensor2d(ids, [2, 3], 'int32');
        const rows = tf.gather(xt, it, 0);
        const ints = tf.gather(tf.cast(tf.mul(xt, 10), 'int32'), it, 0);
        const bools = tf.gather(tf.greater(xt, 0), it, 0);
        const cols = tf.gather(xt, tf.tensor1d([4, 1], 'int32'), 2);
        expect(rows.shape).toEqual([2, 3, 3, 5]);
        return [rows, ints, bools, cols].map((t) => Float32Array.from(t.dataSync()));
      });
    };
    const ref = await run('cpu');
    const got = await run('wasm');
    ref.forEach((r, i) => expectClose(got[i], r, `gather ${i}`));
    expect(() => tf.tidy(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([1, 3], 'int32'), 0).dataSync())).toThrow(/index 3/);
  });

  it('Concat, Slice and SplitV along one axis copy rows (float32, int32, bool) as the cpu backend does, the gradient of Concat too, and leak nothing', async () => {
    const a = randn(2 * 3 * 4 * 5);
    const b = randn(2 * 3 * 4 * 7);
    const run = async (backend: 'wasm' | 'cpu') => {
      await useBackend(backend);
      const before = tf.memory().numBytes;
      const out = tf.tidy(() => {
        const at = tf.tensor4d(a, [2, 3, 4, 5]);
        const bt = tf.tensor4d(b, [2, 3, 4, 7]);
        const results: tf.Tensor[] = [];
        // Channels (the morphisms' concatenation), with an empty input; and every other axis, on matching shapes.
        results.push(tf.concat([at, tf.zeros([2, 3, 4, 0]), bt, at], 3));
        for (const axis of [0, 1, 2]) results.push(tf.concat([at, tf.mul(at, 2), tf.tensor4d(a.map((v) => -v), [2, 3, 4, 5])], axis));
        results.push(tf.concat([tf.cast(tf.mul(at, 10), 'int32'), tf.cast(tf.mul(bt, 10), 'int32')], 3));
        results.push(tf.concat([tf.greater(at, 0), tf.greater(bt, 0)], 3));
        // Slices narrowing one axis (each axis in turn), two axes (the backend's own kernel), and none.
        results.push(tf.slice(bt, [0, 0, 0, 2], [2, 3, 4, 4]), tf.slice(bt, [0, 1, 0, 0], [2, 2, 4, 7]), tf.slice(bt, [1, 0, 0, 0], [1, 3, 4, 7]));
        results.push(tf.slice(bt, [0, 0, 1, 0], [2, 3, 2, 7]), tf.slice(bt, [0, 1, 0, 3], [2, 1, 4, 2]), tf.slice(bt, [0, 0, 0, 0], [2, 3, 4, 7]));
        results.push(tf.slice(tf.cast(tf.mul(bt, 10), 'int32'), [0, 0, 0, 1], [2, 3, 4, 5]));
        // SplitV on channels (sizes with −1) and on rows.
        results.push(...tf.split(bt, [2, -1, 1], 3), ...tf.split(bt, 3, 1));
        // The gradient of a channel concatenation (a SplitV of dy), through a weighted sum.
        const w = tf.tensor4d(randn(2 * 3 * 4 * 17, 1, 0).map((_, i) => Math.sin(i)), [2, 3, 4, 17]);
        const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.concat([x, y, x], 3), w)) as tf.Scalar)([at, bt]);
        results.push(...grads);
        return results.map((t) => ({ shape: t.shape, data: Float32Array.from(t.dataSync()) }));
      });
      expect(tf.memory().numBytes).toBe(before);
      return out;
    };
    const ref = await run('cpu');
    const got = await run('wasm');
    expect(got.length).toBe(ref.length);
    ref.forEach((r, i) => {
      expect(got[i].shape, `result ${i}`).toEqual(r.shape);
      expect(Array.from(got[i].data), `result ${i}`).toEqual(Array.from(r.data));
    });
  });

  it('global average pooling (rank 3 and 4, channels not a multiple of 4) and its gradient match the cpu backend', async () => {
    for (const shape of [[3, 5, 6, 7], [4, 9, 12], [2, 1, 1, 5]]) {
      const x = randn(size(shape));
      const w = randn(shape[0] * shape[shape.length - 1]);
      const run = async (backend: 'wasm' | 'cpu') => {
        await useBackend(backend);
        return tf.tidy(() => {
          const xt = tf.tensor(x, shape);
          const wt = tf.tensor2d(w, [shape[0], shape[shape.length - 1]]);
          const f = (xi: tf.Tensor) => tf.sum(tf.mul(globalAveragePool(xi), wt)) as tf.Scalar;
          return [globalAveragePool(xt).dataSync() as Float32Array, tf.grad(f)(xt).dataSync() as Float32Array];
        });
      };
      const [y, dx] = await run('cpu');
      const [gy, gdx] = await run('wasm');
      expectClose(gy, y, `pool ${shape}`);
      expectClose(gdx, dx, `gradient ${shape}`);
    }
  });

  it('the fused SGD step (Nesterov momentum, weight decay on some variables) follows the op-by-op update of the cpu backend', async () => {
    const shapes = [[3, 3, 2, 5], [7], [6, 4]];
    const init = shapes.map((s) => randn(size(s)));
    const grads = [0, 1, 2].map(() => shapes.map((s) => randn(size(s))));
    const run = async (backend: 'wasm' | 'cpu', nesterov: boolean) => {
      await useBackend(backend);
      const vars = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s), true, `sgd-test-${backend}-${nesterov}-${i}`));
      const opt = sgd({ momentum: 0.9, nesterov, weightDecay: 5e-4 });
      for (const step of grads) {
        const g: tf.NamedTensorMap = {};
        vars.forEach((v, i) => (g[v.name] = tf.tensor(step[i], shapes[i])));
        opt.apply(vars, g, 0.05, new Set([vars[0], vars[2]]));
        tf.dispose(Object.values(g));
      }
      const out = vars.map((v) => v.dataSync() as Float32Array);
      opt.dispose();
      vars.forEach((v) => v.dispose());
      return out;
    };
    for (const nesterov of [true, false]) {
      const ref = await run('cpu', nesterov);
      const got = await run('wasm', nesterov);
      ref.forEach((r, i) => expectClose(got[i], r, `variable ${i}`));
    }
  });

  it('the classification loss (softmax cross-entropy, weighted or not, a zero weight included) and its gradient and accuracy count match the cpu backend', async () => {
    const [b, k] = [12, 5];
    const z = randn(b * k, 3);
    const labels = Int32Array.from({ length: b }, (_, i) => (i * 7) % k);
    // A row whose largest logit is at its label, and one with a tie (the first largest counts).
    z[0 * k + labels[0]] = 20;
    z[1 * k + 0] = 9;
    z[1 * k + 3] = 9;
    const w = Float32Array.from({ length: b }, (_, i) => (i === 4 ? 0 : 0.5 + (i % 3)));
    for (const weighted of [false, true]) {
      const run = async (backend: 'wasm' | 'cpu') => {
        await useBackend(backend);
        return tf.tidy(() => {
          const zt = tf.tensor2d(z, [b, k]);
          const yt = tf.tensor1d(labels, 'int32');
          const wt = weighted ? tf.tensor1d(w) : undefined;
          const out = classificationLoss(zt, yt, k, wt);
          const grad = tf.grad((zi: tf.Tensor) => classificationLoss(zi as tf.Tensor2D, yt, k, wt).loss)(zt);
          return { loss: out.loss.dataSync()[0], correct: out.correct.dataSync()[0], grad: grad.dataSync() as Float32Array };
        });
      };
      const ref = await run('cpu');
      const got = await run('wasm');
      expect(got.correct).toBe(ref.correct);
      expect(Math.abs(got.loss - ref.loss) / Math.max(1, Math.abs(ref.loss))).toBeLessThan(1e-5);
      expectClose(got.grad, ref.grad, `gradient (weighted: ${weighted})`);
    }
  });

  it("batch norm's moving averages after a training pass match the cpu backend", async () => {
    const bld = new GraphBuilder();
    let x = bld.input([6, 6, 3]);
    x = bld.convBnRelu(x, 8);
    x = bld.activation(bld.batchNorm(bld.globalAvgPool(x)), 'relu');
    const graph = bld.build(bld.dense(x, 3, 'softmax'));
    const input = randn(4 * 6 * 6 * 3, 2, 1);
    const run = async (backend: 'wasm' | 'cpu') => {
      await useBackend(backend);
      const model = GraphModel.create(graph, 3);
      tf.tidy(() => {
        model.forward(tf.tensor4d(input, [4, 6, 6, 3]), { training: true });
      });
      const out = [...model.allWeights().values()].flatMap((ws) => ws.filter((w) => /moving/.test(w.name)).map((w) => w.data));
      model.dispose();
      return out;
    };
    const ref = await run('cpu');
    const got = await run('wasm');
    expect(ref.length).toBe(4);
    ref.forEach((r, i) => expectClose(got[i], r, `moving statistic ${i}`));
  });

  it('a kernel that fails (here: reads outside the heap) throws on the calling thread, and the threads work on afterwards', async () => {
    await useBackend('wasm');
    const far = 0x7ff00000;
    expect(() => runSimd(tf.backend(), 'pad_nhwc', [far, far, 8, 8, 4, 8, 8, 0, 0], 64, 8)).toThrow();
    const x = randn(4 * 6 * 6 * 8);
    const got = tf.tidy(() => tf.conv2d(tf.tensor4d(x, [4, 6, 6, 8]), tf.ones([3, 3, 8, 8]), 1, 'same').dataSync() as Float32Array);
    await useBackend('cpu');
    const ref = tf.tidy(() => tf.conv2d(tf.tensor4d(x, [4, 6, 6, 8]), tf.ones([3, 3, 8, 8]), 1, 'same').dataSync() as Float32Array);
    expectClose(got, ref, 'conv after a failure');
  });

  it('leak no backend memory', async () => {
    await useBackend('wasm');
    const shape = [4, 5, 5, 12];
    const x = randn(size(shape));
    const g = randn(12, 0.2, 1);
    const before = tf.memory().numBytes;
    for (let i = 0; i < 3; i++) batchNormRun(true, true, x, shape, g, g, x);
    expect(tf.memory().numBytes).toBe(before);
  });
});
