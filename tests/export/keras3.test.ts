/**
 * The Keras 3 `.keras` writer against our own reader: every IR layer type and activation alone, grown networks
 * with add/concat skips and branches, presets for images, text and tables. Each model is written, read back, and
 * checked for bit-exact weights, the same graph, Keras's h5 container names, and the Functional config structure
 * Keras writes (keras/src/models/functional.py, keras/src/saving/saving_lib.py).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import type { PreprocessSpec } from '../../engine/data/preprocessSpec.js';
import { isNetSproutError } from '../../engine/errors.js';
import { buildKeras3Model, KERAS_ACTIVATION } from '../../engine/export/keras3Config.js';
import { kerasDialect } from '../../engine/export/keras3Dialect.js';
import { kerasLayerOrder, sanitiseLayerName, toSnakeCase } from '../../engine/export/keras3Naming.js';
import { pythonFloatRepr, pythonJsonDumps } from '../../engine/export/keras3PyJson.js';
import { readKeras3, type Keras3ReadResult } from '../../engine/export/keras3Reader.js';
import { kerasDateSaved, writeKeras3 } from '../../engine/export/keras3Writer.js';
import { GraphBuilder } from '../../engine/graph/builder.js';
import { mlp, referenceCnn, textCnn } from '../../engine/graph/presets.js';
import { inferShapes } from '../../engine/graph/shapes.js';
import type { ActivationFn, Graph, Layer } from '../../engine/graph/types.js';
import { addSkip, branchConv, concatSkip, deeperConvBlock, randomMorph, type ModelState } from '../../engine/morph/index.js';
import { GraphModel } from '../../engine/train/graphModel.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { imageSpec, specFor, tableSpec, textSpec } from '../helpers/exportFixtures.js';
import { randomImageGraph } from '../helpers/randomGraphs.js';

const ACTIVATIONS: ActivationFn[] = ['linear', 'relu', 'relu6', 'leakyRelu', 'elu', 'selu', 'sigmoid', 'tanh', 'swish', 'gelu', 'softmax'];

let dir = '';
let fileCount = 0;

beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(path.join(os.tmpdir(), 'keras3-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** GraphModel's fresh weights, with every batch-norm variable made distinct so that a swapped variable shows. */
function modelWeights(graph: Graph, seed: number): Map<string, Float32Array[]> {
  const model = GraphModel.create(graph, seed);
  const rng = makeRandom(seed + 77);
  const weights = new Map<string, Float32Array[]>();
  for (const [id, ws] of model.allWeights()) {
    const isBn = graph.layers.find((l) => l.id === id)!.type === 'batchNorm';
    weights.set(id, ws.map((w, i) => (isBn ? w.data.map(() => (i === 3 ? 0.5 : 0) + rng.next()) : Float32Array.from(w.data))));
  }
  model.dispose();
  return weights;
}

interface RoundTrip {
  graph: Graph;
  weights: Map<string, Float32Array[]>;
  back: Keras3ReadResult;
  configText: string;
  metadataText: string;
}

async function roundTrip(graph: Graph, spec: PreprocessSpec = specFor(graph, 3), seed = 1, weights = modelWeights(graph, seed)): Promise<RoundTrip> {
  const file = path.join(dir, `model-${++fileCount}.keras`);
  await writeKeras3({ graph, weights, preprocess: spec }, file);
  const back = await readKeras3(file);
  const members = unzipSync(new Uint8Array(await readFile(file)));
  return { graph, weights, back, configText: strFromU8(members['config.json']), metadataText: strFromU8(members['metadata.json']) };
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Layers by id, ignoring the order of `graph.layers` (Keras lists them in its own order). */
function canonical(graph: Graph): { output: string; layers: Array<Pick<Layer, 'id' | 'type' | 'params' | 'inputs'>> } {
  return {
    output: graph.output,
    layers: [...graph.layers].sort((a, b) => (a.id < b.id ? -1 : 1)).map((l) => ({ id: l.id, type: l.type, params: l.params, inputs: l.inputs })),
  };
}

type Entry = { module: string; class_name: string; registered_name: string | null; name: string; config: Record<string, unknown>; build_config?: { input_shape: unknown }; inbound_nodes: Array<{ args: unknown[]; kwargs: Record<string, unknown> }> };

function configLayers(back: Keras3ReadResult): Entry[] {
  return (back.config as { config: { layers: Entry[] } }).config.layers;
}

type TensorRef = { class_name: string; config: { shape: Array<number | null>; dtype: string; keras_history: [string, number, number] } };

/** Everything a round trip must preserve, and the structure of the Functional config. */
function expectFaithful(rt: RoundTrip): void {
  const { graph, weights, back } = rt;
  // Weights: the same layers, the same number of variables, bit for bit.
  expect([...back.weights.keys()].sort()).toEqual([...weights.keys()].filter((id) => weights.get(id)!.length > 0).sort());
  for (const [id, arrays] of weights) {
    if (arrays.length === 0) continue;
    const read = back.weights.get(id)!;
    expect(read.length, id).toBe(arrays.length);
    arrays.forEach((a, i) => expect(sameBits(a, read[i]), `${id} variable ${i}`).toBe(true));
  }
  // The graph: same ids, types, params and inputs.
  expect(canonical(back.graph)).toEqual(canonical(graph));

  // config.json: the Functional wrapper and the layer entries.
  const config = back.config as { module: string; class_name: string; registered_name: string; build_config: unknown; config: { name: string; input_layers: unknown; output_layers: unknown } };
  expect(config.module).toBe('keras.src.models.functional');
  expect(config.class_name).toBe('Functional');
  expect(config.registered_name).toBe('Functional');
  expect(config.build_config).toEqual({ input_shape: null });
  const entries = configLayers(back);
  const names = new Set(entries.map((e) => e.name));
  expect(names.size).toBe(entries.length);
  const shapes = inferShapes(back.graph);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const irIdOf = new Map(back.containers.map((c) => [c.layer, c.irId]));
  /** The IR output shape a Keras layer produces (a Normalization layer keeps its input's). */
  const outputShape = (name: string): number[] => {
    const e = byName.get(name)!;
    return e.class_name === 'Normalization' ? outputShape((e.inbound_nodes[0].args[0] as TensorRef).config.keras_history[0]) : shapes.get(irIdOf.get(name)!)!;
  };
  for (const e of entries) {
    expect(e.module).toBe('keras.layers');
    expect(e.registered_name).toBeNull();
    expect(e.config.name).toBe(e.name);
    expect(Object.keys(e).slice(-2)).toEqual(['name', 'inbound_nodes']);
    if (e.class_name === 'InputLayer') {
      expect(e.inbound_nodes).toEqual([]);
      continue;
    }
    expect(e.inbound_nodes).toHaveLength(1);
    const node = e.inbound_nodes[0];
    expect(Object.keys(node)).toEqual(['args', 'kwargs']);
    const merge = e.class_name === 'Add' || e.class_name === 'Concatenate';
    expect(node.args).toHaveLength(1);
    if (merge) expect(Array.isArray(node.args[0])).toBe(true);
    const refs = (merge ? node.args[0] : node.args) as TensorRef[];
    expect(refs.length).toBeGreaterThanOrEqual(merge ? 2 : 1);
    for (const ref of refs) {
      expect(ref.class_name).toBe('__keras_tensor__');
      const [producer, nodeIndex, tensorIndex] = ref.config.keras_history;
      expect(names.has(producer), `${e.name} reads ${producer}`).toBe(true);
      expect([nodeIndex, tensorIndex]).toEqual([0, 0]);
      expect(ref.config.shape).toEqual([null, ...outputShape(producer)]);
    }
  }
  // Layers are listed in the order a reloaded model computes, so container names follow the same order.
  const outputs = [(config.config.output_layers as unknown[]).flat(2)[0] as string];
  const order = kerasLayerOrder(entries.map((e) => ({ name: e.name, inputs: e.inbound_nodes.flatMap((n) => [n.args].flat(2).map((r) => (r as TensorRef).config.keras_history[0])) })), outputs);
  expect(entries.map((e) => e.name)).toEqual(order);

  // model.weights.h5: one named `vars` group per layer and the root `vars`, datasets float32 with the IR shapes.
  expect(back.h5Tree).toContain('vars');
  expect(back.h5Tree).toContain('layers/input_layer/vars');
  expect(back.containers.map((c) => c.layer)).toEqual(order);
  for (const c of back.containers) {
    expect(back.h5Tree).toContain(`${c.path}/vars`);
    expect(c.nameAttribute).toBe(c.layer);
  }
  for (const line of back.h5Tree.filter((l) => l.includes(' '))) expect(line.endsWith(' float32')).toBe(true);
  expect(back.members).toEqual(['metadata.json', 'config.json', 'model.weights.h5']);
}

/** Container paths under layers/, as the reader assigned them, by Keras layer name. */
function containersByLayer(back: Keras3ReadResult): Record<string, string> {
  return Object.fromEntries(back.containers.map((c) => [c.layer, c.path.replace(/^layers\//, '')]));
}

function expectNetSproutError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(isNetSproutError(e) ? e.code : e).toBe(code);
    return;
  }
  throw new Error(`expected a NetSproutError ${code}`);
}

async function expectRejects(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toSatisfy((e: unknown) => isNetSproutError(e) && e.code === code);
}

// ---------------------------------------------------------------------------------------------------------------

describe('every IR layer type alone', () => {
  const image = (build: (b: GraphBuilder, x: string) => string, shape = [8, 8, 3]): Graph => {
    const b = new GraphBuilder();
    const x = build(b, b.input(shape));
    return b.build(b.dense(x, 3, 'softmax'));
  };
  const cases: Array<[string, Graph, string[]]> = [
    ['conv2d', image((b, x) => b.globalAvgPool(b.conv2d(x, 4, 3, { strides: [2, 2], padding: 'valid' }))), ['Conv2D']],
    ['conv2d without bias, dilated', image((b, x) => b.flatten(b.conv2d(x, 2, 3, { useBias: false, dilation: [2, 2] }))), ['Conv2D', 'Flatten']],
    ['separableConv2d', image((b, x) => b.globalMaxPool(b.separableConv2d(x, 5, 3, { depthMultiplier: 2, strides: [2, 1] }))), ['SeparableConv2D', 'GlobalMaxPooling2D']],
    ['depthwiseConv2d', image((b, x) => b.globalAvgPool(b.depthwiseConv2d(x, 3, { depthMultiplier: 3, padding: 'valid', useBias: false }))), ['DepthwiseConv2D', 'GlobalAveragePooling2D']],
    ['batchNorm', image((b, x) => b.globalAvgPool(b.add('batchNorm', { epsilon: 1e-5, momentum: 0.99 }, [x]))), ['BatchNormalization']],
    ['maxPool2d', image((b, x) => b.flatten(b.maxPool2d(x, 3, 2, 'same'))), ['MaxPooling2D']],
    ['avgPool2d', image((b, x) => b.flatten(b.avgPool2d(x, 2, 1, 'valid'))), ['AveragePooling2D']],
    ['dropout', image((b, x) => b.dropout(b.globalAvgPool(x), 0.25)), ['Dropout']],
    ['add', image((b, x) => b.globalAvgPool(b.addLayers([b.conv2d(x, 3, 1), x, b.conv2d(x, 3, 3)]))), ['Add']],
    ['concat', image((b, x) => b.globalAvgPool(b.concat([x, b.conv2d(x, 2, 1)]))), ['Concatenate']],
    ['dense on a flat input', (() => { const b = new GraphBuilder(); return b.build(b.dense(b.dense(b.input([6]), 4, 'relu', false), 2, 'softmax')); })(), ['Dense']],
  ];
  // 1-D layers on the embedded token sequence (the IR's only sequences).
  const sequence = (build: (b: GraphBuilder, x: string) => string): Graph => {
    const b = new GraphBuilder();
    return b.build(b.dense(build(b, b.embedding(b.input([16], 'int32', 'tokens'), 20, 3)), 2, 'softmax'));
  };
  cases.push(
    ['conv1d', sequence((b, x) => b.flatten(b.conv1d(x, 4, 5, { strides: 2, padding: 'valid', activation: 'tanh' }))), ['Embedding', 'Conv1D']],
    ['conv1d dilated', sequence((b, x) => b.globalMaxPool(b.conv1d(x, 4, 3, { dilation: 3 }))), ['Conv1D', 'GlobalMaxPooling1D']],
    ['maxPool1d', sequence((b, x) => b.flatten(b.maxPool1d(x, 3, 2, 'same'))), ['MaxPooling1D']],
    ['avgPool1d', sequence((b, x) => b.globalAvgPool(b.avgPool1d(x, 2))), ['AveragePooling1D', 'GlobalAveragePooling1D']],
    ['embedding', sequence((b, x) => b.dense(b.flatten(x), 3, 'relu')), ['Embedding', 'Flatten']],
  );

  for (const [name, graph, classes] of cases) {
    it(name, async () => {
      const rt = await roundTrip(graph);
      expectFaithful(rt);
      const used = new Set(configLayers(rt.back).map((e) => e.class_name));
      for (const c of classes) expect(used, c).toContain(c);
    });
  }
});

describe('activations', () => {
  it('every activation fused into a dense layer goes into its `activation` key', async () => {
    const b = new GraphBuilder();
    let x = b.input([6]);
    for (const fn of ACTIVATIONS) x = b.dense(x, 5, fn);
    const rt = await roundTrip(b.build(b.dense(x, 3, 'softmax')), tableSpec(6, 3));
    expectFaithful(rt);
    const dense = configLayers(rt.back).filter((e) => e.class_name === 'Dense');
    expect(dense.map((e) => e.config.activation)).toEqual([...ACTIVATIONS.map((fn) => KERAS_ACTIVATION[fn]), 'softmax']);
    expect(KERAS_ACTIVATION.swish).toBe('silu');
    expect(KERAS_ACTIVATION.gelu).toBe('gelu'); // Keras 3 gelu: approximate=False, the erf form the engine uses
  });

  it('activation layers become ReLU, LeakyReLU (negative_slope), Softmax or Activation', async () => {
    const b = new GraphBuilder();
    let x = b.input([6]);
    for (const fn of ACTIVATIONS) x = b.activation(b.dense(x, 4), fn);
    x = b.add('activation', { fn: 'leakyRelu', alpha: 0.1 }, [x]);
    const rt = await roundTrip(b.build(b.dense(x, 3, 'softmax')), tableSpec(6, 3));
    expectFaithful(rt);
    const act = configLayers(rt.back).filter((e) => e.class_name !== 'Dense' && e.class_name !== 'InputLayer');
    const summary = act.map((e) => {
      const { name: _n, trainable: _t, dtype: _d, ...rest } = e.config;
      return [e.class_name, rest];
    });
    expect(summary).toEqual([
      ['Activation', { activation: 'linear' }],
      ['ReLU', { max_value: null, negative_slope: 0, threshold: 0 }],
      ['ReLU', { max_value: 6, negative_slope: 0, threshold: 0 }],
      ['LeakyReLU', { negative_slope: 0.2 }],
      ['Activation', { activation: 'elu' }],
      ['Activation', { activation: 'selu' }],
      ['Activation', { activation: 'sigmoid' }],
      ['Activation', { activation: 'tanh' }],
      ['Activation', { activation: 'silu' }],
      ['Activation', { activation: 'gelu' }],
      ['Softmax', { axis: -1 }],
      ['LeakyReLU', { negative_slope: 0.1 }],
    ]);
    expect(rt.configText).toContain('"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0');
    expect(Object.values(containersByLayer(rt.back)).filter((c) => c.startsWith('re_lu') || c.startsWith('leaky_re_lu'))).toEqual(['re_lu', 're_lu_1', 'leaky_re_lu', 'leaky_re_lu_1']);
    // Softmax's call() takes a mask, so Keras records it in the node.
    expect(act.find((e) => e.class_name === 'Softmax')!.inbound_nodes[0].kwargs).toEqual({ mask: null });
  });
});

describe('presets and grown networks', () => {
  it('the reference CNN: Keras container names in model.layers order, normalisation inside the model', async () => {
    const graph = referenceCnn([16, 16, 1], 5);
    const spec = imageSpec(16, 16, 1, 5);
    const rt = await roundTrip(graph, spec);
    expectFaithful(rt);
    expect(containersByLayer(rt.back)).toEqual({
      input: 'input_layer',
      normalization: 'normalization',
      conv2d_1: 'conv2d',
      batchNorm_1: 'batch_normalization',
      activation_1: 're_lu',
      maxPool2d_1: 'max_pooling2d',
      conv2d_2: 'conv2d_1',
      batchNorm_2: 'batch_normalization_1',
      activation_2: 're_lu_1',
      maxPool2d_2: 'max_pooling2d_1',
      conv2d_3: 'conv2d_2',
      batchNorm_3: 'batch_normalization_2',
      activation_3: 're_lu_2',
      globalAvgPool_1: 'global_average_pooling2d',
      dense_1: 'dense',
    });
    expect(rt.back.h5Tree).toEqual(
      expect.arrayContaining([
        'layers/conv2d/vars/0 [3,3,1,32] float32',
        'layers/conv2d_1/vars/0 [3,3,32,64] float32',
        'layers/batch_normalization/vars/0 [32] float32',
        'layers/batch_normalization/vars/3 [32] float32',
        'layers/dense/vars/1 [5] float32',
        'layers/normalization/vars',
      ]),
    );
    // The Normalization layer holds mean and variance = std² in its config, so its weights group is empty.
    const norm = configLayers(rt.back).find((e) => e.class_name === 'Normalization')!;
    expect(norm.config).toMatchObject({ axis: [-1], invert: false, mean: spec.mean, variance: spec.std.map((s) => s * s) });
    expect(norm.build_config).toEqual({ input_shape: [null, 16, 16, 1] });
    expect(rt.back.h5Tree.filter((l) => l.startsWith('layers/normalization/'))).toEqual(['layers/normalization/vars']);
    expect(rt.back.normalization).toEqual([{ layer: 'normalization', input: 'input', mean: spec.mean, variance: spec.std.map((s) => s * s) }]);
    // The first convolution reads the normalised pixels, the input layer takes raw 0–255 values.
    const conv = configLayers(rt.back).find((e) => e.name === 'conv2d_1')!;
    expect((conv.inbound_nodes[0].args[0] as TensorRef).config.keras_history).toEqual(['normalization', 0, 0]);
    const bn = configLayers(rt.back).find((e) => e.class_name === 'BatchNormalization')!;
    expect(bn.config).toMatchObject({ axis: -1, momentum: 0.9, epsilon: 0.001, center: true, scale: true });
    expect(bn.inbound_nodes[0].kwargs).toEqual({ mask: null });
  });

  it('Keras orders layers by depth from the output, not by the IR order', async () => {
    // The add takes the projection first, so a depth-first walk from the output meets conv2d_3 before conv2d_2.
    const b = new GraphBuilder();
    const x = b.input([8, 8, 3]);
    const c1 = b.conv2d(x, 4, 3);
    const c2 = b.conv2d(c1, 4, 3);
    const proj = b.conv2d(x, 4, 1);
    const graph = b.build(b.dense(b.globalAvgPool(b.addLayers([proj, c2])), 3, 'softmax'));
    const rt = await roundTrip(graph);
    expectFaithful(rt);
    expect(configLayers(rt.back).map((e) => e.name)).toEqual(['input', 'normalization', 'conv2d_1', 'conv2d_3', 'conv2d_2', 'add_1', 'globalAvgPool_1', 'dense_1']);
    expect(containersByLayer(rt.back)).toMatchObject({ conv2d_1: 'conv2d', conv2d_3: 'conv2d_1', conv2d_2: 'conv2d_2', add_1: 'add' });
    expect(rt.back.h5Tree).toContain('layers/conv2d_1/vars/0 [1,1,3,4] float32');
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`random image graph ${seed} (add and concat skips)`, async () => {
      expectFaithful(await roundTrip(randomImageGraph(seed), imageSpec(12, 12, 3, 3), seed));
    });
  }

  it('a network grown by skips, a branch and a deeper block, and random morphism chains', async () => {
    const b = new GraphBuilder();
    let x = b.input([10, 10, 3]);
    x = b.convBnRelu(x, 6);
    const a = x;
    x = b.activation(b.batchNorm(b.separableConv2d(x, 6, 3, { useBias: false })), 'relu');
    x = b.maxPool2d(b.activation(b.addLayers([x, a]), 'relu'));
    x = b.convBnRelu(x, 8);
    x = b.activation(b.depthwiseConv2d(x, 3, { depthMultiplier: 2 }), 'relu');
    x = b.flatten(b.avgPool2d(x, 2));
    const base = b.build(b.dense(b.activation(b.dense(x, 10), 'relu'), 4, 'softmax'));
    const start = (seed: number): ModelState => ({ graph: base, weights: modelWeights(base, seed) });
    const spec = imageSpec(10, 10, 3, 4);

    let state: ModelState = start(7);
    state = concatSkip(state, 'activation_3', 'activation_4');
    state = addSkip(state, 'activation_1', 'activation_3');
    state = branchConv(state, 'conv2d_2');
    state = deeperConvBlock(state, 'activation_1', 5, true);
    expectFaithful(await roundTrip(state.graph, spec, 7, state.weights));

    for (const chain of [0, 1, 2]) {
      const rng = makeRandom(500 + chain);
      let s = start(chain);
      for (let k = 0; k < 5; k++) s = randomMorph(s, rng);
      expectFaithful(await roundTrip(s.graph, spec, chain, s.weights));
    }
  });

  it('text: int32 token ids straight into the embedding, no normalisation', async () => {
    const graph = textCnn(12, 30, 2);
    const rt = await roundTrip(graph, textSpec(12, 30, 2));
    expectFaithful(rt);
    const input = configLayers(rt.back)[0];
    expect(input.config).toEqual({ batch_shape: [null, 12], dtype: 'int32', sparse: false, name: 'tokens' });
    expect(configLayers(rt.back).some((e) => e.class_name === 'Normalization')).toBe(false);
    expect(containersByLayer(rt.back)).toMatchObject({ tokens: 'input_layer', embedding_1: 'embedding', conv1d_1: 'conv1d', activation_1: 're_lu', globalMaxPool_1: 'global_max_pooling1d' });
    expect(rt.back.h5Tree).toContain('layers/embedding/vars/0 [30,64] float32');
  });

  it('tables: the encoded float row, batch norm on dense layers', async () => {
    const graph = mlp([7], 3);
    const rt = await roundTrip(graph, tableSpec(7, 3));
    expectFaithful(rt);
    expect(configLayers(rt.back)[0].config).toMatchObject({ batch_shape: [null, 7], dtype: 'float32' });
    expect(containersByLayer(rt.back)).toMatchObject({ dense_1: 'dense', batchNorm_1: 'batch_normalization', dense_3: 'dense_2' });
  });
});

describe('config.json, metadata.json and the zip', () => {
  const graph = (() => {
    const b = new GraphBuilder();
    let x = b.input([8, 8, 3]);
    x = b.concat([b.convBnRelu(x, 4), x]);
    x = b.dropout(b.globalAvgPool(x), 0.5);
    return b.build(b.dense(x, 3, 'softmax'));
  })();

  it('writes the keys Keras 3.6 writes, in its order, as Python json.dumps formats them', async () => {
    const rt = await roundTrip(graph, imageSpec(8, 8, 3, 3));
    const keys = Object.fromEntries(configLayers(rt.back).map((e) => [e.class_name, Object.keys(e.config)]));
    const base = ['name', 'trainable', 'dtype'];
    expect(keys).toEqual({
      InputLayer: ['batch_shape', 'dtype', 'sparse', 'name'],
      Normalization: [...base, 'axis', 'invert', 'mean', 'variance'],
      Conv2D: [...base, 'filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'],
      BatchNormalization: [...base, 'axis', 'momentum', 'epsilon', 'center', 'scale', 'beta_initializer', 'gamma_initializer', 'moving_mean_initializer', 'moving_variance_initializer', 'beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint', 'synchronized'],
      ReLU: [...base, 'max_value', 'negative_slope', 'threshold'],
      Concatenate: [...base, 'axis'],
      GlobalAveragePooling2D: [...base, 'data_format', 'keepdims'],
      Dropout: [...base, 'rate', 'seed', 'noise_shape'],
      Dense: [...base, 'units', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'kernel_constraint', 'bias_constraint'],
    });
    const entries = configLayers(rt.back);
    // build_config only for layers built on their first call; the merge layer's is a list of shapes.
    expect(Object.fromEntries(entries.map((e) => [e.class_name, e.build_config ?? null]))).toMatchObject({
      InputLayer: null,
      ReLU: null,
      GlobalAveragePooling2D: null,
      Dropout: null,
      Conv2D: { input_shape: [null, 8, 8, 3] },
      Concatenate: { input_shape: [[null, 8, 8, 4], [null, 8, 8, 3]] },
      Dense: { input_shape: [null, 7] },
    });
    // Keras 3.6 records Dropout's training=False default in its node.
    expect(entries.find((e) => e.class_name === 'Dropout')!.inbound_nodes[0].kwargs).toEqual({ training: false });
    // Every layer holds the one global DTypePolicy; Keras marks its second and later copies as shared.
    const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
    expect(entries[1].config.dtype).toEqual(policy);
    for (const e of entries.slice(2)) expect(e.config.dtype).toEqual({ ...policy, shared_object_id: 1 });
    const conv = entries.find((e) => e.class_name === 'Conv2D')!;
    expect(conv.config.kernel_initializer).toEqual({ module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null });
    // A single input and output, as 3.6 writes them: a list of one [name, 0, 0].
    const inner = (rt.back.config as { config: Record<string, unknown> }).config;
    expect(inner.input_layers).toEqual([['input', 0, 0]]);
    expect(inner.output_layers).toEqual([['dense_1', 0, 0]]);
    expect(Object.keys(inner)).toEqual(['name', 'trainable', 'layers', 'input_layers', 'output_layers']);
    expect(rt.configText.startsWith('{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "functional", "trainable": true, "layers": [')).toBe(true);
    expect(rt.configText).toContain('"momentum": 0.9, "epsilon": 0.001,');
    expect(rt.configText).toContain('"rate": 0.5, "seed": null, "noise_shape": null}');
    // An uncompiled 3.6 model has no compile_config.
    expect(rt.configText.endsWith('"registered_name": "Functional", "build_config": {"input_shape": null}}')).toBe(true);
    expect(JSON.parse(rt.metadataText)).toEqual({ keras_version: '3.6.0', date_saved: expect.stringMatching(/^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/) });
    expect(rt.metadataText.startsWith('{"keras_version": "3.6.0", "date_saved": "')).toBe(true);
  });

  it('other Keras versions get the keys their release writes', () => {
    const input = { graph, preprocess: imageSpec(8, 8, 3, 3) };
    const at = (v: string) => {
      const m = buildKeras3Model(input, { kerasVersion: v });
      const byClass = Object.fromEntries(m.config.config.layers.map((e) => [e.class_name, e]));
      return { m, byClass };
    };
    const v313 = at('3.13.0');
    expect(Object.keys(v313.byClass.InputLayer.config)).toEqual(['batch_shape', 'dtype', 'sparse', 'ragged', 'name', 'optional']);
    expect(v313.byClass.Dense.config).toHaveProperty('quantization_config', null);
    expect(v313.byClass.BatchNormalization.config).not.toHaveProperty('renorm');
    expect(v313.m.config.config.input_layers).toEqual(['input', 0, 0]);
    expect(v313.byClass.Dropout.inbound_nodes[0].kwargs).toEqual({ training: false });
    expect(v313.m.config.compile_config).toEqual({});
    expect(v313.byClass.Conv2D.config.kernel_initializer).toMatchObject({ config: { seed: null } });
    const v315 = at('3.15.1');
    expect(v315.byClass.Conv2D.config.kernel_initializer).toMatchObject({ config: { seed: null, input_axes: null, output_axes: null } });
    const v316 = at('3.16.0');
    expect(v316.byClass.BatchNormalization.config).toMatchObject({ renorm: false, renorm_clipping: null, renorm_momentum: 0.99 });
    expect(v316.byClass.Dropout.inbound_nodes[0].kwargs).toEqual({});
    expect(Object.keys(at('3.9.2').byClass.InputLayer.config)).toEqual(['batch_shape', 'dtype', 'sparse', 'ragged', 'name']);
    expect(at('3.9.2').m.config).not.toHaveProperty('compile_config');
    expectNetSproutError(() => kerasDialect('3.5.0'), 'EXPORT_KERAS_VERSION');
    expectNetSproutError(() => kerasDialect('2.15.0'), 'EXPORT_KERAS_VERSION');
  });

  it('writes metadata for the requested version, and the reader reads 3.13 configs too', async () => {
    const file = path.join(dir, 'v313.keras');
    const weights = modelWeights(graph, 3);
    await writeKeras3({ graph, weights, preprocess: imageSpec(8, 8, 3, 3) }, file, { kerasVersion: '3.13.0' });
    const back = await readKeras3(file);
    expect(back.metadata.keras_version).toBe('3.13.0');
    expect(canonical(back.graph)).toEqual(canonical(graph));
    for (const [id, arrays] of weights) arrays.forEach((a, i) => expect(sameBits(a, back.weights.get(id)![i])).toBe(true));
  });

  it('the zip stores every member uncompressed, in Keras order', async () => {
    const file = path.join(dir, 'stored.keras');
    await writeKeras3({ graph, weights: modelWeights(graph, 2), preprocess: imageSpec(8, 8, 3, 3) }, file);
    const bytes = new Uint8Array(await readFile(file));
    // Walk the central directory: compression method 0 (stored) for every entry.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let eocd = bytes.length - 22;
    while (view.getUint32(eocd, true) !== 0x06054b50) eocd--;
    let p = view.getUint32(eocd + 16, true);
    const entries: Array<[string, number]> = [];
    for (let i = 0; i < view.getUint16(eocd + 10, true); i++) {
      expect(view.getUint32(p, true)).toBe(0x02014b50);
      const nameLength = view.getUint16(p + 28, true);
      entries.push([strFromU8(bytes.subarray(p + 46, p + 46 + nameLength)), view.getUint16(p + 10, true)]);
      p += 46 + nameLength + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
    }
    expect(entries).toEqual([['metadata.json', 0], ['config.json', 0], ['model.weights.h5', 0]]);
  });

  it('ids that are not valid Keras names are renamed, recorded in metadata.json and read back', async () => {
    const b = new GraphBuilder();
    const x = b.input([6], 'float32', 'raw input');
    const h = b.add('dense', { units: 4, useBias: true, activation: 'relu' }, [x], 'dense/1');
    const h2 = b.add('dense', { units: 4, useBias: true, activation: 'relu' }, [h], 'dense_1');
    const h3 = b.add('activation', { fn: 'relu' }, [b.addLayers([h, h2])], '_relu');
    const g = b.build(b.add('dense', { units: 2, useBias: true, activation: 'softmax' }, [h3], 'out'));
    const rt = await roundTrip(g, tableSpec(6, 2));
    expectFaithful(rt);
    const names = configLayers(rt.back).map((e) => e.name);
    expect(names).toEqual(['raw_input', 'dense_1_1', 'dense_1', 'add_1', 'layer_relu', 'out']);
    expect(JSON.parse(rt.metadataText).netsprout_layer_ids).toEqual({ raw_input: 'raw input', dense_1_1: 'dense/1', layer_relu: '_relu' });
    expect(sanitiseLayerName('conv2d_1')).toBe('conv2d_1');
  });

  it('leaves no temporary files behind', async () => {
    const before = (await readdir(os.tmpdir())).filter((n) => n.startsWith('netsprout-keras-')).length;
    await roundTrip(graph, imageSpec(8, 8, 3, 3));
    const after = (await readdir(os.tmpdir())).filter((n) => n.startsWith('netsprout-keras-')).length;
    expect(after).toBe(before);
  });
});

describe('refusals', () => {
  const b = new GraphBuilder();
  const x = b.input([8, 8, 3]);
  const graph = b.build(b.dense(b.globalAvgPool(b.conv2d(x, 4, 3)), 3, 'softmax'));

  it('missing or misshapen weights, a wrong extension, preprocessing that does not fit', async () => {
    const weights = modelWeights(graph, 1);
    const spec = imageSpec(8, 8, 3, 3);
    const noConv = new Map(weights);
    noConv.delete('conv2d_1');
    await expectRejects(writeKeras3({ graph, weights: noConv, preprocess: spec }, path.join(dir, 'a.keras')), 'EXPORT_WEIGHTS_MISSING');
    const short = new Map(weights);
    short.set('dense_1', [weights.get('dense_1')![0].subarray(1), weights.get('dense_1')![1]]);
    await expectRejects(writeKeras3({ graph, weights: short, preprocess: spec }, path.join(dir, 'b.keras')), 'EXPORT_WEIGHTS_SHAPE');
    await expectRejects(writeKeras3({ graph, weights, preprocess: spec }, path.join(dir, 'c.h5')), 'EXPORT_KERAS_EXTENSION');
    await expectRejects(writeKeras3({ graph, weights, preprocess: imageSpec(8, 8, 1, 3) }, path.join(dir, 'd.keras')), 'EXPORT_PREPROCESS_MISMATCH');
    await expectRejects(writeKeras3({ graph, weights, preprocess: tableSpec(4, 3) }, path.join(dir, 'e.keras')), 'EXPORT_PREPROCESS_MISMATCH');
  });

  it('strides with dilation, which Keras convolutions refuse', () => {
    const b2 = new GraphBuilder();
    const g = b2.build(b2.dense(b2.flatten(b2.conv2d(b2.input([9, 9, 1]), 2, 3, { strides: [2, 2], dilation: [2, 2], padding: 'valid' })), 2));
    expectNetSproutError(() => buildKeras3Model({ graph: g, preprocess: imageSpec(9, 9, 1, 2) }), 'EXPORT_KERAS_STRIDED_DILATION');
  });

  it('the reader refuses what is not a .keras file', async () => {
    const file = path.join(dir, 'not-a-zip.keras');
    await writeFile(file, 'hello');
    await expectRejects(readKeras3(file), 'KERAS_NOT_ZIP');
  });
});

describe('naming and JSON helpers', () => {
  it('snake-cases class names with Keras regex', () => {
    const cases: Record<string, string> = {
      InputLayer: 'input_layer',
      Conv2D: 'conv2d',
      SeparableConv2D: 'separable_conv2d',
      DepthwiseConv2D: 'depthwise_conv2d',
      BatchNormalization: 'batch_normalization',
      ReLU: 're_lu',
      LeakyReLU: 'leaky_re_lu',
      GlobalAveragePooling2D: 'global_average_pooling2d',
      GlobalMaxPooling1D: 'global_max_pooling1d',
      MaxPooling2D: 'max_pooling2d',
      AveragePooling1D: 'average_pooling1d',
      Normalization: 'normalization',
      Embedding: 'embedding',
    };
    for (const [cls, snake] of Object.entries(cases)) expect(toSnakeCase(cls)).toBe(snake);
  });

  it('formats numbers like Python repr and strings like json.dumps(ensure_ascii=True)', () => {
    expect([1e-5, 0.001, 6, 0.99, 1e16, 123.5, -0, 0.1 + 0.2, 1e-4, 2.5e-7].map(pythonFloatRepr)).toEqual(['1e-05', '0.001', '6.0', '0.99', '1e+16', '123.5', '-0.0', '0.30000000000000004', '0.0001', '2.5e-07']);
    expect(pythonJsonDumps({ a: [1, 2.5, null, true], b: 'é"\n', epsilon: 1 }, new Set(['epsilon']))).toBe('{"a": [1, 2.5, null, true], "b": "\\u00e9\\"\\n", "epsilon": 1.0}');
    expect(kerasDateSaved(new Date(2025, 0, 31, 14, 5, 9))).toBe('2025-01-31@14:05:09');
  });
});
