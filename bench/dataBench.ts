/**
 * npm run bench:data [-- --json]
 * All 70,000 Fashion-MNIST images (Debian's dataset-fashion-mnist) written out once as a PNG class-folder tree
 * (train/ and test/), then: decode and cache them (images per second, peak RSS), and read them again from the cache
 * (seconds, peak RSS). Each phase runs in its own process so that its peak RSS is its own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadIdxFolder } from '../engine/data/idx.js';
import { loadImageFolder } from '../engine/data/images/imageDataset.js';
import { mapLimit } from '../engine/data/fileWalk.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const NAMES = ['T-shirt_top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle_boot'];
const WORK = path.join(os.tmpdir(), 'netsprout-bench-data');
const TREE = path.join(WORK, 'fashion-mnist-png');
const CACHE = path.join(WORK, 'cache');
const args = process.argv.slice(2);
const json = args.includes('--json');
const phase = args[args.indexOf('--phase') + 1];
const log = (s: string) => process.stdout.write(`${s}\n`);

async function writeTree(): Promise<number> {
  const marker = path.join(TREE, '.complete');
  if (existsSync(marker)) return 70000;
  await rm(TREE, { recursive: true, force: true });
  const ds = await loadIdxFolder(FASHION);
  let written = 0;
  for (const [split, data] of [['train', ds.train], ['test', ds.test!]] as const) {
    for (const n of NAMES) await mkdir(path.join(TREE, split, n), { recursive: true });
    await mapLimit(Array.from({ length: data.count }, (_, i) => i), 16, async (i) => {
      const px = Buffer.from(data.images.subarray(i * 784, (i + 1) * 784));
      await sharp(px, { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toFile(path.join(TREE, split, NAMES[data.labels[i]], `${String(i).padStart(5, '0')}.png`));
      written++;
    });
  }
  await writeFile(marker, '');
  return written;
}

async function runPhase(name: 'decode' | 'reread'): Promise<void> {
  process.env.NETSPROUT_CACHE_DIR = CACHE;
  const t0 = performance.now();
  const { dataset } = await loadImageFolder(TREE, { seed: 0 });
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(
    `${JSON.stringify({ phase: name, images: dataset!.files.length, seconds, decodedNow: dataset!.decodedNow, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
}

function child(name: string): { images: number; seconds: number; decodedNow: boolean; maxRssMB: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--phase', name], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function main(): Promise<number> {
  if (phase === 'decode' || phase === 'reread') {
    await runPhase(phase);
    return 0;
  }
  if (!existsSync(FASHION)) {
    log(`Fashion-MNIST is not installed (${FASHION} is missing): install the Debian package dataset-fashion-mnist and run again.`);
    return 2;
  }
  if (!json) log(`Writing the 70,000 images as PNG files under ${TREE} (once)…`);
  await writeTree();
  await rm(CACHE, { recursive: true, force: true });
  if (!json) log('Scanning, checking, decoding and caching them…');
  const decode = child('decode');
  if (!json) log('Reading them again (from the cache)…');
  const reread = child('reread');
  const summary = {
    images: decode.images,
    decode: { seconds: Number(decode.seconds.toFixed(2)), imagesPerSec: Math.round(decode.images / decode.seconds), peakRssMB: Math.round(decode.maxRssMB) },
    cachedReread: { seconds: Number(reread.seconds.toFixed(2)), fromCache: !reread.decodedNow, peakRssMB: Math.round(reread.maxRssMB) },
  };
  if (json) log(JSON.stringify(summary));
  else {
    log(`Decode and cache: ${summary.images} images in ${summary.decode.seconds} s (${summary.decode.imagesPerSec} images/s), peak RSS ${summary.decode.peakRssMB} MB.`);
    log(`Cached re-read: ${summary.cachedReread.seconds} s (scan included), peak RSS ${summary.cachedReread.peakRssMB} MB.`);
  }
  return 0;
}

process.exitCode = await main();
