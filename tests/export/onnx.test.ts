/**
 * The ONNX writer against the engine's own forward pass: every layer type and activation alone in a small
 * network, grown networks with add/concat skips and branches, a text and a table model. Each exported model is
 * run by ONNX Runtime on raw inputs (images 0–255, token ids, encoded rows) and compared with GraphModel.predict
 * on the normalised inputs: max |Δ| ≤ 1e-4 on the probabilities and the same argmax.
 */
import * as tf from '@tensorflow/tfjs-core';
import pkg from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { normaliseImages, type ImagePreprocessSpec, type PreprocessSpec, type TablePreprocessSpec, type TextPreprocessSpec } from '../../engine/data/preprocessSpec.js';
import { isNetSproutError } from '../../engine/errors.js';
import { depthwiseToGrouped, hwioToOihw, transposeArray } from '../../engine/export/arrayLayout.js';
import { METADATA_CLASSES, METADATA_PREPROCESS, ONNX_IR_VERSION, ONNX_OPSET, ONNX_OUTPUT_NAME, tfPads, writeOnnx } from '../../engine/export/onnxWriter.js';
import { GraphBuilder } from '../../engine/graph/builder.js';
import { mlp, referenceCnn, textCnn } from '../../engine/graph/presets.js';
import type { ActivationFn, Graph } from '../../engine/graph/types.js';
import { addSkip, branchConv, concatSkip, deeperConvBlock, randomMorph, type ModelState } from '../../engine/morph/index.js';
import { GraphModel } from '../../engine/train/graphModel.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { branchyImageNet, randomImageGraph } from '../helpers/randomGraphs.js';

const { onnx } = pkg;

const ACTIVATIONS: ActivationFn[] = ['linear', 'relu', 'relu6', 'leakyRelu', 'elu', 'selu', 'sigmoid', 'tanh', 'swish', 'gelu', 'softmax'];
const BATCH = 3;

function imageSpec(height: number, width: number, channels: 1 | 3 = 3): ImagePreprocessSpec {
  return {
    kind: 'images',
    version: 1,
    height,
    width,
    channels,
    fit: 'pad',
    mean: [121.5, 110.25, 98.75].slice(0, channels),
    std: [61.5, 55.5, 70.25].slice(0, channels),
    classes: ['cat', 'dog', 'bird', 'fish'],
    augment: { cropPadding: 0, flip: false, reason: 'test' },
  };
}

function textSpec(sequenceLength: number, vocabularySize: number): TextPreprocessSpec {
  return {
    kind: 'text',
    version: 1,
    lowercase: true,
    normalisation: 'NFKC',
    tokenPattern: '[\\p{L}]+',
    vocabulary: Array.from({ length: vocabularySize - 2 }, (_, i) => `w${i}`),
    padId: 0,
    unknownId: 1,
    sequenceLength,
    truncate: 'end',
    classes: ['neg', 'pos', 'neutral', 'other'],
  };
}

function tableSpec(width: number): TablePreprocessSpec {
  return {
    kind: 'table',
    version: 1,
    target: 'label',
    classes: ['a', 'b', 'c', 'd'],
    columns: Array.from({ length: width }, (_, i) => ({ name: `x${i}`, kind: 'numeric' as const, mean: 0, std: 1, impute: { strategy: 'median' as const, value: 0 } })),
    width,
  };
}

/** Fresh weights with non-zero biases and non-trivial batch-norm statistics (random positive variances). */
function trainedLikeWeights(graph: Graph, seed: number): Map<string, Float32Array[]> {
  const rng = makeRandom(seed + 1000);
  const model = GraphModel.create(graph, seed);
  const weights = new Map<string, Float32Array[]>();
  for (const [id, ws] of model.allWeights()) {
    if (ws.length === 4 && ws[2].name === 'moving_mean') {
      const arrays = [
        ws[0].data.map(() => 0.5 + rng.next()),
        ws[1].data.map(() => rng.normal() * 0.3),
        ws[2].data.map(() => rng.normal() * 0.3),
        ws[3].data.map(() => 0.3 + 1.5 * rng.next()),
      ];
      model.setLayerWeights(id, arrays);
      weights.set(id, arrays);
    } else {
      weights.set(id, ws.map((w) => (w.name === 'bias' ? w.data.map(() => rng.normal() * 0.2) : Float32Array.from(w.data))));
    }
  }
  model.dispose();
  return weights;
}

interface RawBatch {
  /** What the exported model takes. */
  onnx: ort.Tensor;
  /** What the engine's network takes (normalised images). */
  engine: tf.Tensor;
}

function rawBatch(graph: Graph, spec: PreprocessSpec, seed: number, batch = BATCH): RawBatch {
  const rng = makeRandom(seed + 5000);
  const input = graph.layers.find((l) => l.type === 'input')!;
  const shape = [batch, ...(input.params as { shape: number[] }).shape];
  const size = shape.reduce((a, b) => a * b, 1);
  if (spec.kind === 'images') {
    const pixels = Uint8Array.from({ length: size }, () => rng.int(256));
    return { onnx: new ort.Tensor('float32', Float32Array.from(pixels), shape), engine: tf.tensor(normaliseImages(spec, pixels), shape, 'float32') };
  }
  if (spec.kind === 'text') {
    const vocabulary = spec.vocabulary.length + 2;
    const ids = Int32Array.from({ length: size }, () => rng.int(vocabulary));
    return { onnx: new ort.Tensor('int32', ids, shape), engine: tf.tensor(ids, shape, 'int32') };
  }
  const rows = Float32Array.from({ length: size }, () => rng.normal());
  return { onnx: new ort.Tensor('float32', rows, shape), engine: tf.tensor(rows, shape, 'float32') };
}

function argmaxRows(values: ArrayLike<number>, width: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < values.length / width; r++) {
    let best = 0;
    for (let k = 1; k < width; k++) if (values[r * width + k] > values[r * width + best]) best = k;
    out.push(best);
  }
  return out;
}

async function runOnnx(bytes: Uint8Array, input: ort.Tensor, options: ort.InferenceSession.SessionOptions = {}): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes, options);
  try {
    const result = await session.run({ [session.inputNames[0]]: input });
    return result[ONNX_OUTPUT_NAME];
  } finally {
    await session.release();
  }
}

function enginePredict(state: ModelState, x: tf.Tensor): { data: Float32Array; shape: number[] } {
  const model = GraphModel.withWeights(state.graph, state.weights);
  const y = model.predict(x);
  const out = { data: y.dataSync() as Float32Array, shape: y.shape };
  y.dispose();
  model.dispose();
  return out;
}

/** Exports `state`, runs both, and checks they agree; returns the model bytes. */
async function expectSameAsEngine(state: ModelState, spec: PreprocessSpec, seed = 1, options: ort.InferenceSession.SessionOptions = {}): Promise<Uint8Array> {
  const bytes = writeOnnx({ graph: state.graph, weights: state.weights, preprocess: spec });
  const batch = rawBatch(state.graph, spec, seed);
  const want = enginePredict(state, batch.engine);
  batch.engine.dispose();
  const got = await runOnnx(bytes, batch.onnx, options);
  expect(got.dims).toEqual(want.shape);
  const data = got.data as Float32Array;
  let max = 0;
  for (let i = 0; i < want.data.length; i++) max = Math.max(max, Math.abs(data[i] - want.data[i]));
  expect(max, `max |ONNX − engine| = ${max}`).toBeLessThanOrEqual(1e-4);
  const width = want.shape[want.shape.length - 1];
  expect(argmaxRows(data, width)).toEqual(argmaxRows(want.data, width));
  return bytes;
}

async function expectExportMatches(graph: Graph, spec: PreprocessSpec, seed = 1): Promise<Uint8Array> {
  return expectSameAsEngine({ graph, weights: trainedLikeWeights(graph, seed) }, spec, seed);
}

type Body = (b: GraphBuilder, x: string) => string;

/** input → body → flatten → dense(4, softmax): the flatten makes every position and channel count. */
function withHead(shape: number[], body: Body, dtype: 'float32' | 'int32' = 'float32'): Graph {
  const b = new GraphBuilder();
  const x = b.input(shape, dtype);
  return b.build(b.dense(b.flatten(body(b, x)), 4, 'softmax'));
}

function opTypes(bytes: Uint8Array): string[] {
  return onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType!);
}

await initBackend('wasm');

const IMAGE = [7, 7, 3];
const imageCases: Array<[string, Body]> = [
  ['conv2d 3×3 same', (b, x) => b.conv2d(x, 5, 3)],
  ['conv2d 3×3 same, stride 2 on an odd size', (b, x) => b.conv2d(x, 5, 3, { strides: [2, 2] })],
  ['conv2d even 4×4 same, stride 2', (b, x) => b.conv2d(x, 5, 4, { strides: [2, 2] })],
  ['conv2d even 2×2 same, stride 1 (extra padding at the end)', (b, x) => b.conv2d(x, 4, 2)],
  ['conv2d 3×3 valid, stride 2', (b, x) => b.conv2d(x, 4, 3, { padding: 'valid', strides: [2, 2] })],
  ['conv2d dilation 2 same', (b, x) => b.conv2d(x, 4, 3, { dilation: [2, 2] })],
  ['conv2d dilation 2 valid', (b, x) => b.conv2d(x, 4, 3, { dilation: [2, 2], padding: 'valid' })],
  ['conv2d 3×5 kernel, strides 2×1', (b, x) => b.add('conv2d', { filters: 4, kernelSize: [3, 5], strides: [2, 1], padding: 'same', dilation: [1, 1], useBias: true, activation: 'linear' }, [x])],
  ['conv2d without bias, relu fused', (b, x) => b.conv2d(x, 4, 3, { useBias: false, activation: 'relu' })],
  ['depthwiseConv2d 3×3 same', (b, x) => b.depthwiseConv2d(x, 3)],
  ['depthwiseConv2d multiplier 2, stride 2, relu6 fused', (b, x) => b.depthwiseConv2d(x, 3, { depthMultiplier: 2, strides: [2, 2], activation: 'relu6' })],
  ['depthwiseConv2d even 2×2, multiplier 3, no bias', (b, x) => b.depthwiseConv2d(x, 2, { depthMultiplier: 3, useBias: false })],
  ['depthwiseConv2d dilation 2 same', (b, x) => b.depthwiseConv2d(x, 3, { dilation: [2, 2], depthMultiplier: 2 })],
  ['separableConv2d 3×3', (b, x) => b.separableConv2d(x, 6, 3)],
  ['separableConv2d multiplier 2, stride 2, even 4×4, no bias, elu fused', (b, x) => b.separableConv2d(x, 5, 4, { depthMultiplier: 2, strides: [2, 2], useBias: false, activation: 'elu' })],
  ['separableConv2d dilation 2 valid', (b, x) => b.separableConv2d(x, 4, 3, { dilation: [2, 2], padding: 'valid' })],
  ['dense on a 4-D channels-first tensor (a 1×1 conv)', (b, x) => b.dense(b.conv2d(x, 4, 3), 6, 'relu')],
  ['dense on the raw 4-D input (channels-last MatMul)', (b, x) => b.dense(x, 6, 'tanh')],
  ['dense without bias on a 4-D tensor', (b, x) => b.add('dense', { units: 5, useBias: false, activation: 'linear' }, [b.conv2d(x, 4, 3)])],
  ['batchNorm after conv2d', (b, x) => b.batchNorm(b.conv2d(x, 4, 3))],
  ['batchNorm on the input (channels-last)', (b, x) => b.conv2d(b.batchNorm(x, 1e-2), 4, 3)],
  ['Conv-BN-ReLU', (b, x) => b.convBnRelu(x, 6)],
  ['leakyRelu with alpha 0.1', (b, x) => b.add('activation', { fn: 'leakyRelu', alpha: 0.1 }, [b.conv2d(x, 4, 3)])],
  ['softmax over channels of the raw input (channels-last axis)', (b, x) => b.activation(x, 'softmax')],
  ['flatten straight after the input', (b, x) => x],
  ['flatten after a single position (no transpose needed)', (b, x) => b.maxPool2d(b.conv2d(x, 5, 3), 7)],
  ['dropout is the identity', (b, x) => b.dropout(b.conv2d(x, 4, 3), 0.5)],
  ['add of two convs', (b, x) => b.addLayers([b.conv2d(x, 4, 3), b.conv2d(x, 4, 1)])],
  ['add of the input and a conv (mixed layouts)', (b, x) => b.addLayers([x, b.conv2d(x, 3, 3)])],
  ['add of three tensors (Sum)', (b, x) => b.addLayers([b.conv2d(x, 4, 3), b.conv2d(x, 4, 1), b.depthwiseConv2d(b.conv2d(x, 4, 1), 3)])],
  ['concat of two convs', (b, x) => b.concat([b.conv2d(x, 4, 3), b.conv2d(x, 2, 1)])],
  ['concat of the input and a conv (mixed layouts)', (b, x) => b.concat([x, b.conv2d(x, 2, 3)])],
  ['concat of three, then a conv', (b, x) => b.conv2d(b.concat([b.conv2d(x, 4, 3), x, b.maxPool2d(x, 3, 1, 'same')]), 3, 3)],
];
for (const fn of ACTIVATIONS) {
  imageCases.push([`activation ${fn} after conv2d (NCHW)`, (b, x) => b.activation(b.conv2d(x, 4, 3), fn)]);
  imageCases.push([`conv2d with ${fn} fused`, (b, x) => b.conv2d(x, 4, 3, { activation: fn })]);
}
for (const type of ['maxPool2d', 'avgPool2d'] as const) {
  for (const [size, stride, padding] of [
    [2, 2, 'valid'],
    [3, 2, 'same'],
    [2, 1, 'same'],
    [3, 1, 'same'],
    [3, 3, 'same'],
    [2, 2, 'same'],
  ] as const) {
    imageCases.push([`${type} ${size}/${stride} ${padding}`, (b, x) => b[type](b.conv2d(x, 4, 3), size, stride, padding)]);
  }
  imageCases.push([`${type} on the raw input`, (b, x) => b[type](x, 3, 2, 'same')]);
}
for (const type of ['globalAvgPool', 'globalMaxPool'] as const) {
  imageCases.push([`${type} after conv2d`, (b, x) => b[type](b.conv2d(x, 6, 3))]);
  imageCases.push([`${type} on the raw input (channels-last reduce)`, (b, x) => b[type](x)]);
}

describe('each image layer alone matches the engine', () => {
  const spec = imageSpec(IMAGE[0], IMAGE[1]);
  imageCases.forEach(([name, body], k) => {
    it(name, async () => {
      await expectExportMatches(withHead(IMAGE, body), spec, k);
    });
  });

  it('a one-channel image', async () => {
    await expectExportMatches(withHead([6, 5, 1], (b, x) => b.conv2d(x, 3, 3, { strides: [2, 2] })), imageSpec(6, 5, 1));
  });

  it('a Flatten after a conv stack keeps the NHWC order (the classic silent bug)', async () => {
    const b = new GraphBuilder();
    let x = b.input([9, 9, 3]);
    x = b.maxPool2d(b.convBnRelu(x, 6), 2, 2, 'same');
    x = b.conv2d(x, 5, 3, { strides: [2, 2], activation: 'relu' });
    x = b.flatten(x);
    const graph = b.build(b.dense(b.activation(b.dense(x, 8), 'relu'), 4, 'softmax'));
    const bytes = await expectExportMatches(graph, imageSpec(9, 9));
    // The input goes to NCHW once and comes back to NHWC once, before the Flatten.
    expect(opTypes(bytes).filter((t) => t === 'Transpose')).toHaveLength(2);
  });

  it('a conv stack with global pooling needs one Transpose only', async () => {
    const b = new GraphBuilder();
    let x = b.input([8, 8, 3]);
    x = b.convBnRelu(x, 6);
    const skip = x;
    x = b.addLayers([b.convBnRelu(x, 6), skip]);
    x = b.concat([b.separableConv2d(x, 4, 3), x]);
    x = b.globalAvgPool(b.avgPool2d(x, 2, 2, 'same'));
    const bytes = await expectExportMatches(b.build(b.dense(x, 4, 'softmax')), imageSpec(8, 8));
    expect(opTypes(bytes).filter((t) => t === 'Transpose')).toHaveLength(1);
  });
});

describe('fused activations on dense layers match the engine', () => {
  for (const fn of ACTIVATIONS) {
    it(`dense with ${fn} fused, on [N, features]`, async () => {
      const b = new GraphBuilder();
      const x = b.input([9]);
      const graph = b.build(b.dense(b.dense(x, 6, fn), 4, 'softmax'));
      await expectExportMatches(graph, tableSpec(9));
    });
  }
});

describe('sequence layers (text) match the engine', () => {
  const L = 9;
  const V = 20;
  const spec = textSpec(L, V);
  const embed = (b: GraphBuilder, x: string) => b.embedding(x, V, 5);
  const cases: Array<[string, Body]> = [
    ['embedding alone (Gather), flattened', (b, x) => embed(b, x)],
    ['conv1d 3 same', (b, x) => b.conv1d(embed(b, x), 4, 3)],
    ['conv1d even 4 same, stride 2 on an odd length', (b, x) => b.conv1d(embed(b, x), 4, 4, { strides: 2 })],
    ['conv1d dilation 2 same', (b, x) => b.conv1d(embed(b, x), 4, 3, { dilation: 2 })],
    ['conv1d valid, stride 2, no bias, gelu fused', (b, x) => b.conv1d(embed(b, x), 4, 3, { padding: 'valid', strides: 2, useBias: false, activation: 'gelu' })],
    ['dense on [N, L, D] channels-last (MatMul)', (b, x) => b.dense(embed(b, x), 6, 'relu')],
    ['dense after conv1d (a kernel-1 conv)', (b, x) => b.dense(b.conv1d(embed(b, x), 4, 3), 6, 'sigmoid')],
    ['batchNorm after the embedding (channels-last)', (b, x) => b.batchNorm(embed(b, x))],
    ['batchNorm after conv1d', (b, x) => b.batchNorm(b.conv1d(embed(b, x), 4, 3))],
    ['softmax over channels after conv1d (NCL)', (b, x) => b.activation(b.conv1d(embed(b, x), 4, 3), 'softmax')],
    ['add of conv1d and the embedding', (b, x) => {
      const e = embed(b, x);
      return b.addLayers([e, b.conv1d(e, 5, 3)]);
    }],
    ['concat of conv1d and the embedding', (b, x) => {
      const e = embed(b, x);
      return b.concat([b.conv1d(e, 3, 3), e]);
    }],
  ];
  for (const type of ['maxPool1d', 'avgPool1d'] as const) {
    for (const [size, stride, padding] of [
      [2, 2, 'valid'],
      [3, 2, 'same'],
      [2, 1, 'same'],
      [4, 4, 'same'],
    ] as const) {
      cases.push([`${type} ${size}/${stride} ${padding}`, (b, x) => b[type](b.conv1d(embed(b, x), 4, 3), size, stride, padding)]);
    }
    cases.push([`${type} straight after the embedding`, (b, x) => b[type](embed(b, x), 3, 2, 'same')]);
  }
  for (const type of ['globalAvgPool', 'globalMaxPool'] as const) {
    cases.push([`${type} after conv1d`, (b, x) => b[type](b.conv1d(embed(b, x), 4, 3))]);
    cases.push([`${type} straight after the embedding`, (b, x) => b[type](embed(b, x))]);
  }
  cases.forEach(([name, body], k) => {
    it(name, async () => {
      await expectExportMatches(withHead([L], body, 'int32'), spec, k);
    });
  });

  it('the text model: embedding → conv1d → global max pool → dense', async () => {
    const bytes = await expectExportMatches(textCnn(L, V, 4), spec);
    const model = onnx.ModelProto.decode(bytes);
    expect(model.graph!.input![0].type!.tensorType!.elemType).toBe(onnx.TensorProto.DataType.INT32);
    expect(opTypes(bytes)).toContain('Gather');
  });
});

describe('table models match the engine', () => {
  it('an MLP with batch norm on [N, features]', async () => {
    await expectExportMatches(mlp([9], 4, [16, 8]), tableSpec(9));
  });

  it('an MLP with dropout and every activation layer', async () => {
    const b = new GraphBuilder();
    let x = b.input([7]);
    for (const fn of ACTIVATIONS.filter((f) => f !== 'softmax')) x = b.activation(b.dense(x, 6), fn);
    x = b.dropout(x, 0.3);
    await expectExportMatches(b.build(b.activation(b.dense(x, 4), 'softmax')), tableSpec(7));
  });
});

/** Non-trivial starting weights for a morphism chain. */
function startState(graph: Graph, seed: number): ModelState {
  return { graph, weights: trainedLikeWeights(graph, seed) };
}


describe('grown networks match the engine', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`random image graph ${seed}`, async () => {
      // randomImageGraph ends in 3 classes.
      await expectExportMatches(randomImageGraph(seed), { ...imageSpec(12, 12), classes: ['a', 'b', 'c'] }, seed);
    });
  }

  it('the reference CNN at 28×28×1', async () => {
    await expectExportMatches(referenceCnn([28, 28, 1], 4), imageSpec(28, 28, 1));
  });

  it('a grown network also matches with ONNX Runtime graph optimisations off (the graph as written)', async () => {
    const graph = randomImageGraph(4);
    const spec = { ...imageSpec(12, 12), classes: ['a', 'b', 'c'] };
    await expectSameAsEngine({ graph, weights: trainedLikeWeights(graph, 4) }, spec, 4, { graphOptimizationLevel: 'disabled' });
  });

  const spec = imageSpec(10, 10);
  it('add and concat skips, a branched conv, a deeper block', async () => {
    let state = startState(branchyImageNet(10), 7);
    state = concatSkip(state, 'activation_3', 'activation_4');
    state = addSkip(state, 'activation_1', 'activation_3');
    state = branchConv(state, 'conv2d_2');
    state = deeperConvBlock(state, 'activation_1', 5, true);
    await expectSameAsEngine(state, spec);
  });

  for (const chain of [0, 1, 2]) {
    it(`a random chain of five morphisms (${chain})`, async () => {
      const rng = makeRandom(300 + chain);
      let state = startState(branchyImageNet(10), chain);
      for (let k = 0; k < 5; k++) state = randomMorph(state, rng);
      await expectSameAsEngine(state, spec, chain);
    });
  }

  it('a text network grown by morphisms', async () => {
    const rng = makeRandom(11);
    let state = startState(textCnn(12, 30, 4), 3);
    for (let k = 0; k < 4; k++) state = randomMorph(state, rng);
    await expectSameAsEngine(state, textSpec(12, 30));
  });
});

describe('the ONNX file', () => {
  const b = new GraphBuilder();
  const x = b.input([5, 5, 3]);
  const graph = b.build(b.dense(b.globalAvgPool(b.batchNorm(b.convBnRelu(x, 4), 0.01)), 4, 'softmax'));
  const spec = imageSpec(5, 5);
  const weights = trainedLikeWeights(graph, 1);
  const bytes = writeOnnx({ graph, weights, preprocess: spec }, { producerVersion: '1.2.3', metadata: { 'netsprout.candidate': 'c17' } });
  const model = onnx.ModelProto.decode(bytes);

  it('is IR 8, opset 13, made by NetSprout', () => {
    expect(Number(model.irVersion)).toBe(ONNX_IR_VERSION);
    expect(ONNX_IR_VERSION).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', ONNX_OPSET]]);
    expect(model.producerName).toBe('NetSprout');
    expect(model.producerVersion).toBe('1.2.3');
  });

  it('carries the classes, the preprocessing spec and the extra metadata', () => {
    const props = new Map(model.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(props.get(METADATA_CLASSES)!)).toEqual(spec.classes);
    expect(JSON.parse(props.get(METADATA_PREPROCESS)!)).toEqual(spec);
    expect(props.get('netsprout.candidate')).toBe('c17');
  });

  it('takes raw NHWC float32 images with a symbolic batch and returns probabilities', () => {
    const input = model.graph!.input![0];
    expect(input.name).toBe('images');
    expect(input.type!.tensorType!.elemType).toBe(onnx.TensorProto.DataType.FLOAT);
    expect(input.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['N', 5, 5, 3]);
    const output = model.graph!.output![0];
    expect(output.name).toBe(ONNX_OUTPUT_NAME);
    expect(output.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['N', 4]);
    expect(model.graph!.input).toHaveLength(1);
  });

  it('writes every BatchNormalization epsilon as the IR has it', () => {
    const eps = model.graph!.node!.filter((n) => n.opType === 'BatchNormalization').map((n) => n.attribute!.find((a) => a.name === 'epsilon')!.f);
    expect(eps).toEqual([Math.fround(1e-3), Math.fround(1e-2)]);
  });

  it('is the same bytes when written twice', () => {
    expect(Buffer.from(writeOnnx({ graph, weights, preprocess: spec }, { producerVersion: '1.2.3', metadata: { 'netsprout.candidate': 'c17' } })).equals(Buffer.from(bytes))).toBe(true);
  });

  it('runs with batch sizes 1 and 5', async () => {
    for (const n of [1, 5]) {
      const y = await runOnnx(bytes, new ort.Tensor('float32', new Float32Array(n * 75).fill(128), [n, 5, 5, 3]));
      expect(y.dims).toEqual([n, 4]);
    }
  });

  it('refuses weights that do not belong to the graph, and a spec that does not fit', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isNetSproutError(e) ? e.code : String(e);
      }
      return 'no error';
    };
    const missing = new Map(weights);
    missing.delete('conv2d_1');
    expect(code(() => writeOnnx({ graph, weights: missing, preprocess: spec }))).toBe('EXPORT_WEIGHTS_MISSING');
    const wrong = new Map(weights);
    wrong.set('dense_1', [new Float32Array(3), new Float32Array(4)]);
    expect(code(() => writeOnnx({ graph, weights: wrong, preprocess: spec }))).toBe('EXPORT_WEIGHTS_SHAPE');
    expect(code(() => writeOnnx({ graph, weights, preprocess: imageSpec(5, 5, 1) }))).toBe('EXPORT_SPEC_MISMATCH');
    expect(code(() => writeOnnx({ graph, weights, preprocess: tableSpec(75) }))).toBe('EXPORT_SPEC_MISMATCH');
  });
});

describe('layout helpers', () => {
  it('transposeArray matches index arithmetic', () => {
    const shape = [2, 3, 4, 5];
    const data = Float32Array.from({ length: 120 }, (_, i) => i);
    const out = hwioToOihw(data, [2, 3, 4, 5]);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 3; x++)
        for (let i = 0; i < 4; i++)
          for (let o = 0; o < 5; o++) expect(out[((o * 4 + i) * 2 + y) * 3 + x]).toBe(data[((y * 3 + x) * 4 + i) * 5 + o]);
    expect(transposeArray(transposeArray(data, shape, [3, 2, 0, 1]), [5, 4, 2, 3], [2, 3, 1, 0])).toEqual(data);
  });

  it('a depthwise kernel becomes a grouped conv weight with output channel c·mult + m', () => {
    const [kh, kw, cin, mult] = [2, 3, 4, 2];
    const data = Float32Array.from({ length: kh * kw * cin * mult }, (_, i) => i);
    const out = depthwiseToGrouped(data, [kh, kw, cin, mult]);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let c = 0; c < cin; c++)
          for (let m = 0; m < mult; m++) expect(out[((c * mult + m) * kh + y) * kw + x]).toBe(data[((y * kw + x) * cin + c) * mult + m]);
  });

  it("tfPads puts TensorFlow's odd 'same' pixel at the end", () => {
    expect(tfPads([7, 7], [3, 3], [2, 2], [1, 1], 'same')).toEqual([1, 1, 1, 1]);
    expect(tfPads([8], [3], [2], [1], 'same')).toEqual([0, 1]);
    expect(tfPads([7], [2], [1], [1], 'same')).toEqual([0, 1]);
    expect(tfPads([7], [3], [1], [2], 'same')).toEqual([2, 2]);
    expect(tfPads([7, 5], [3, 3], [1, 1], [1, 1], 'valid')).toEqual([0, 0, 0, 0]);
  });
});
