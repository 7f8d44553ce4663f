import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { compareProbabilities } from '../../engine/export/verifyExport.js';
import { referenceCnn } from '../../engine/graph/presets.js';
import { saveCheckpoint } from '../../engine/train/checkpoint.js';
import { GraphModel } from '../../engine/train/graphModel.js';
import { imageSpec } from '../helpers/exportFixtures.js';

// The real ONNX writer, with one weight of the first convolution changed on the way out, as a buggy exporter would.
vi.mock('../../engine/export/onnxWriter.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../engine/export/onnxWriter.js')>();
  return {
    ...real,
    writeOnnx: (input: Parameters<typeof real.writeOnnx>[0], opts?: Parameters<typeof real.writeOnnx>[1]) => {
      const weights = new Map(input.weights);
      const [id, arrays] = [...weights].find(([, a]) => a.length > 0)!;
      const kernel = Float32Array.from(arrays[0]);
      kernel[0] += 5;
      weights.set(id, [kernel, ...arrays.slice(1)]);
      return real.writeOnnx({ ...input, weights }, opts);
    },
  };
});

beforeAll(async () => {
  await initBackend('wasm');
});

describe('export verification', () => {
  it('fails an export whose ONNX file gives other answers, with the figures, and leaves no files', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'netsprout-mismatch-'));
    const graph = referenceCnn([12, 12, 1], 3);
    const model = GraphModel.create(graph, 3);
    await saveCheckpoint(path.join(root, 'ckpt'), graph, model.allWeights(), imageSpec(12, 12, 1, 3));
    model.dispose();
    const { exportModel } = await import('../../engine/export/exportModel.js');
    const out = path.join(root, 'out');
    const err = await exportModel({ model: path.join(root, 'ckpt'), formats: ['tfjs', 'onnx'], outDir: out }).catch((e) => e);
    expect(err.code).toBe('EXPORT_MISMATCH');
    expect(err.message).toMatch(/The exported ONNX model gives other answers than NetSprout on 128 random inputs: largest probability difference/);
    expect(err.hint).toMatch(/Nothing was exported/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial-${process.pid}`)).toBe(false);
  }, 60_000);

  it('counts the largest difference and the share of equal classes', () => {
    const expected = Float32Array.from([0.7, 0.3, 0.2, 0.8]);
    expect(compareProbabilities(expected, Float32Array.from([0.7, 0.3, 0.2, 0.8]), 2)).toEqual({ samples: 2, maxAbsDiff: 0, argmaxAgreement: 1, ok: true });
    const off = compareProbabilities(expected, [0.4, 0.6, 0.2, 0.8], 2);
    expect(off.argmaxAgreement).toBe(0.5);
    expect(off.maxAbsDiff).toBeCloseTo(0.3, 6);
    expect(off.ok).toBe(false);
    expect(compareProbabilities(expected, [0.70005, 0.29995, 0.2, 0.8], 2).ok).toBe(true);
  });
});
