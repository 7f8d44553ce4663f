import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, useBackend } from '../../engine/backend/ladder.js';
import { setSimdKernelsEnabled } from '../../engine/backend/wasmKernels/simdKernels.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

const rand = makeRandom(1234);
const randn = (n: number): Float32Array => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rand.normal();
  return a;
};
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

async function runOn(backend: 'wasm' | 'cpu', kernel: string, inputs: Record<string, [Float32Array | Int32Array, number[]]>, attrs: object) {
  await useBackend(backend);
  return tf.tidy(() => {
    const ins: Record<string, tf.Tensor> = {};
    for (const [k, [data, shape]] of Object.entries(inputs)) ins[k] = tf.tensor(data, shape, data instanceof Int32Array ? 'int32' : 'float32');
    const out = tf.engine().runKernel(kernel, ins as never, attrs as never) as tf.Tensor;
    return { shape: out.shape, data: out.dataSync() as Float32Array };
  });
}

function expectClose(actual: { shape: number[]; data: Float32Array }, expected: { shape: number[]; data: Float32Array | Float64Array }) {
  expect(actual.shape).toEqual(expected.shape);
  let maxAbs = 0;
  for (let i = 0; i < expected.data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(expected.data[i]));
  for (let i = 0; i < expected.data.length; i++) {
    const err = Math.abs(actual.data[i] - expected.data[i]) / Math.max(1, maxAbs);
    if (err > 1e-4) throw new Error(`element ${i}: ${actual.data[i]} vs ${expected.data[i]} (relative error ${err})`);
  }
}

/** Direct-formula reference for the filter gradient with any stride and dilation (independent of tfjs). */
function naiveFilterGrad(x: Float32Array, xs: number[], dy: Float32Array, ds: number[], k: number[], s: number[], d: number[], pad: [number, number]) {
  const [b, h, w, c] = xs;
  const [, oh, ow, o] = ds;
  const out = new Float64Array(k[0] * k[1] * c * o);
  for (let n = 0; n < b; n++)
    for (let p = 0; p < oh; p++)
      for (let q = 0; q < ow; q++)
        for (let i = 0; i < k[0]; i++)
          for (let j = 0; j < k[1]; j++) {
            const hh = p * s[0] + i * d[0] - pad[0];
            const ww = q * s[1] + j * d[1] - pad[1];
            if (hh < 0 || hh >= h || ww < 0 || ww >= w) continue;
            for (let cc = 0; cc < c; cc++) {
              const xv = x[((n * h + hh) * w + ww) * c + cc];
              for (let oo = 0; oo < o; oo++) out[((i * k[1] + j) * c + cc) * o + oo] += xv * dy[((n * oh + p) * ow + q) * o + oo];
            }
          }
  return { shape: [k[0], k[1], c, o], data: out };
}

/** Direct-formula references for depthwise gradients with dilation (tfjs's cpu kernels ignore dilation there). */
function naiveDepthwise(x: Float32Array | null, xs: number[], dy: Float32Array, ds: number[], w: Float32Array | null, k: number[], m: number, s: number, d: number, pad: [number, number]) {
  const [b, h, wd, c] = xs;
  const [, oh, ow] = ds;
  const dW = new Float64Array(k[0] * k[1] * c * m);
  const dX = new Float64Array(b * h * wd * c);
  for (let n = 0; n < b; n++)
    for (let p = 0; p < oh; p++)
      for (let q = 0; q < ow; q++)
        for (let i = 0; i < k[0]; i++)
          for (let j = 0; j < k[1]; j++) {
            const hh = p * s + i * d - pad[0];
            const ww = q * s + j * d - pad[1];
            if (hh < 0 || hh >= h || ww < 0 || ww >= wd) continue;
            for (let cc = 0; cc < c; cc++)
              for (let mm = 0; mm < m; mm++) {
                const g = dy[((n * oh + p) * ow + q) * c * m + cc * m + mm];
                if (x) dW[((i * k[1] + j) * c + cc) * m + mm] += x[((n * h + hh) * wd + ww) * c + cc] * g;
                if (w) dX[((n * h + hh) * wd + ww) * c + cc] += w[((i * k[1] + j) * c + cc) * m + mm] * g;
              }
          }
  return { dW: { shape: [k[0], k[1], c, m], data: dW }, dX: { shape: xs, data: dX } };
}

const convCases = [
  { x: [2, 7, 7, 3], k: [3, 3], o: 4, strides: 1, pad: 'same' },
  { x: [3, 9, 8, 2], k: [3, 3], o: 5, strides: 2, pad: 'same' },
  { x: [2, 9, 9, 4], k: [5, 5], o: 3, strides: 1, pad: 'valid' },
  { x: [2, 10, 11, 3], k: [3, 2], o: 2, strides: [2, 3], pad: 'valid' },
  { x: [1, 8, 8, 2], k: [3, 3], o: 3, strides: 1, pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
  { x: [2, 12, 12, 3], k: [1, 1], o: 6, strides: 2, pad: 'same' },
  { x: [4, 6, 6, 8], k: [3, 3], o: 8, strides: 3, pad: 'same' },
  // More output than input channels at stride 1: the filter gradient with the operands swapped.
  { x: [3, 7, 7, 5], k: [3, 3], o: 8, strides: 1, pad: 'same' },
  { x: [2, 8, 9, 6], k: [3, 2], o: 7, strides: 1, pad: [[0, 0], [2, 1], [0, 1], [0, 0]] },
  { x: [2, 6, 5, 5], k: [1, 1], o: 9, strides: 1, pad: 'valid' },
  { x: [2, 6, 6, 6], k: [4, 4], o: 8, strides: 1, pad: 'same' },
] as const;

describe('WASM training kernels match the cpu backend', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const c of convCases) {
    const label = `x=${c.x} k=${c.k} strides=${c.strides} pad=${JSON.stringify(c.pad)}`;
    it(`Conv2DBackpropFilter and Conv2DBackpropInput, ${label}`, async () => {
      await useBackend('cpu');
      const filterShape: number[] = [c.k[0], c.k[1], c.x[3], c.o];
      const yShape = tf.tidy(() => tf.conv2d((tf.zeros([...c.x] as [number, number, number, number]) as tf.Tensor4D), (tf.zeros(filterShape as [number, number, number, number]) as tf.Tensor4D), c.strides as [number, number], c.pad as 'same').shape);
      const x = randn(size([...c.x]));
      const dy = randn(size(yShape));
      const w = randn(size(filterShape));
      const fAttrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape };
      const fIn = { x: [x, [...c.x]], dy: [dy, yShape] } as Record<string, [Float32Array, number[]]>;
      expectClose(await runOn('wasm', 'Conv2DBackpropFilter', fIn, fAttrs), await runOn('cpu', 'Conv2DBackpropFilter', fIn, fAttrs));
      const iAttrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: [...c.x] };
      const iIn = { dy: [dy, yShape], filter: [w, filterShape] } as Record<string, [Float32Array, number[]]>;
      expectClose(await runOn('wasm', 'Conv2DBackpropInput', iIn, iAttrs), await runOn('cpu', 'Conv2DBackpropInput', iIn, iAttrs));
    });
  }

  it('Conv2DBackpropFilter with dilations (and stride with dilation) against the direct formula', async () => {
    for (const { xs, k, s, d, o, p = [0, 0, 0, 0] } of [
      { xs: [2, 11, 10, 3], k: [3, 3], s: [1, 1], d: [2, 2], o: 4 },
      { xs: [2, 13, 13, 2], k: [3, 2], s: [2, 2], d: [2, 3], o: 3 },
      // Stride 1, c < o, padded so the output is as large as the input: the swapped form, dilation as its stride.
      { xs: [2, 9, 8, 5], k: [3, 3], s: [1, 1], d: [2, 2], o: 7, p: [2, 2, 2, 2] },
      { xs: [2, 9, 10, 6], k: [3, 2], s: [1, 1], d: [2, 3], o: 8, p: [1, 3, 3, 0] },
    ]) {
      const oh = Math.floor((xs[1] + p[0] + p[1] - ((k[0] - 1) * d[0] + 1)) / s[0]) + 1;
      const ow = Math.floor((xs[2] + p[2] + p[3] - ((k[1] - 1) * d[1] + 1)) / s[1]) + 1;
      const ds = [xs[0], oh, ow, o];
      const x = randn(size(xs));
      const dy = randn(size(ds));
      const pad = p.every((v) => v === 0) ? 'valid' : [[0, 0], [p[0], p[1]], [p[2], p[3]], [0, 0]];
      const got = await runOn('wasm', 'Conv2DBackpropFilter', { x: [x, xs], dy: [dy, ds] }, { strides: s, pad, dilations: d, dataFormat: 'NHWC', filterShape: [k[0], k[1], xs[3], o] });
      expectClose(got, naiveFilterGrad(x, xs, dy, ds, k, s, d, [p[0], p[2]]));
    }
  });

  const dwCases = [
    { x: [2, 7, 7, 3], k: [3, 3], m: 1, strides: 1, dil: 1, pad: 'same' },
    { x: [2, 9, 9, 4], k: [3, 3], m: 2, strides: 2, dil: 1, pad: 'same' },
    { x: [3, 10, 9, 2], k: [5, 5], m: 1, strides: 1, dil: 1, pad: 'valid' },
    { x: [1, 8, 8, 2], k: [3, 3], m: 1, strides: 1, dil: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  ] as const;
  for (const c of dwCases) {
    const label = `x=${c.x} k=${c.k} m=${c.m} strides=${c.strides} dilations=${c.dil} pad=${JSON.stringify(c.pad)}`;
    it(`DepthwiseConv2dNativeBackpropFilter and ...BackpropInput, ${label}`, async () => {
      await useBackend('cpu');
      const filterShape: number[] = [c.k[0], c.k[1], c.x[3], c.m];
      const yShape = tf.tidy(
        () => tf.depthwiseConv2d((tf.zeros([...c.x] as [number, number, number, number]) as tf.Tensor4D), (tf.zeros(filterShape as [number, number, number, number]) as tf.Tensor4D), c.strides, c.pad as 'same', 'NHWC', c.dil).shape,
      );
      const x = randn(size([...c.x]));
      const dy = randn(size(yShape));
      const w = randn(size(filterShape));
      const fAttrs = { strides: c.strides, pad: c.pad, dilations: c.dil, filterShape };
      const fIn = { x: [x, [...c.x]], dy: [dy, yShape] } as Record<string, [Float32Array, number[]]>;
      expectClose(await runOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', fIn, fAttrs), await runOn('cpu', 'DepthwiseConv2dNativeBackpropFilter', fIn, fAttrs));
      const iAttrs = { strides: c.strides, pad: c.pad, dilations: c.dil, inputShape: [...c.x] };
      const iIn = { dy: [dy, yShape], filter: [w, filterShape] } as Record<string, [Float32Array, number[]]>;
      expectClose(await runOn('wasm', 'DepthwiseConv2dNativeBackpropInput', iIn, iAttrs), await runOn('cpu', 'DepthwiseConv2dNativeBackpropInput', iIn, iAttrs));
    });
  }

  it('Depthwise gradients with dilations against the direct formula', async () => {
    for (const { xs, k, m, d } of [
      { xs: [2, 11, 11, 3], k: [3, 3], m: 2, d: 2 },
      { xs: [1, 12, 10, 2], k: [3, 3], m: 1, d: 3 },
    ]) {
      const oh = xs[1] - (k[0] - 1) * d;
      const ow = xs[2] - (k[1] - 1) * d;
      const ds = [xs[0], oh, ow, xs[3] * m];
      const x = randn(size(xs));
      const dy = randn(size(ds));
      const w = randn(k[0] * k[1] * xs[3] * m);
      const ref = naiveDepthwise(x, xs, dy, ds, w, k, m, 1, d, [0, 0]);
      const filterShape = [k[0], k[1], xs[3], m];
      expectClose(await runOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x: [x, xs], dy: [dy, ds] }, { strides: 1, pad: 'valid', dilations: d, filterShape }), ref.dW);
      expectClose(await runOn('wasm', 'DepthwiseConv2dNativeBackpropInput', { dy: [dy, ds], filter: [w, filterShape] }, { strides: 1, pad: 'valid', dilations: d, inputShape: xs }), ref.dX);
    }
  });

  it('UnsortedSegmentSum sums repeated ids and leaves absent ids at zero', async () => {
    const ids = new Int32Array([3, 0, 3, 7, 3, 1, 0, 9]);
    const x = randn(ids.length * 5);
    const inputs = { x: [x, [ids.length, 5]], segmentIds: [ids, [ids.length]] } as Record<string, [Float32Array | Int32Array, number[]]>;
    const got = await runOn('wasm', 'UnsortedSegmentSum', inputs, { numSegments: 12 });
    expectClose(got, await runOn('cpu', 'UnsortedSegmentSum', inputs, { numSegments: 12 }));
    // 2-D ids (tfjs's cpu kernel cannot take these; the reference is the definition).
    const ids2 = new Int32Array([1, 2, 2, 0, 5, 1]);
    const x2 = randn(6 * 4);
    const ref = new Float64Array(6 * 4);
    ids2.forEach((id, i) => {
      for (let j = 0; j < 4; j++) ref[id * 4 + j] += x2[i * 4 + j];
    });
    const in2 = { x: [x2, [2, 3, 4]], segmentIds: [ids2, [2, 3]] } as Record<string, [Float32Array | Int32Array, number[]]>;
    expectClose(await runOn('wasm', 'UnsortedSegmentSum', in2, { numSegments: 6 }), { shape: [6, 4], data: ref });
  });

  it('leaks no backend memory', async () => {
    await useBackend('wasm');
    const before = tf.memory().numBytes;
    const x = randn(2 * 8 * 8 * 3);
    const dy = randn(2 * 8 * 8 * 4);
    const fIn = { x: [x, [2, 8, 8, 3]], dy: [dy, [2, 8, 8, 4]] } as Record<string, [Float32Array, number[]]>;
    for (let i = 0; i < 3; i++) await runOn('wasm', 'Conv2DBackpropFilter', fIn, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] });
    expect(tf.memory().numBytes).toBe(before);
  });
});

describe("with NetSprout's SIMD kernels off (NETSPROUT_SIMD_KERNELS=off), the XNNPACK compositions match the cpu backend", () => {
  beforeAll(async () => {
    await initBackend('wasm');
    setSimdKernelsEnabled(false);
  });
  afterAll(() => setSimdKernelsEnabled(true));

  // Few input channels (im2col), c < o at stride 1 (operands swapped), the transposed convolution, and by taps.
  for (const c of [convCases[0], convCases[1], convCases[4], convCases[6], convCases[7], convCases[8]]) {
    it(`Conv2D, Conv2DBackpropFilter and Conv2DBackpropInput, x=${c.x} k=${c.k} strides=${c.strides} pad=${JSON.stringify(c.pad)}`, async () => {
      await useBackend('cpu');
      const filterShape: number[] = [c.k[0], c.k[1], c.x[3], c.o];
      const yShape = tf.tidy(() => tf.conv2d(tf.zeros([...c.x] as [number, number, number, number]) as tf.Tensor4D, tf.zeros(filterShape as [number, number, number, number]) as tf.Tensor4D, c.strides as unknown as [number, number], c.pad as 'same').shape);
      const x = randn(size([...c.x]));
      const dy = randn(size(yShape));
      const w = randn(size(filterShape));
      const cAttrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: 1 };
      const cIn = { x: [x, [...c.x]], filter: [w, filterShape] } as Record<string, [Float32Array, number[]]>;
      expectClose(await runOn('wasm', 'Conv2D', cIn, cAttrs), await runOn('cpu', 'Conv2D', cIn, cAttrs));
      const fAttrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape };
      const fIn = { x: [x, [...c.x]], dy: [dy, yShape] } as Record<string, [Float32Array, number[]]>;
      expectClose(await runOn('wasm', 'Conv2DBackpropFilter', fIn, fAttrs), await runOn('cpu', 'Conv2DBackpropFilter', fIn, fAttrs));
      const iAttrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: [...c.x] };
      const iIn = { dy: [dy, yShape], filter: [w, filterShape] } as Record<string, [Float32Array, number[]]>;
      expectClose(await runOn('wasm', 'Conv2DBackpropInput', iIn, iAttrs), await runOn('cpu', 'Conv2DBackpropInput', iIn, iAttrs));
    });
  }
});
