import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlp, smallCnn, textCnn } from '../../engine/graph/presets.js';
import { initialWeights, onnxBytesFor } from '../../engine/hardware/measuredModel.js';
import { DEFAULT_SEARCH_SPACE, sampleArchitecture } from '../../engine/latency/architectureSampler.js';
import { BUILT_IN_TARGET_INFO, isBuiltInTarget, profileCacheFile, resolveTarget, searchSpaceFor } from '../../engine/latency/targets.js';
import { checkState } from '../../engine/morph/modelState.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

describe('target devices', () => {
  it('names the built-in targets and their runtimes', () => {
    expect(['cpu', 'gpu', 'browser'].every(isBuiltInTarget)).toBe(true);
    expect(isBuiltInTarget('device.json')).toBe(false);
    expect(BUILT_IN_TARGET_INFO.cpu).toMatchObject({ runtime: 'onnx', threads: 1 });
    expect(BUILT_IN_TARGET_INFO.gpu).toMatchObject({ runtime: 'tfjs', backend: 'tfjs-node-gpu' });
    expect(BUILT_IN_TARGET_INFO.browser).toMatchObject({ runtime: 'tfjs', backend: 'wasm' });
  });

  it('keeps profiles in the cache folder that NETSPROUT_CACHE_DIR names', async () => {
    const before = process.env.NETSPROUT_CACHE_DIR;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-cache-'));
    process.env.NETSPROUT_CACHE_DIR = dir;
    try {
      expect(profileCacheFile('cpu', 'abc')).toBe(path.join(dir, 'profiles', 'cpu-abc.json'));
    } finally {
      if (before === undefined) delete process.env.NETSPROUT_CACHE_DIR;
      else process.env.NETSPROUT_CACHE_DIR = before;
    }
  });

  it('refuses a target that is neither built in nor a file, and a file that is not a profile', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-target-'));
    await expect(resolveTarget(path.join(dir, 'missing.json'), { engineVersion: 'test', profileSeconds: 10 })).rejects.toMatchObject({ code: 'TARGET_UNKNOWN' });
    await writeFile(path.join(dir, 'bad.json'), '{"format": "something else"}');
    await expect(resolveTarget(path.join(dir, 'bad.json'), { engineVersion: 'test', profileSeconds: 10 })).rejects.toMatchObject({ code: 'PROFILE_SCHEMA' });
  });

  it("profiles a job's own input shape, and for tables and text its own seed network, grown and shrunk", () => {
    const images = searchSpaceFor([12, 12, 1], 4);
    expect(images.inputShapes).toEqual([[12, 12, 1]]);
    expect(images.classes).toBe(4);
    const cases = [
      { space: images, input: [12, 12, 1] },
      { space: searchSpaceFor([6], 2, mlp([6], 2)), input: [6] },
      { space: searchSpaceFor([30], 3, textCnn(30, 200, 3)), input: [30] },
    ];
    for (const { space, input } of cases) {
      const rng = makeRandom(3);
      const ops = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const a = sampleArchitecture(rng, space);
        const layer = a.graph.layers.find((l) => l.type === 'input')!;
        expect(layer.params).toMatchObject({ shape: input });
        checkState({ graph: a.graph, weights: initialWeights(a.graph) });
        expect(onnxBytesFor(a.graph).length).toBeGreaterThan(0);
        for (const o of a.origin.morphs) ops.add(o);
      }
      // Shrinking operators are drawn too (the networks the pareto search makes).
      expect([...ops].some((o) => ['narrow', 'sepconv', 'remove-layer', 'remove-input'].includes(o))).toBe(true);
    }
    // Without a seed network, tables and text fall back to the default (image) space; images never use a seed graph.
    expect(searchSpaceFor([6], 2)).toBe(DEFAULT_SEARCH_SPACE);
    expect(searchSpaceFor([12, 12, 1], 4, smallCnn([12, 12, 1], 4)).seedGraphs).toBeUndefined();
  });
});
