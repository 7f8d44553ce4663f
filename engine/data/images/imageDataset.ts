/**
 * An image dataset ready to train on: the scan's usable images decoded once to the working resolution, their
 * labels, stratified splits (respecting train/ and test/ folders), and the preprocessing spec.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import type { TensorData } from '../../train/trainer.js';
import { checkClasses, type ClassBalance } from '../classBalance.js';
import { mapLimit } from '../fileWalk.js';
import { FindingList } from '../findings.js';
import { normaliseImages, type ImagePreprocessSpec } from '../preprocessSpec.js';
import { DEFAULT_FRACTIONS, stratifiedSplits, type SplitFractions, type Splits } from '../splits.js';
import { decodeImage, sniffFormat } from './imageDecoder.js';
import { scanImageCsv, scanImageFolder, type ImageItem, type ImageScan } from './imageFolder.js';

/** NeuNetS searches at 64 × 64 at most. */
export const MAX_SEARCH_SIDE = 64;

export interface WorkingResolution {
  height: number;
  width: number;
  channels: 1 | 3;
}

/**
 * Small images are kept as they are when they all share one size; otherwise a square side is chosen from the
 * median of the larger side, at most 64. Gray when every image is gray, else colour.
 */
export function chooseResolution(items: ImageItem[], maxSide = MAX_SEARCH_SIDE): WorkingResolution {
  const channels: 1 | 3 = items.every((i) => i.info.colorChannels === 1) ? 1 : 3;
  const first = items[0]?.info;
  if (first && items.every((i) => i.info.width === first.width && i.info.height === first.height) && first.width <= maxSide && first.height <= maxSide) {
    return { height: first.height, width: first.width, channels };
  }
  const sides = items.map((i) => Math.max(i.info.width, i.info.height)).sort((a, b) => a - b);
  const median = sides[Math.floor(sides.length / 2)] ?? maxSide;
  const side = Math.max(8, Math.min(maxSide, median));
  return { height: side, width: side, channels };
}

export interface ImageDataset {
  kind: 'images';
  root: string;
  spec: ImagePreprocessSpec;
  /** Decoded pixels of every usable image, HWC bytes, image after image. */
  pixels: Uint8Array;
  labels: Int32Array;
  files: string[];
  splits: Splits;
  balance: ClassBalance;
  findings: FindingList;
}

export interface ImageLoadOptions {
  seed?: number;
  fit?: 'pad' | 'crop';
  maxSide?: number;
  maxPixels?: number;
  fractions?: SplitFractions;
  /** The label column of a CSV of image paths. */
  target?: string;
  onProgress?: (done: number, total: number) => void;
}

function channelStats(pixels: Uint8Array, channels: number, indices: number[], imageSize: number): { mean: number[]; std: number[] } {
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  for (const k of indices) {
    const base = k * imageSize;
    for (let i = 0; i < imageSize; i++) {
      const v = pixels[base + i];
      sum[i % channels] += v;
      sq[i % channels] += v * v;
    }
  }
  const n = (indices.length * imageSize) / channels;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, c) => Math.sqrt(Math.max(s / n - mean[c] * mean[c], 1)));
  return { mean, std };
}

/** Scans, checks, decodes and splits an image folder. Throws nothing for bad data: problems are findings. */
export async function loadImageFolder(root: string, opts: ImageLoadOptions = {}, findings = new FindingList()): Promise<{ scan: ImageScan; dataset: ImageDataset | null }> {
  const scan = statSync(root).isFile() ? await scanImageCsv(root, findings, { maxPixels: opts.maxPixels, target: opts.target }) : await scanImageFolder(root, findings, { maxPixels: opts.maxPixels });
  const balance = checkClasses(scan.items.map((i) => i.label), findings, 'The dataset');
  if (findings.hasErrors) return { scan, dataset: null };
  const res = chooseResolution(scan.items, opts.maxSide);
  const fit = opts.fit ?? 'pad';
  const imageSize = res.height * res.width * res.channels;
  const pixels = new Uint8Array(scan.items.length * imageSize);
  let done = 0;
  const ok = await mapLimit(scan.items, 8, async (item, k) => {
    const buf = await readFile(item.file);
    try {
      pixels.set(await decodeImage(buf, sniffFormat(buf.subarray(0, 16))!, { ...res, fit }, opts.maxPixels), k * imageSize);
    } catch (e) {
      findings.warning('CORRUPT_IMAGE', `${item.rel} could not be decoded (${(e as Error).message}); it was skipped.`, 'Open it in an image viewer; re-export or remove it.', [item.file]);
      return false;
    }
    opts.onProgress?.(++done, scan.items.length);
    return true;
  });
  // Drop images whose pixels failed to decode (rare: the header was fine).
  const keep = scan.items.map((_, i) => i).filter((i) => ok[i]);
  const items = keep.map((i) => scan.items[i]);
  const kept = keep.length === scan.items.length ? pixels : new Uint8Array(keep.length * imageSize);
  if (kept !== pixels) keep.forEach((i, k) => kept.set(pixels.subarray(i * imageSize, (i + 1) * imageSize), k * imageSize));
  const classes = balance.classes;
  const labels = Int32Array.from(items, (i) => classes.indexOf(i.label));
  const splits = stratifiedSplits(labels, opts.seed ?? 0, opts.fractions ?? DEFAULT_FRACTIONS, scan.hasSplitFolders ? items.map((i) => i.split) : undefined);
  const stats = channelStats(kept, res.channels, splits.train, imageSize);
  const spec: ImagePreprocessSpec = { kind: 'images', version: 1, ...res, fit, mean: stats.mean, std: stats.std, classes };
  return {
    scan,
    dataset: { kind: 'images', root, spec, pixels: kept, labels, files: items.map((i) => i.file), splits, balance, findings },
  };
}

/** The chosen examples as normalised float32 [n, h, w, c] and their labels. */
export function imageTensorData(ds: ImageDataset, indices: number[]): TensorData {
  const { height, width, channels } = ds.spec;
  const size = height * width * channels;
  const raw = new Uint8Array(indices.length * size);
  indices.forEach((i, k) => raw.set(ds.pixels.subarray(i * size, (i + 1) * size), k * size));
  const x = tf.tensor4d(normaliseImages(ds.spec, raw), [indices.length, height, width, channels]);
  return { x, y: Int32Array.from(indices, (i) => ds.labels[i]), numClasses: ds.spec.classes.length };
}
