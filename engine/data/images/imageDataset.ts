/**
 * An image dataset ready to train on: the scan's usable images decoded once to the working resolution, their
 * labels, stratified splits (respecting train/ and test/ folders), and the preprocessing spec.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import type { BatchData } from '../../train/trainer.js';
import os from 'node:os';
import { checkClasses, type ClassBalance } from '../classBalance.js';
import { mapLimit } from '../fileWalk.js';
import { FindingList } from '../findings.js';
import { normaliseImages, type ImagePreprocessSpec } from '../preprocessSpec.js';
import { DEFAULT_FRACTIONS, stratifiedSplits, type SplitFractions, type Splits } from '../splits.js';
import { augmentImage, chooseAugmentation, userAugmentation } from './augmentation.js';
import { CacheWriter, cacheFile, cacheKey, openCache, type CacheReader } from './decodedCache.js';
import { DEFAULT_MAX_PIXELS, decodeImage, sniffFormat, type DecodeTarget } from './imageDecoder.js';
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
  /** Pixels of every usable image in memory (HWC bytes, image after image), or null when read from the cache file. */
  pixels: Uint8Array | null;
  cache: CacheReader | null;
  /** Whether this run decoded the images (false: they came from the cache). */
  decodedNow: boolean;
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
  /** Hold decoded pixels in memory up to this many bytes; above it, batches are read from the cache file. */
  memoryLimitBytes?: number;
  /** Override the augmentation rule: 'auto' (default), 'none', or explicit settings. */
  augment?: 'auto' | 'none' | { cropPadding: number; flip: boolean };
  /** Skip the cache (always decode; nothing written). */
  noCache?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Pause or cancel: no further image is read or decoded once it fires. */
  signal?: AbortSignal;
}

/** In-memory pixels up to a quarter of the machine's memory, at most 4 GB. */
export function defaultMemoryLimit(): number {
  return Math.min(4 * 2 ** 30, os.totalmem() / 4);
}

function channelStats(pixelsOf: (k: number) => Uint8Array, channels: number, indices: number[]): { mean: number[]; std: number[] } {
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  let n = 0;
  for (const k of indices) {
    const p = pixelsOf(k);
    for (let i = 0; i < p.length; i++) {
      const v = p[i];
      sum[i % channels] += v;
      sq[i % channels] += v * v;
    }
    n += p.length / channels;
  }
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, c) => Math.sqrt(Math.max(s / n - mean[c] * mean[c], 1)));
  return { mean, std };
}

const DECODE_CHUNK = 512;

/**
 * Decodes the scanned images to the cache file (chunk by chunk, so memory stays bounded) unless a cache for exactly
 * these files and this target exists. Returns the cache reader and the indices of the images that decoded.
 */
async function decodeToCache(items: ImageItem[], target: DecodeTarget, opts: ImageLoadOptions, findings: FindingList, keepInMemory: boolean): Promise<{ reader: CacheReader | null; pixels: Uint8Array | null; decoded: number[]; decodedNow: boolean }> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const imageSize = target.height * target.width * target.channels;
  const file = opts.noCache ? null : cacheFile(cacheKey(items, target, maxPixels));
  const cached = file ? openCache(file) : null;
  if (cached) {
    opts.onProgress?.(items.length, items.length);
    return { reader: cached, pixels: keepInMemory ? cached.readAll() : null, decoded: cached.header.decoded, decodedNow: false };
  }
  const writer = file ? await CacheWriter.create(file) : null;
  const pixels = keepInMemory || !writer ? new Uint8Array(items.length * imageSize) : null;
  const decoded: number[] = [];
  let done = 0;
  try {
    for (let start = 0; start < items.length; start += DECODE_CHUNK) {
      const chunk = items.slice(start, start + DECODE_CHUNK);
      const out = await mapLimit(chunk, 8, async (item) => {
        try {
          const buf = await readFile(item.file);
          return await decodeImage(buf, sniffFormat(buf.subarray(0, 16))!, target, maxPixels);
        } catch (e) {
          findings.warning('CORRUPT_IMAGE', `${item.rel} could not be decoded (${(e as Error).message}); it was skipped.`, 'Open it in an image viewer; re-export or remove it.', [item.file]);
          return null;
        } finally {
          opts.onProgress?.(++done, items.length);
        }
      }, opts.signal);
      for (const [j, px] of out.entries()) {
        if (!px) continue;
        if (pixels) pixels.set(px, decoded.length * imageSize);
        decoded.push(start + j);
        await writer?.append(px);
      }
    }
    await writer?.finish({ count: items.length, height: target.height, width: target.width, channels: target.channels, decoded });
  } catch (e) {
    await writer?.abort();
    throw e;
  }
  const reader = file && !keepInMemory ? openCache(file) : null;
  return { reader, pixels: pixels ? pixels.subarray(0, decoded.length * imageSize) : null, decoded, decodedNow: true };
}

/** Scans, checks, decodes (or reads the cache) and splits an image dataset. Bad data gives findings, not throws. */
export async function loadImageFolder(root: string, opts: ImageLoadOptions = {}, findings = new FindingList()): Promise<{ scan: ImageScan; dataset: ImageDataset | null }> {
  const scanOpts = { maxPixels: opts.maxPixels, noCache: opts.noCache, signal: opts.signal };
  const scan = statSync(root).isFile() ? await scanImageCsv(root, findings, { ...scanOpts, target: opts.target }) : await scanImageFolder(root, findings, scanOpts);
  const balance0 = checkClasses(scan.items.map((i) => i.label), findings, 'The dataset');
  if (findings.hasErrors) return { scan, dataset: null };
  const res = chooseResolution(scan.items, opts.maxSide);
  const fit = opts.fit ?? 'pad';
  const imageSize = res.height * res.width * res.channels;
  const keepInMemory = scan.items.length * imageSize <= (opts.memoryLimitBytes ?? defaultMemoryLimit());
  const { reader, pixels, decoded, decodedNow } = await decodeToCache(scan.items, { ...res, fit }, opts, findings, keepInMemory);
  const items = decoded.map((i) => scan.items[i]);
  const balance = items.length === scan.items.length ? balance0 : checkClasses(items.map((i) => i.label), new FindingList(), 'The dataset');
  const classes = balance.classes;
  const labels = Int32Array.from(items, (i) => classes.indexOf(i.label));
  const splits = stratifiedSplits(labels, opts.seed ?? 0, opts.fractions ?? DEFAULT_FRACTIONS, scan.hasSplitFolders ? items.map((i) => i.split) : undefined);
  const scratch = new Uint8Array(imageSize);
  const pixelsOf = (k: number): Uint8Array => {
    if (pixels) return pixels.subarray(k * imageSize, (k + 1) * imageSize);
    reader!.readInto(k, scratch);
    return scratch;
  };
  const stats = channelStats(pixelsOf, res.channels, splits.train);
  const augment =
    opts.augment === 'none'
      ? { cropPadding: 0, flip: false, reason: 'turned off by the user' }
      : typeof opts.augment === 'object'
        ? userAugmentation(opts.augment, pixelsOf, splits.train.length, res.height, res.width, res.channels, (j) => splits.train[j])
        : chooseAugmentation(pixelsOf, splits.train.length, res.height, res.width, res.channels, (j) => splits.train[j]);
  const spec: ImagePreprocessSpec = { kind: 'images', version: 1, ...res, fit, mean: stats.mean, std: stats.std, classes, augment };
  return {
    scan,
    dataset: { kind: 'images', root, spec, pixels, cache: pixels ? null : reader, decodedNow, labels, files: items.map((i) => i.file), splits, balance, findings },
  };
}

/** Batches of the chosen examples, normalised float32 [n, h, w, c]; augmented when the trainer passes its rng. */
export function imageBatchData(ds: ImageDataset, indices: number[]): BatchData {
  const { height, width, channels } = ds.spec;
  const size = height * width * channels;
  const fill = ds.spec.augment.fill ?? ds.spec.mean.map((m) => Math.round(m));
  const raw = new Uint8Array(size);
  const aug = new Uint8Array(size);
  return {
    y: Int32Array.from(indices, (i) => ds.labels[i]),
    numClasses: ds.spec.classes.length,
    read(positions, rng) {
      const out = new Float32Array(positions.length * size);
      for (let k = 0; k < positions.length; k++) {
        const i = indices[positions[k]];
        let px: Uint8Array;
        if (ds.pixels) px = ds.pixels.subarray(i * size, (i + 1) * size);
        else {
          ds.cache!.readInto(i, raw);
          px = raw;
        }
        if (rng && (ds.spec.augment.cropPadding > 0 || ds.spec.augment.flip)) {
          augmentImage(px, aug, height, width, channels, ds.spec.augment, rng, fill);
          px = aug;
        }
        normaliseImages(ds.spec, px, out.subarray(k * size, (k + 1) * size));
      }
      return tf.tensor4d(out, [positions.length, height, width, channels]);
    },
  };
}
