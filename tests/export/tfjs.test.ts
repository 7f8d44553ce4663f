import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { withInputNormalisation } from '../../engine/export/inputNormalisation.js';
import { readTfjs, writeTfjs } from '../../engine/export/tfjsWriter.js';
import { makeSample, verifyLayersModel } from '../../engine/export/verifyExport.js';
import { mlp, referenceCnn, textCnn } from '../../engine/graph/presets.js';
import type { Graph } from '../../engine/graph/types.js';
import { GraphModel } from '../../engine/train/graphModel.js';
import { randomWeights, specFor } from '../helpers/exportFixtures.js';
import { randomImageGraph } from '../helpers/randomGraphs.js';

beforeAll(async () => {
  await initBackend('wasm');
});

async function roundTrip(graph: Graph, classes: number, seed: number) {
  const weights = randomWeights(graph, seed);
  const preprocess = specFor(graph, classes);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-tfjs-'));
  await writeTfjs({ graph, weights, preprocess }, dir, 'NetSprout test');
  const model = GraphModel.withWeights(graph, weights);
  const sample = makeSample(model, preprocess, null, 16, seed);
  const layers = await readTfjs(dir);
  const agreement = await verifyLayersModel((x) => layers.predict(x) as tf.Tensor, sample);
  layers.dispose();
  sample.engineInput.dispose();
  model.dispose();
  return agreement;
}

describe('TF.js layers export', () => {
  it('takes raw pixels and gives the engine\'s probabilities (reference CNN, random grown nets)', async () => {
    for (const [graph, classes] of [[referenceCnn([16, 16, 3], 5), 5], [randomImageGraph(3), 3], [randomImageGraph(7), 3]] as const) {
      const a = await roundTrip(graph as Graph, classes as number, 11);
      expect(a.samples).toBe(16);
      expect(a.maxAbsDiff).toBeLessThanOrEqual(1e-4);
      expect(a.argmaxAgreement).toBe(1);
    }
  });

  it('exports text and table models as they are', async () => {
    for (const [graph, classes] of [[textCnn(20, 50, 3), 3], [mlp([7], 4, [16]), 4]] as const) {
      const a = await roundTrip(graph as Graph, classes as number, 5);
      expect(a.ok).toBe(true);
    }
  });

  it('puts the image normalisation in as a 1×1 depthwise layer right after the input', () => {
    const graph = referenceCnn([8, 8, 3], 2);
    const weights = randomWeights(graph, 1);
    const preprocess = specFor(graph, 2);
    const { graph: g, weights: w } = withInputNormalisation({ graph, weights, preprocess });
    const norm = g.layers.find((l) => l.id === 'normalization')!;
    expect(norm.type).toBe('depthwiseConv2d');
    expect(g.layers.filter((l) => l.inputs.includes('input')).map((l) => l.id)).toEqual(['normalization']);
    expect(Array.from(w.get('normalization')![0])).toEqual(Array.from(Float32Array.from([1 / 50, 1 / 60, 1 / 70])));
    expect(withInputNormalisation({ graph: textCnn(10, 20, 2), weights: new Map(), preprocess: specFor(textCnn(10, 20, 2), 2) }).graph.layers.some((l) => l.id === 'normalization')).toBe(false);
  });
});
