import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { GraphBuilder } from '../../engine/graph/builder.js';
import { graphMetrics } from '../../engine/graph/metrics.js';
import { mlp, smallCnn } from '../../engine/graph/presets.js';
import {
  addSkip,
  applicableShrinks,
  applyRecord,
  checkState,
  concatSkip,
  deeperConvBlock,
  MorphError,
  narrowLayer,
  randomMorph,
  randomShrink,
  removeLayer,
  removeMergeInput,
  separableFromConv,
  type ModelState,
  type MorphResult,
} from '../../engine/morph/index.js';
import { initialWeights } from '../../engine/hardware/measuredModel.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { branchyImageNet, randomImageGraph } from '../helpers/randomGraphs.js';
import { maxAbsDiff as maxDiff, outputsOf as outputs, trainedLookingState as stateOf } from '../helpers/modelStates.js';

await initBackend();

const rng = makeRandom(5);
const images = (side = 12, c = 3) => tf.tensor4d(Float32Array.from({ length: 4 * side * side * c }, () => rng.normal()), [4, side, side, c]);

/** A valid graph whose weights load into a model that gives finite probabilities. */
function expectValid(child: MorphResult, x: tf.Tensor): Float32Array {
  checkState(child);
  const y = outputs(child, x);
  expect(y.every((v) => Number.isFinite(v))).toBe(true);
  return y;
}

describe('shrinking operators', () => {
  it('removing an inserted identity block gives back the parent function and size', () => {
    const parent = stateOf(branchyImageNet(12), 1);
    const grown = deeperConvBlock(parent, 'activation_1', 3);
    const convId = grown.record.layers as string[];
    const shrunk = removeLayer(grown, convId[0]);
    const x = images();
    expect(maxDiff(outputs(parent, x), expectValid(shrunk, x))).toBeLessThan(1e-4);
    expect(graphMetrics(shrunk.graph).params).toBe(graphMetrics(parent.graph).params);
    expect(shrunk.record).toMatchObject({ op: 'remove-layer', layer: convId[0] });
    // The parent is untouched.
    expect(grown.graph.layers.some((l) => l.id === convId[0])).toBe(true);
  });

  it('refuses to remove a layer that changes the shape', () => {
    const parent = stateOf(smallCnn([12, 12, 1], 4), 1);
    expect(() => removeLayer(parent, 'conv2d_1')).toThrow(MorphError);
  });

  it('removing a zero-initialised add or concat skip keeps the function and drops the skip path', () => {
    const parent = stateOf(branchyImageNet(12), 2);
    const x = images();
    const withAdd = addSkip(parent, 'activation_1', 'activation_4');
    const addId = (withAdd.record.layers as string[]).at(-1)!;
    const noAdd = removeMergeInput(withAdd, addId, 1);
    expect(maxDiff(outputs(parent, x), expectValid(noAdd, x))).toBeLessThan(1e-4);
    expect(noAdd.graph.layers.map((l) => l.id).sort()).toEqual(parent.graph.layers.map((l) => l.id).sort());
    const withCat = concatSkip(parent, 'activation_3', 'activation_4');
    const catId = (withCat.record.layers as string[]).at(-1)!;
    const noCat = removeMergeInput(withCat, catId, 1);
    expect(maxDiff(outputs(parent, x), expectValid(noCat, x))).toBeLessThan(1e-4);
    expect(graphMetrics(noCat.graph).params).toBe(graphMetrics(parent.graph).params);
  });

  it('narrowing keeps the channels with the largest weights (exact when the others are zero)', () => {
    const b = new GraphBuilder();
    let h = b.input([8, 8, 2]);
    h = b.activation(b.conv2d(h, 8, 3, { useBias: false }), 'relu');
    h = b.activation(b.conv2d(h, 6, 3), 'relu');
    const parent = stateOf(b.build(b.dense(b.globalAvgPool(h), 3, 'softmax')), 3);
    // Channels 1, 4 and 6 of the first convolution have no weights: their outputs are always 0.
    const k = parent.weights.get('conv2d_1')![0];
    for (let i = 0; i < k.length; i++) if ([1, 4, 6].includes(i % 8)) k[i] = 0;
    const x = images(8, 2);
    const narrowed = narrowLayer(parent, 'conv2d_1', 5);
    expect(maxDiff(outputs(parent, x), expectValid(narrowed, x))).toBeLessThan(1e-5);
    expect(narrowed.graph.layers.find((l) => l.id === 'conv2d_1')).toMatchObject({ params: { filters: 5 } });
    expect(graphMetrics(narrowed.graph).params).toBeLessThan(graphMetrics(parent.graph).params);
    expect(() => narrowLayer(parent, 'conv2d_1', 8)).toThrow(/narrowing needs/);
  });

  it('narrowing a layer narrows the layers added to it (and batch norm, depthwise, flatten after it)', () => {
    const parent = stateOf(branchyImageNet(12), 4);
    const x = images();
    const a = narrowLayer(parent, 'conv2d_1', 4);
    expectValid(a, x);
    expect(a.record.together).toEqual(['separableConv2d_1']);
    const b = narrowLayer(parent, 'conv2d_2', 4);
    expectValid(b, x);
    expect(graphMetrics(b.graph).params).toBeLessThan(graphMetrics(parent.graph).params);
    const c = narrowLayer(stateOf(mlp([9], 3, [16, 8]), 1), 'dense_1', 8);
    expectValid(c, tf.tensor2d(Float32Array.from({ length: 18 }, () => rng.normal()), [2, 9]));
  });

  it('a separable convolution from a kernel of rank one per input channel computes the same function', () => {
    const parent = stateOf(branchyImageNet(12), 5);
    const k = parent.weights.get('conv2d_2')![0];
    // kernel[s, c, o] = a[s, c] · b[c, o]
    const taps = 9;
    const cin = 6;
    const cout = 8;
    const r = makeRandom(9);
    const a = Array.from({ length: taps * cin }, () => r.normal());
    const bb = Array.from({ length: cin * cout }, () => r.normal() * 0.3);
    for (let s = 0; s < taps; s++) for (let c = 0; c < cin; c++) for (let o = 0; o < cout; o++) k[(s * cin + c) * cout + o] = a[s * cin + c] * bb[c * cout + o];
    const x = images();
    const sep = separableFromConv(parent, 'conv2d_2');
    expect(maxDiff(outputs(parent, x), expectValid(sep, x))).toBeLessThan(1e-4);
    expect(sep.graph.layers.find((l) => l.id === 'conv2d_2')).toBeUndefined();
    expect(graphMetrics(sep.graph).params).toBeLessThan(graphMetrics(parent.graph).params);
    // A general kernel gives a valid, smaller network (not the same function).
    const general = separableFromConv(stateOf(branchyImageNet(12), 6), 'conv2d_1');
    expectValid(general, x);
  });

  it('every applicable shrink of random and grown networks gives a valid smaller-or-equal network whose weights load; records replay', () => {
    const x = images();
    let applied = 0;
    const ops = new Set<string>();
    for (let seed = 0; seed < 10; seed++) {
      let state = stateOf(randomImageGraph(seed), seed);
      const r = makeRandom(seed);
      for (let k = 0; k < 3; k++) state = randomMorph(state, r);
      const before = graphMetrics(state.graph);
      for (const candidate of applicableShrinks(state)) {
        let child: MorphResult;
        try {
          child = candidate.apply(makeRandom(seed));
        } catch (e) {
          expect(e).toBeInstanceOf(MorphError);
          continue;
        }
        checkState(child);
        applied++;
        ops.add(child.record.op);
        const after = graphMetrics(child.graph);
        expect(after.params).toBeLessThanOrEqual(before.params);
        expect(after.macs).toBeLessThanOrEqual(before.macs);
        // The record rebuilds the same graph.
        expect(applyRecord(state, child.record, makeRandom(1)).graph).toEqual(child.graph);
      }
      expectValid(randomShrink(state, r), x);
    }
    expect(applied).toBeGreaterThan(50);
    expect([...ops].sort()).toEqual(['narrow', 'remove-input', 'remove-layer', 'sepconv']);
  });

  it('long random chains of growing and shrinking operators always give valid graphs whose weights fit', () => {
    let steps = 0;
    for (let seed = 0; seed < 250; seed++) {
      const r = makeRandom(seed);
      const seedGraph = smallCnn([12, 12, 1], 4);
      let state: ModelState = { graph: seedGraph, weights: initialWeights(seedGraph) };
      for (let k = 0; k < 25; k++) {
        let next: MorphResult;
        try {
          next = r.next() < 0.6 ? randomShrink(state, r) : randomMorph(state, r);
        } catch (e) {
          expect(e).toBeInstanceOf(MorphError);
          continue;
        }
        checkState(next);
        steps++;
        state = next;
      }
    }
    expect(steps).toBeGreaterThan(3000);
  });
});
