import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { mlp, textCnn } from '../../engine/graph/presets.js';
import type { Graph } from '../../engine/graph/types.js';
import {
  addSkip,
  applicableMorphs,
  branchConv,
  checkState,
  concatSkip,
  deeperConvBlock,
  deeperDense,
  MorphError,
  morphFamily,
  net2wider,
  randomMorph,
  takeByFamily,
  widenKernel,
  type ModelState,
  type MorphResult,
} from '../../engine/morph/index.js';
import { makeRandom, type SeededRandom } from '../../engine/train/seededRandom.js';
import { branchyImageNet } from '../helpers/randomGraphs.js';
import { outputsOf as outputs, trainedLookingState as stateOf } from '../helpers/modelStates.js';

function expectSameFunction(parent: ModelState, child: MorphResult, x: tf.Tensor) {
  checkState(child);
  const a = outputs(parent, x);
  const b = outputs(child, x);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  expect(max, `${child.record.op} changed the outputs by ${max}`).toBeLessThan(1e-4);
}

const rng = makeRandom(77);
const images = () => tf.tensor4d(Float32Array.from({ length: 5 * 12 * 12 * 3 }, () => rng.normal()), [5, 12, 12, 3]);
const tokens = () => tf.tensor2d(Int32Array.from({ length: 4 * 20 }, () => rng.int(50)), [4, 20], 'int32');
const rows = () => tf.tensor2d(Float32Array.from({ length: 6 * 9 }, () => rng.normal()), [6, 9]);

// The cases below build models while the tests are collected.
await initBackend();

describe('each morphism keeps the function (inference mode)', () => {
  const parent = stateOf(branchyImageNet(12), 1);
  const x = images();
  const cases: Array<[string, (r: SeededRandom) => MorphResult]> = [
    ['deeper: Conv3-BN-ReLU after a ReLU', () => deeperConvBlock(parent, 'activation_1', 3)],
    ['deeper: Conv5-BN-ReLU after a ReLU', () => deeperConvBlock(parent, 'activation_4', 5)],
    ['deeper: SepConv-BN-ReLU after a ReLU', () => deeperConvBlock(parent, 'activation_3', 3, true)],
    ['deeper: identity dense after a ReLU', () => deeperDense(parent, 'activation_6')],
    ['deeper: identity dense after flatten', () => deeperDense(parent, 'flatten_1')],
    ['wider: conv2d through BN, pooling, depthwise and flatten', (r) => net2wider(parent, 'conv2d_2', 13, r)],
    ['wider: conv2d and separable conv joined by an add (effective area)', (r) => net2wider(parent, 'conv2d_1', 11, r)],
    ['wider: separable conv (its add partner widened with it)', (r) => net2wider(parent, 'separableConv2d_1', 9, r)],
    ['wider: dense', (r) => net2wider(parent, 'dense_1', 17, r)],
    ['skip: add, same resolution', () => addSkip(parent, 'activation_1', 'activation_3')],
    ['skip: add, pooled to a lower resolution', () => addSkip(parent, 'activation_1', 'activation_4')],
    ['skip: concat, pooled', () => concatSkip(parent, 'activation_3', 'activation_4')],
    ['kernel widening 3 → 5', () => widenKernel(parent, 'conv2d_2')],
    ['kernel widening of a separable conv', () => widenKernel(parent, 'separableConv2d_1')],
    ['branch a conv into two', () => branchConv(parent, 'conv2d_2')],
  ];
  for (const [name, morph] of cases) {
    it(name, () => {
      expectSameFunction(parent, morph(makeRandom(3)), x);
    });
  }

  it('text model: wider conv1d and dense, deeper dense', () => {
    const t = stateOf(textCnn(20, 50, 3), 2);
    const x = tokens();
    expectSameFunction(t, net2wider(t, 'conv1d_1', 96, makeRandom(1)), x);
    expectSameFunction(t, deeperDense(t, 'globalMaxPool_1'), x);
  });

  it('table model: wider dense through batch norm, deeper dense', () => {
    const m = stateOf(mlp([9], 3, [16, 8]), 3);
    const x = rows();
    expectSameFunction(m, net2wider(m, 'dense_1', 24, makeRandom(1)), x);
    expectSameFunction(m, net2wider(m, 'dense_2', 12, makeRandom(2)), x);
    expectSameFunction(m, deeperDense(m, 'activation_2'), x);
  });

  it('refuses what it cannot do exactly, with a reason', () => {
    expect(() => net2wider(parent, 'dense_2', 8, makeRandom(1))).toThrow(MorphError);
    expect(() => deeperConvBlock(parent, 'batchNorm_1', 3)).toThrow(/after a ReLU/);
    expect(() => net2wider(parent, 'conv2d_2', 4, makeRandom(1))).toThrow(/already has 8 channels/);
    expect(() => concatSkip(parent, 'activation_1', 'activation_2')).toThrow(/add/);
  });
});

describe('random chains of five morphisms keep the function', () => {
  const models: Array<[string, Graph, () => tf.Tensor]> = [
    ['images', branchyImageNet(12), images],
    ['text', textCnn(20, 50, 3), tokens],
    ['tables', mlp([9], 3, [16, 8]), rows],
  ];
  for (const [name, graph, input] of models) {
    it(name, () => {
      const x = input();
      for (let chain = 0; chain < 16; chain++) {
        const r = makeRandom(100 + chain);
        const start = stateOf(graph, chain);
        let state: ModelState = start;
        const ops: string[] = [];
        for (let k = 0; k < 5; k++) {
          const next = randomMorph(state, r);
          ops.push(next.record.op);
          state = next;
        }
        expectSameFunction(start, { ...state, record: { op: ops.join(' → ') } }, x);
      }
      expect(applicableMorphs(stateOf(graph, 0)).length).toBeGreaterThan(0);
    });
  }
});

describe('drawing a morphism family first (Auto-Keras transform)', () => {
  it('gives deeper, wider and skip the same share of draws however many places each applies to', () => {
    // A deeper chain: the pairs of layers a skip can join (and the convolutions a branch can split) outnumber the places
    // to deepen or widen it, so a uniform draw among all candidates would pick a skip most of the time.
    let state = stateOf(branchyImageNet(12), 3);
    const r = makeRandom(5);
    for (let k = 0; k < 4; k++) state = applicableMorphs(state).find((o) => o.op === 'deeper-conv')!.apply(r);
    const options = applicableMorphs(state);
    const count = (f: string) => options.filter((o) => morphFamily(o.op) === f).length;
    expect(count('skip')).toBeGreaterThan(count('deeper') + count('wider'));
    const drawn = { deeper: 0, wider: 0, skip: 0 };
    for (let i = 0; i < 3000; i++) drawn[morphFamily(takeByFamily([...options], r).op)]++;
    for (const f of ['deeper', 'wider', 'skip'] as const) expect(drawn[f] / 3000).toBeCloseTo(1 / 3, 1);
    // Taking removes: every candidate comes out once, and an empty list is an error.
    const left = [...options];
    const taken = new Set(Array.from({ length: options.length }, () => takeByFamily(left, r)));
    expect(taken.size).toBe(options.length);
    expect(() => takeByFamily(left, r)).toThrow(MorphError);
  });
});
