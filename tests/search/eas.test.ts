import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { mlp, smallCnn, textCnn } from '../../engine/graph/presets.js';
import { checkState } from '../../engine/morph/modelState.js';
import { net2wider } from '../../engine/morph/net2wider.js';
import { net2widerNoisy } from '../../engine/morph/noisyWider.js';
import { Eas } from '../../engine/search/eas/eas.js';
import { applyDeeper, applyWider, DEEPER_KERNELS, easView } from '../../engine/search/eas/easSpace.js';
import { MetaController, shapedReward, type DeeperStep, type WiderStep } from '../../engine/search/eas/metaController.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { driveStrategy, fingerprint } from '../helpers/fakeSearch.js';
import { maxAbsDiff, outputsOf, trainedLookingState } from '../helpers/modelStates.js';

beforeAll(async () => {
  await initBackend();
});

const rng = makeRandom(11);
const images = (n: number) => tf.tensor4d(Float32Array.from({ length: n * 144 }, () => rng.normal()), [n, 12, 12, 1]);

describe('EAS actions', () => {
  it('Net2Wider with noise keeps the function exactly while the copies get different outgoing weights', () => {
    const parent = trainedLookingState(smallCnn([12, 12, 1], 4), 1);
    const x = images(4);
    const noisy = net2widerNoisy(parent, 'conv2d_1', 32, makeRandom(2));
    const plain = net2wider(parent, 'conv2d_1', 32, makeRandom(2));
    checkState(noisy);
    expect(maxAbsDiff(outputsOf(parent, x), outputsOf(noisy, x))).toBeLessThan(1e-4);
    // Same replication as plain Net2Wider, but the reader's weights of the copies now differ.
    expect(noisy.weights.get('conv2d_1')![0]).toEqual(plain.weights.get('conv2d_1')![0]);
    const a = noisy.weights.get('conv2d_2')![0];
    const b = plain.weights.get('conv2d_2')![0];
    expect(maxAbsDiff(a, b)).toBeGreaterThan(0);
    // Dense readers (after global pooling) too.
    const dense = net2widerNoisy(parent, 'conv2d_2', 64, makeRandom(3));
    expect(maxAbsDiff(outputsOf(parent, x), outputsOf(dense, x))).toBeLessThan(1e-4);
    x.dispose();
  });

  it('Net2Deeper inserts identity convolutions (kernel 1, 3, 5) in any block and dense layers after the pooling, keeping the function', () => {
    const x = images(3);
    let state = trainedLookingState(smallCnn([12, 12, 1], 4), 4);
    const view = easView(state.graph);
    expect(view.blocks.map((b) => [b.points.length, b.dense])).toEqual([[1, false], [1, false], [1, true]]);
    for (const [block, kernel] of [[0, 1], [1, 3], [0, 5], [2, 1]] as const) {
      const next = applyDeeper(state, easView(state.graph), block, 0, kernel);
      checkState(next);
      expect(maxAbsDiff(outputsOf(state, x), outputsOf(next, x))).toBeLessThan(1e-4);
      state = trainedLookingState(next.graph, 5 + block + kernel);
    }
    const widened = applyWider(state, easView(state.graph), easView(state.graph).widen.map(() => true), makeRandom(1));
    expect(maxAbsDiff(outputsOf(state, x), outputsOf(widened.state, x))).toBeLessThan(1e-4);
    expect(widened.records.length).toBeGreaterThan(2);
    x.dispose();
    // Text and tables have blocks too.
    expect(easView(textCnn(20, 30, 2)).blocks.length).toBeGreaterThan(0);
    expect(easView(mlp([6], 3)).blocks).toEqual([{ points: ['activation_1', 'activation_2'], dense: true }]);
  });
});

describe('EAS meta-controller', () => {
  it('shapes rewards as tan(acc·π/2)', () => {
    expect(shapedReward(0.5)).toBeCloseTo(1, 10);
    expect(shapedReward(0.91) - shapedReward(0.9)).toBeGreaterThan(10 * (shapedReward(0.61) - shapedReward(0.6)));
    expect(Number.isFinite(shapedReward(1))).toBe(true);
  });

  it('REINFORCE moves the policy toward the rewarded actions', () => {
    const view = easView(smallCnn([12, 12, 1], 4));
    const mask = view.widen.map((w) => w !== null);
    const controller = new MetaController(1);
    const widenFirst: WiderStep = { type: 'wider', tokens: view.tokens, mask, decisions: mask.map((m, i) => m && i === 0) };
    const widenNone: WiderStep = { ...widenFirst, decisions: mask.map(() => false) };
    const sizes = view.blocks.map((b) => b.points.length).concat([0, 0]);
    const dense = view.blocks.map((b) => b.dense).concat([false, false]);
    const k5: DeeperStep = { type: 'deeper', tokens: view.tokens, blockSizes: sizes, blockDense: dense, block: 1, index: 0, kernel: 2 };
    const k1: DeeperStep = { ...k5, kernel: 0 };
    const before = [controller.widenProbabilities(view.tokens)[0], controller.probability(k5)];
    for (let i = 0; i < 15; i++) {
      controller.update([
        { steps: [widenFirst, k5], accuracy: 0.9 },
        { steps: [widenNone, k1], accuracy: 0.6 },
      ]);
    }
    // Widening the first layer was rewarded: its probability rises (the classifier is shared by all layers).
    expect(controller.widenProbabilities(view.tokens)[0]).toBeGreaterThan(before[0] + 0.15);
    expect(controller.probability(k5)).toBeGreaterThan(before[1] * 1.5);
    expect(controller.baseline).toBeGreaterThan(shapedReward(0.6));
    // Sampling follows the policy: the rewarded kernel is now drawn most often.
    const draws = Array.from({ length: 30 }, (_, i) => controller.sampleDeeper(view.tokens, sizes, dense, makeRandom(i)));
    expect(draws.filter((d) => d.block === 1 && d.kernel === 2).length).toBeGreaterThan(10);
    controller.dispose();
  });
});

describe('EAS search', () => {
  it('proposes deterministic generations from the stage start, and a resumed job rebuilds them from the saved actions', async () => {
    const seed = smallCnn([12, 12, 1], 4);
    const params = { epochSeed: 1, epochChild: 1, batch: 3, widerSteps: 1, deeperSteps: 2, stageSize: 6 };
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-eas-'));
    const a = await driveStrategy(new Eas(params), seed, { generations: 4, services: { stateDir } });
    expect(a.generations.map((g) => g.length)).toEqual([1, 3, 3, 3]);
    for (const p of a.generations[1]) expect(p.parentId).toBe('e0');
    expect(existsSync(path.join(stateDir, 'eas-generation-2.json'))).toBe(true);
    expect(existsSync(path.join(stateDir, 'eas-controller.json'))).toBe(true);
    const fresh = await driveStrategy(new Eas(params), seed, { generations: 4, services: { stateDir: await mkdtemp(path.join(os.tmpdir(), 'netsprout-eas-')) } });
    expect(fingerprint(fresh.generations)).toBe(fingerprint(a.generations));
    const resumed = await driveStrategy(new Eas(params), seed, { generations: 4, services: { stateDir } });
    expect(fingerprint(resumed.generations)).toBe(fingerprint(a.generations));
    // After stageSize networks, the next stage starts from the best.
    const longer = await driveStrategy(new Eas(params), seed, { generations: 5 });
    const best = longer.results.slice(0, 7).reduce((x, y) => (y.accuracy > x.accuracy ? y : x));
    expect(longer.generations[4].every((p) => p.parentId === best.id)).toBe(best.id !== 'e0');
    expect(DEEPER_KERNELS).toEqual([1, 3, 5]);
  });
});
