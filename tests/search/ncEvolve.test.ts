import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { smallCnn, textCnn } from '../../engine/graph/presets.js';
import { checkState, type ModelState } from '../../engine/morph/modelState.js';
import { NCEvolve } from '../../engine/search/ncEvolve.js';
import { applyCellMutation, cellCount, cellSignature, neuroCellTemplate, randomCellMutation } from '../../engine/search/neuroCells.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { driveStrategy, fingerprint } from '../helpers/fakeSearch.js';
import { maxAbsDiff, outputsOf, trainedLookingState } from '../helpers/modelStates.js';

beforeAll(async () => {
  await initBackend();
});

function expectCellsIdentical(state: ModelState) {
  const n = cellCount(state.graph);
  expect(n).toBeGreaterThan(1);
  for (let k = 1; k < n; k++) expect(cellSignature(state.graph, k)).toBe(cellSignature(state.graph, 0));
}

describe('NCEvolve cells', () => {
  it('starts with identical one-convolution cells and mutates every cell alike, keeping the function (images)', () => {
    const rng = makeRandom(3);
    let state = trainedLookingState(neuroCellTemplate(smallCnn([12, 12, 1], 4)), 1);
    expectCellsIdentical(state);
    const x = tf.tensor4d(Float32Array.from({ length: 4 * 144 }, () => rng.normal()), [4, 12, 12, 1]);
    const ops = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const before = outputsOf(state, x);
      const m = randomCellMutation(state, rng);
      ops.add(String(m.record.op));
      checkState(m.state);
      expectCellsIdentical(m.state);
      expect(maxAbsDiff(before, outputsOf(m.state, x)), String(m.record.op)).toBeLessThan(1e-4);
      state = trainedLookingState(m.state.graph, 10 + i);
    }
    expect(ops.size).toBeGreaterThan(2);
    x.dispose();
  });

  it('applies each kind of mutation to every cell (images and text)', () => {
    const rng = makeRandom(4);
    const image = trainedLookingState(neuroCellTemplate(smallCnn([12, 12, 1], 3)), 2);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 144 }, () => rng.normal()), [2, 12, 12, 1]);
    const cases = [
      { kind: 'insert-conv', at: 'relu', inCells: true, kernel: 3, separable: true, linear: false },
      { kind: 'insert-conv', at: 'conv', inCells: true, kernel: 3, separable: false, linear: true },
      { kind: 'branch-insert', at: 'conv', inCells: true, kernel: 3, separable: false, branch: 1 },
      { kind: 'insert-skip', at: 'relu', inCells: true, kernel: 3, separable: false },
      { kind: 'alter-filters', at: 'conv', inCells: true, factor: 1.5 },
      { kind: 'alter-filters', at: 'stem_conv', inCells: false, factor: 1.3 },
      { kind: 'alter-units', at: 'head_dense', inCells: false, factor: 2 },
      { kind: 'alter-kernel', at: 'conv', inCells: true },
    ] as const;
    for (const target of cases) {
      const m = applyCellMutation(image, { ...target }, rng);
      checkState(m.state);
      expectCellsIdentical(m.state);
      expect(maxAbsDiff(outputsOf(image, x), outputsOf(m.state, x)), target.kind).toBeLessThan(1e-4);
      expect(m.state.graph.layers.length + (target.kind.startsWith('alter') ? 1 : 0)).toBeGreaterThan(image.graph.layers.length);
    }
    const widened = applyCellMutation(image, { kind: 'alter-filters', at: 'conv', inCells: true, factor: 1.5 }, rng).state.graph;
    expect(widened.layers.find((l) => l.id === 'cell0_conv')).toMatchObject({ params: { filters: 24 } });
    expect(widened.layers.find((l) => l.id === 'cell2_conv')).toMatchObject({ params: { filters: 96 } });
    const text = trainedLookingState(neuroCellTemplate(textCnn(16, 40, 2)), 3);
    const t = tf.tensor2d(Int32Array.from({ length: 3 * 16 }, () => rng.int(40)), [3, 16], 'int32');
    let s = text;
    for (let i = 0; i < 6; i++) {
      const m = randomCellMutation(s, rng);
      expectCellsIdentical(m.state);
      expect(maxAbsDiff(outputsOf(s, t), outputsOf(m.state, t)), String(m.record.op)).toBeLessThan(1e-4);
      s = trainedLookingState(m.state.graph, 20 + i);
    }
    x.dispose();
    t.dispose();
  });

  it('proposes the same generations for the same seed and results, two children a generation from tournament winners', async () => {
    const seed = smallCnn([12, 12, 1], 4);
    const a = await driveStrategy(new NCEvolve({ epochSeed: 2, epochChild: 1 }), seed, { generations: 6 });
    const b = await driveStrategy(new NCEvolve({ epochSeed: 2, epochChild: 1 }), seed, { generations: 6 });
    expect(fingerprint(a.generations)).toBe(fingerprint(b.generations));
    expect(a.generations.length).toBe(6);
    expect(a.generations[0].map((p) => p.id)).toEqual(['n0']);
    for (const g of a.generations.slice(1)) {
      expect(g.length).toBe(2);
      for (const p of g) {
        expect(p.inherit).toBe(true);
        expect(p.morphs).toHaveLength(1);
        expect(a.results.some((r) => r.id === p.parentId)).toBe(true);
        expectCellsIdentical(p.state);
      }
    }
    const other = await driveStrategy(new NCEvolve({ epochSeed: 2, epochChild: 1 }), seed, { generations: 6, services: { jobSeed: 6 } });
    expect(fingerprint(other.generations)).not.toBe(fingerprint(a.generations));
  });
});
