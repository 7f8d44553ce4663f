import { mkdir, mkdtemp, symlink, writeFile, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encode as encodeBmp } from 'bmp-ts';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FindingList, type Finding } from '../../engine/data/findings.js';
import { chooseResolution, loadImageFolder } from '../../engine/data/images/imageDataset.js';
import { scanImageFolder } from '../../engine/data/images/imageFolder.js';
import { inspectDataset } from '../../engine/data/inspectDataset.js';
import { stratifiedSplits } from '../../engine/data/splits.js';

async function tmp(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'netsprout-data-'));
}

/** A small picture with a class-dependent pattern, in any format sharp writes. */
async function picture(file: string, opts: { w?: number; h?: number; seed?: number; channels?: 1 | 3 | 4; format?: 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff' | 'bmp' } = {}): Promise<void> {
  const { w = 16, h = 16, seed = 0, channels = 3, format = 'png' } = opts;
  const raw = Buffer.alloc(w * h * channels);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + seed * 97) % 251;
  await mkdir(path.dirname(file), { recursive: true });
  if (format === 'bmp') {
    const rgba = Buffer.alloc(w * h * 4);
    for (let p = 0; p < w * h; p++) for (let c = 0; c < 4; c++) rgba[p * 4 + c] = c === 0 ? 255 : raw[p * channels + Math.min(c - 1, channels - 1)];
    await writeFile(file, encodeBmp({ data: rgba, width: w, height: h, bitPP: 24 }).data);
    return;
  }
  let img = sharp(raw, { raw: { width: w, height: h, channels } });
  if (channels === 1) img = img.toColourspace('b-w');
  await img.toFormat(format).toFile(file);
}

const codes = (f: Finding[]) => f.map((x) => x.code).sort();

describe('image folders', () => {
  it('reads every format, mode and size, and reports no problem for good data', async () => {
    const root = await tmp();
    const formats = ['png', 'jpeg', 'webp', 'gif', 'tiff', 'bmp'] as const;
    for (const [c, cls] of ['cat', 'dog'].entries()) {
      for (let i = 0; i < 12; i++) {
        const format = formats[i % formats.length];
        const channels = ([1, 3, 4] as const)[i % 3];
        await picture(path.join(root, cls, `img${i}.${format === 'jpeg' ? 'jpg' : format}`), { w: 16 + i, h: 20 - (i % 4), seed: c * 100 + i, channels: format === 'jpeg' && channels === 4 ? 3 : channels, format });
      }
    }
    // Hidden and system files are ignored without a word.
    for (const junk of ['.DS_Store', 'Thumbs.db', 'desktop.ini', 'cat/.hidden.png']) await writeFile(path.join(root, junk), 'junk');
    const findings = new FindingList();
    const { dataset } = await loadImageFolder(root, { seed: 1 }, findings);
    expect(findings.items).toEqual([]);
    expect(dataset).not.toBeNull();
    expect(dataset!.spec.classes).toEqual(['cat', 'dog']);
    expect(dataset!.files).toHaveLength(24);
    expect(dataset!.spec.channels).toBe(3);
    // Mixed sizes: a square side from the (upper) median of the larger sides, 20 19 18 19 20 21 22 … 27 twice → 22.
    expect([dataset!.spec.height, dataset!.spec.width]).toEqual([22, 22]);
    expect(dataset!.pixels!.length).toBe(24 * 22 * 22 * 3);
  });

  it('keeps small images of one size as they are, and grayscale as one channel', async () => {
    const root = await tmp();
    for (const cls of ['a', 'b']) for (let i = 0; i < 3; i++) await picture(path.join(root, cls, `${i}.png`), { w: 30, h: 20, channels: 1, seed: cls === 'a' ? i : 10 + i });
    const scan = await scanImageFolder(root, new FindingList());
    expect(chooseResolution(scan.items)).toEqual({ height: 20, width: 30, channels: 1 });
    const big = await tmp();
    for (const cls of ['a', 'b']) for (let i = 0; i < 3; i++) await picture(path.join(big, cls, `${i}.png`), { w: 200, h: 120, seed: cls === 'a' ? i : 10 + i });
    expect(chooseResolution((await scanImageFolder(big, new FindingList())).items)).toEqual({ height: 64, width: 64, channels: 3 });
  });

  it('respects train/ and test/ folders', async () => {
    const root = await tmp();
    for (const split of ['train', 'test']) for (const cls of ['x', 'y']) for (let i = 0; i < (split === 'train' ? 10 : 4); i++) await picture(path.join(root, split, cls, `${i}.png`), { seed: i + (cls === 'x' ? 0 : 50) + (split === 'test' ? 20 : 0) });
    const { dataset } = await loadImageFolder(root, { seed: 3 });
    const testFiles = dataset!.splits.test.map((i) => path.relative(root, dataset!.files[i]).split(path.sep)[0]);
    expect(testFiles).toHaveLength(8);
    expect(new Set(testFiles)).toEqual(new Set(['test']));
    for (const i of [...dataset!.splits.train, ...dataset!.splits.validation]) expect(path.relative(root, dataset!.files[i]).startsWith('train')).toBe(true);
    const summary = await inspectDataset(root);
    expect(summary.classes).toEqual([
      { name: 'x', count: 14, train: 10, test: 4 },
      { name: 'y', count: 14, train: 10, test: 4 },
    ]);
  });

  it('names every bad file, skips it, and keeps the rest usable', async () => {
    const root = await tmp();
    for (const cls of ['good', 'other']) for (let i = 0; i < 12; i++) await picture(path.join(root, cls, `${i}.png`), { seed: i + (cls === 'good' ? 0 : 40) });
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
    await writeFile(path.join(root, 'good', 'broken.png'), Buffer.concat([png.subarray(0, 40), Buffer.alloc(30, 7)]));
    await writeFile(path.join(root, 'good', 'empty.jpg'), Buffer.alloc(0));
    await writeFile(path.join(root, 'good', 'notes.jpg'), 'these are my notes, not a photo');
    await picture(path.join(root, 'good', 'huge.png'), { w: 60, h: 50 });
    await copyFile(path.join(root, 'good', '3.png'), path.join(root, 'other', 'copy-of-good-3.png'));
    const outside = await tmp();
    await picture(path.join(outside, 'secret.png'));
    await symlink(path.join(outside, 'secret.png'), path.join(root, 'other', 'link.png'));
    const findings = new FindingList();
    const scan = await scanImageFolder(root, findings, { maxPixels: 2000 });
    expect(codes(findings.items)).toEqual(['CORRUPT_IMAGE', 'DUPLICATE_ACROSS_CLASSES', 'IMAGE_TOO_LARGE', 'NOT_AN_IMAGE', 'SYMLINK_OUTSIDE', 'ZERO_BYTE_FILE']);
    const byCode = Object.fromEntries(findings.items.map((f) => [f.code, f]));
    expect(byCode.CORRUPT_IMAGE.files).toEqual([path.join(root, 'good', 'broken.png')]);
    expect(byCode.CORRUPT_IMAGE.message).toContain('good/broken.png');
    expect(byCode.ZERO_BYTE_FILE.files).toEqual([path.join(root, 'good', 'empty.jpg')]);
    expect(byCode.NOT_AN_IMAGE.files).toEqual([path.join(root, 'good', 'notes.jpg')]);
    expect(byCode.IMAGE_TOO_LARGE.files).toEqual([path.join(root, 'good', 'huge.png')]);
    expect(byCode.IMAGE_TOO_LARGE.message).toContain('60 × 50 pixels');
    expect(byCode.SYMLINK_OUTSIDE.files).toEqual([path.join(root, 'other', 'link.png')]);
    expect(byCode.DUPLICATE_ACROSS_CLASSES.files.sort()).toEqual([path.join(root, 'good', '3.png'), path.join(root, 'other', 'copy-of-good-3.png')].sort());
    for (const f of findings.items) {
      expect(f.severity).toBe('warning');
      expect(f.hint.length).toBeGreaterThan(10);
    }
    // 12 + 12 good pictures and the copy, less both copies of the duplicated picture.
    expect(scan.items).toHaveLength(23);
    const summary = await inspectDataset(root);
    expect(summary.usable).toBe(true);
  });

  it('refuses data that cannot train a classifier', async () => {
    expect(codes((await inspectDataset('/no/such/folder')).findings)).toEqual(['MISSING_PATH']);
    const empty = await tmp();
    expect(codes((await inspectDataset(empty)).findings)).toEqual(['EMPTY_FOLDER']);
    const one = await tmp();
    for (let i = 0; i < 5; i++) await picture(path.join(one, 'only', `${i}.png`), { seed: i });
    const s1 = await inspectDataset(one);
    expect(s1.usable).toBe(false);
    expect(codes(s1.findings)).toEqual(['FEW_EXAMPLES', 'ONE_CLASS']);
    const few = await tmp();
    for (let i = 0; i < 12; i++) await picture(path.join(few, 'many', `${i}.png`), { seed: i });
    await picture(path.join(few, 'rare', '0.png'), { seed: 99 });
    const s2 = await inspectDataset(few);
    expect(s2.usable).toBe(false);
    expect(s2.findings.find((f) => f.severity === 'error')).toMatchObject({ code: 'FEW_EXAMPLES', message: 'The class "rare" has only 1 example; at least 2 are needed.' });
  });

  it('reports class balance and offers class weights when it is poor', async () => {
    const root = await tmp();
    for (let i = 0; i < 40; i++) await picture(path.join(root, 'common', `${i}.png`), { seed: i });
    for (let i = 0; i < 10; i++) await picture(path.join(root, 'rare', `${i}.png`), { seed: 100 + i });
    const s = await inspectDataset(root);
    expect(s.usable).toBe(true);
    expect(codes(s.findings)).toEqual(['IMBALANCED_CLASSES']);
    expect(s.imbalance).toBe(4);
    expect(s.classWeights).toEqual([50 / (2 * 40), 50 / (2 * 10)]);
  });
});

describe('decoding to the working resolution', () => {
  it('keeps the aspect ratio by padding (letterbox) or by cropping the centre', async () => {
    const { decodeImage } = await import('../../engine/data/images/imageDecoder.js');
    const wide = await sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 200, g: 200, b: 200 } } }).png().toBuffer();
    const pad = await decodeImage(wide, 'png', { height: 10, width: 10, channels: 1, fit: 'pad' });
    const crop = await decodeImage(wide, 'png', { height: 10, width: 10, channels: 1, fit: 'crop' });
    // Letterbox: the top and bottom rows are padding; crop: every pixel is picture.
    expect(pad[0]).toBe(0);
    expect(pad[5 * 10 + 5]).toBeGreaterThan(150);
    expect(Math.min(...crop)).toBeGreaterThan(150);
  });
});

describe('a CSV of image paths and labels', () => {
  it('reads the images it lists, respects a split column, and names missing files', async () => {
    const root = await tmp();
    const lines = ['file,split,label'];
    for (const cls of ['circle', 'square']) {
      for (let i = 0; i < 10; i++) {
        const rel = `pics/${cls}-${i}.png`;
        await picture(path.join(root, rel), { seed: i + (cls === 'circle' ? 0 : 30) });
        lines.push(`${rel},${i < 8 ? 'train' : 'test'},${cls}`);
      }
    }
    lines.push('pics/gone.png,train,circle');
    const csv = path.join(root, 'labels.csv');
    await writeFile(csv, lines.join('\n'));
    const summary = await inspectDataset(csv);
    expect(summary.kind).toBe('images');
    expect(summary.usable).toBe(true);
    expect(summary.classes).toEqual([
      { name: 'circle', count: 10, train: 8, test: 2 },
      { name: 'square', count: 10, train: 8, test: 2 },
    ]);
    expect(summary.findings).toHaveLength(1);
    expect(summary.findings[0]).toMatchObject({ code: 'MISSING_IMAGE_FILE', severity: 'warning', files: [csv] });
    expect(summary.findings[0].message).toContain('pics/gone.png (line 22)');
    const { dataset } = await loadImageFolder(csv, { seed: 1 });
    expect(dataset!.splits.test).toHaveLength(4);
  });
});

describe('stratified splits', () => {
  it('cut every class in proportion, from a seed, with disjoint splits', () => {
    const labels = Int32Array.from({ length: 300 }, (_, i) => (i < 200 ? 0 : i < 280 ? 1 : 2));
    const a = stratifiedSplits(labels, 7);
    const b = stratifiedSplits(labels, 7);
    expect(a).toEqual(b);
    expect(stratifiedSplits(labels, 8)).not.toEqual(a);
    const all = [...a.train, ...a.validation, ...a.test].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 300 }, (_, i) => i));
    const count = (idx: number[], c: number) => idx.filter((i) => labels[i] === c).length;
    expect([count(a.test, 0), count(a.test, 1), count(a.test, 2)]).toEqual([20, 8, 2]);
    expect([count(a.validation, 0), count(a.validation, 1), count(a.validation, 2)]).toEqual([20, 8, 2]);
  });
});
