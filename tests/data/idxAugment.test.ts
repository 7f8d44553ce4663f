import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { disposePrepared, prepareData } from '../../engine/data/prepareData.js';
import { isTensorData, readBatch } from '../../engine/train/trainer.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { idxFile } from '../helpers/jobData.js';

/** An IDX folder of 20×20 left-right symmetric shapes on a black background, like Fashion-MNIST's clothes. */
async function idxFolder(count: number): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-idxaug-'));
  const size = 20;
  for (const prefix of ['train', 't10k']) {
    const bytes = new Uint8Array(count * size * size);
    const labels = new Uint8Array(count);
    for (let k = 0; k < count; k++) {
      labels[k] = k % 2;
      const half = labels[k] ? 7 : 4;
      for (let y = 3; y < 17; y++) for (let x = 10 - half; x < 10 + half; x++) bytes[k * size * size + y * size + x] = 150 + (k % 50);
    }
    await writeFile(path.join(dir, `${prefix}-images-idx3-ubyte.gz`), gzipSync(idxFile([count, size, size], bytes)));
    await writeFile(path.join(dir, `${prefix}-labels-idx1-ubyte.gz`), gzipSync(idxFile([count], labels)));
  }
  return dir;
}

beforeAll(async () => {
  await initBackend();
});

describe('IDX images', () => {
  it('are augmented in training when the person asks, with the black border coming in', async () => {
    const folder = await idxFolder(40);
    const data = await prepareData(folder, { seed: 1, augment: { cropPadding: 3, flip: true } });
    const asTheyAre = await prepareData(folder, { seed: 1, augment: 'none' });
    try {
      expect(data.kind).toBe('idx');
      const spec = data.spec!;
      if (spec.kind !== 'images') throw new Error('an image spec was expected');
      expect(spec.augment).toMatchObject({ cropPadding: 3, flip: true, fill: [0], reason: 'set by the user (the border colour (0) coming in)' });
      expect(isTensorData(data.train)).toBe(false);
      const positions = Int32Array.from([0, 1, 2, 3, 4, 5]);
      // Without the trainer's random source (evaluation), the images are as they are, and the same each time.
      const plain = readBatch(data.train, positions);
      const again = readBatch(data.train, positions);
      expect(Array.from(await plain.data())).toEqual(Array.from(await again.data()));
      const unaugmented = readBatch(asTheyAre.train, positions);
      expect(Array.from(await plain.data())).toEqual(Array.from(await unaugmented.data()));
      // In training they move; what comes in is the black border (the training mean would bring in a value no image has).
      const a = readBatch(data.train, positions, makeRandom(3));
      const b = readBatch(data.train, positions, makeRandom(3));
      const [pa, pb, pp] = [await a.data(), await b.data(), await plain.data()];
      expect(Array.from(pa)).toEqual(Array.from(pb));
      expect(Array.from(pa)).not.toEqual(Array.from(pp));
      const seen = new Set(Array.from(pp, (v) => v.toFixed(4)));
      expect(Array.from(pa).every((v) => seen.has(v.toFixed(4)))).toBe(true);
      // Validation is never augmented.
      expect(isTensorData(data.validation)).toBe(true);
      tf.dispose([plain, again, unaugmented, a, b]);
    } finally {
      disposePrepared(data);
      disposePrepared(asTheyAre);
    }
  });

  it('are used as they are by default and when augmentation is turned off', async () => {
    const folder = await idxFolder(40);
    for (const [augment, reason] of [['auto', /^none: IDX images are used as they are/], ['none', /^turned off by the user$/]] as const) {
      const data = await prepareData(folder, { seed: 1, augment });
      try {
        const spec = data.spec!;
        if (spec.kind !== 'images') throw new Error('an image spec was expected');
        expect(spec.augment).toMatchObject({ cropPadding: 0, flip: false });
        expect(spec.augment.reason).toMatch(reason);
        expect(isTensorData(data.train)).toBe(true);
      } finally {
        disposePrepared(data);
      }
    }
  });
});
