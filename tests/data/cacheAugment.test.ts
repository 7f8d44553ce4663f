import { mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { augmentImage, chooseAugmentation } from '../../engine/data/images/augmentation.js';
import { cacheRoot } from '../../engine/data/images/decodedCache.js';
import { imageBatchData, loadImageFolder } from '../../engine/data/images/imageDataset.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

async function classFolder(n: number): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'netsprout-cache-'));
  const { mkdir } = await import('node:fs/promises');
  for (const cls of ['left', 'right']) {
    await mkdir(path.join(root, cls));
    for (let i = 0; i < n; i++) {
      const size = 20;
      const raw = Buffer.alloc(size * size);
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) raw[y * size + x] = (cls === 'left' ? x < 6 : x >= 14) ? 200 + (i % 50) : (x * 7 + y * 3 + i) % 60;
      await sharp(raw, { raw: { width: size, height: size, channels: 1 } }).toColourspace('b-w').png().toFile(path.join(root, cls, `${i}.png`));
    }
  }
  return root;
}

beforeAll(async () => {
  // A cache folder of this file's own: other test files decode images into the run's shared one at the same time, and
  // their half-written entries must not count as this file's.
  process.env.NETSPROUT_CACHE_DIR = await mkdtemp(path.join(os.tmpdir(), 'netsprout-cache-own-'));
  await initBackend();
});

describe('decoded-image cache', () => {
  it('decodes once; a second load reads the cache and gives the same pixels; a changed file decodes again', async () => {
    const root = await classFolder(12);
    const first = (await loadImageFolder(root, { seed: 1 })).dataset!;
    expect(first.decodedNow).toBe(true);
    const second = (await loadImageFolder(root, { seed: 1 })).dataset!;
    expect(second.decodedNow).toBe(false);
    expect(Buffer.from(second.pixels!).equals(Buffer.from(first.pixels!))).toBe(true);
    expect(readdirSync(path.join(cacheRoot(), 'decoded')).some((f) => f.endsWith('.tmp'))).toBe(false);
    const later = new Date(Date.now() + 5000);
    await utimes(path.join(root, 'left', '3.png'), later, later);
    expect((await loadImageFolder(root, { seed: 1 })).dataset!.decodedNow).toBe(true);
  });

  it('reads batches from the cache file when the data exceeds the memory limit, with the same values', async () => {
    const root = await classFolder(12);
    const inMemory = (await loadImageFolder(root, { seed: 2, augment: 'none' })).dataset!;
    const streamed = (await loadImageFolder(root, { seed: 2, augment: 'none', memoryLimitBytes: 1000 })).dataset!;
    expect(streamed.pixels).toBeNull();
    expect(streamed.cache).not.toBeNull();
    const a = imageBatchData(inMemory, inMemory.splits.train).read(Int32Array.from([0, 3, 5]));
    const b = imageBatchData(streamed, streamed.splits.train).read(Int32Array.from([0, 3, 5]));
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    a.dispose();
    b.dispose();
  });

  it('remembers the scan of an unchanged folder, findings included', async () => {
    const root = await classFolder(10);
    await writeFile(path.join(root, 'left', 'broken.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(40, 1)]));
    const { inspectDataset } = await import('../../engine/data/inspectDataset.js');
    const first = await inspectDataset(root);
    expect(readdirSync(path.join(cacheRoot(), 'scans')).length).toBeGreaterThan(0);
    const second = await inspectDataset(root);
    expect(second.findings).toEqual(first.findings);
    expect(second.findings.map((f) => f.code)).toEqual(['CORRUPT_IMAGE']);
    expect(second.examples).toBe(20);
  });

  it('ignores a damaged cache file and decodes again', async () => {
    const root = await classFolder(10);
    await loadImageFolder(root, { seed: 1 });
    const dir = path.join(cacheRoot(), 'decoded');
    for (const f of readdirSync(dir)) await writeFile(path.join(dir, f), 'NSPX garbage');
    expect((await loadImageFolder(root, { seed: 1 })).dataset!.decodedNow).toBe(true);
  });
});

describe('augmentation', () => {
  it('flips only data whose mean image is its own mirror, and crops images of 16 pixels or more', () => {
    const size = 20;
    const symmetric = (k: number) => Uint8Array.from({ length: size * size }, (_, i) => Math.abs((i % size) - 9.5) * 10 + k);
    const oneSided = (k: number) => Uint8Array.from({ length: size * size }, (_, i) => ((i % size) < 5 ? 250 : 10) + k);
    expect(chooseAugmentation(symmetric, 4, size, size, 1)).toMatchObject({ flip: true, cropPadding: 3 });
    expect(chooseAugmentation(oneSided, 4, size, size, 1)).toMatchObject({ flip: false, cropPadding: 3 });
    expect(chooseAugmentation(oneSided, 4, 12, 12, 1).cropPadding).toBe(0);
  });

  it("brings in the colour of the images' borders when it shifts them (black for dark backgrounds, white for white)", () => {
    const size = 20;
    // A bright square on a background of 0 or 250; the overall mean lies far from either background.
    const onBackground = (bg: number) => (k: number) =>
      Uint8Array.from({ length: size * size }, (_, i) => {
        const [y, x] = [Math.floor(i / size), i % size];
        return y > 3 && y < 16 && x > 3 && x < 16 ? 120 + k : bg;
      });
    expect(chooseAugmentation(onBackground(0), 4, size, size, 1).fill).toEqual([0]);
    expect(chooseAugmentation(onBackground(250), 4, size, size, 1).fill).toEqual([250]);
    // Per channel: a red border on three-channel images.
    const red = (k: number) => Uint8Array.from({ length: size * size * 3 }, (_, i) => (i % 3 === 0 ? 200 : 10 + k));
    expect(chooseAugmentation(red, 4, size, size, 3).fill).toEqual([200, 12, 12]);
    // No crops, no fill.
    expect(chooseAugmentation(onBackground(0), 4, 12, 12, 1).fill).toBeUndefined();
  });

  it('shifts and flips with the mean colour coming in, reproducibly from a seed', () => {
    const w = 4;
    const src = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const dst = new Uint8Array(16);
    augmentImage(src, dst, 4, w, 1, { cropPadding: 0, flip: true, reason: '' }, { next: () => 0.1, int: () => 0 } as never, [0]);
    expect(Array.from(dst.slice(0, 4))).toEqual([4, 3, 2, 1]);
    const a = new Uint8Array(16);
    const b = new Uint8Array(16);
    augmentImage(src, a, 4, w, 1, { cropPadding: 1, flip: false, reason: '' }, makeRandom(5), [99]);
    augmentImage(src, b, 4, w, 1, { cropPadding: 1, flip: false, reason: '' }, makeRandom(5), [99]);
    expect(Array.from(a)).toEqual(Array.from(b));
    // Every pixel is either one of the source's or the fill value.
    for (const v of a) expect(v === 99 || (v >= 1 && v <= 16)).toBe(true);
  });

  it('applies in training batches only', async () => {
    const root = await classFolder(10);
    const ds = (await loadImageFolder(root, { seed: 3, augment: { cropPadding: 3, flip: true } })).dataset!;
    const data = imageBatchData(ds, ds.splits.train);
    const plain1 = data.read(Int32Array.from([0, 1, 2]));
    const plain2 = data.read(Int32Array.from([0, 1, 2]));
    const augmented = data.read(Int32Array.from([0, 1, 2]), makeRandom(1));
    expect(Array.from(plain2.dataSync())).toEqual(Array.from(plain1.dataSync()));
    expect(Array.from(augmented.dataSync())).not.toEqual(Array.from(plain1.dataSync()));
    [plain1, plain2, augmented].forEach((t) => t.dispose());
  });
});
