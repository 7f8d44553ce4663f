/**
 * Inputs as a person sees them, for the app: sample images per class as small PNG data URLs, texts, table rows.
 * Used by `inspect` (the Data step's preview, from the files) and `evaluate` (sample predictions, from the tensors
 * the model saw, turned back into pixels, words and cells).
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { DatasetSummary } from '../data/inspectDataset.js';
import type { PreprocessSpec } from '../data/preprocessSpec.js';
import { FindingList } from '../data/findings.js';
import { loadIdxFolder } from '../data/idx.js';
import { decodeImage, sniffFormat } from '../data/images/imageDecoder.js';
import { scanImageCsv, scanImageFolder, type ImageItem } from '../data/images/imageFolder.js';
import { scanTable } from '../data/tables/csvTable.js';
import { PAD_ID, UNKNOWN_ID, scanTextCsv, scanTextFolder } from '../data/text/textData.js';
import type { DataPreview } from './messages.js';

/** Thumbnails fit in this many pixels a side (never enlarged). */
export const THUMBNAIL_SIDE = 96;
/** At most this many samples in one preview, whatever the number of classes. */
export const MAX_PREVIEW_SAMPLES = 400;
const TEXT_CHARS = 300;

/** Raw HWC bytes (0–255) as a PNG data URL. */
export async function pngDataUrl(pixels: Uint8Array, height: number, width: number, channels: number): Promise<string> {
  const png = await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels: channels as 1 | 3 } })
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .png({ compressionLevel: 9 })
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** A thumbnail of an image file (any format the engine reads), its aspect ratio kept. */
export async function thumbnail(item: Pick<ImageItem, 'file' | 'info'>): Promise<string> {
  const buf = await readFile(item.file);
  const format = sniffFormat(buf.subarray(0, 16));
  if (!format) throw new Error('not an image');
  const scale = Math.min(1, THUMBNAIL_SIDE / Math.max(item.info.width, item.info.height));
  const height = Math.max(1, Math.round(item.info.height * scale));
  const width = Math.max(1, Math.round(item.info.width * scale));
  const channels = item.info.colorChannels;
  return pngDataUrl(await decodeImage(buf, format, { height, width, channels, fit: 'pad' }), height, width, channels);
}

/** Up to `n` items spread over a list (first, last and evenly between). */
export function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  if (n <= 1) return items.slice(0, n);
  return Array.from({ length: n }, (_, k) => items[Math.round((k * (items.length - 1)) / (n - 1))]);
}

function perClassQuota(classes: number, perClass: number): number {
  return Math.max(0, Math.min(perClass, Math.floor(MAX_PREVIEW_SAMPLES / Math.max(1, classes))));
}

function byLabel<T>(items: T[], label: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const it of items) {
    const k = label(it);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(it);
  }
  return groups;
}

/** The Data step's preview of a dataset already inspected (`summary`): up to `perClass` samples of every class. */
export async function dataPreview(p: string, summary: DatasetSummary, perClass: number, target?: string): Promise<DataPreview> {
  const samples: DataPreview['samples'] = [];
  const quota = perClassQuota(summary.classes.length, perClass);
  if (!summary.kind || quota === 0 || summary.examples === 0) return { samples };
  const scratch = new FindingList();
  if (summary.kind === 'images') {
    const scan = statSync(p).isFile() ? await scanImageCsv(p, scratch, { target }) : await scanImageFolder(p, scratch);
    const groups = byLabel(scan.items, (i) => i.label);
    for (const c of summary.classes) {
      for (const item of spread(groups.get(c.name) ?? [], quota)) {
        try {
          samples.push({ label: c.name, image: await thumbnail(item) });
        } catch {
          // A damaged file is among the findings already; the preview shows the others.
        }
      }
    }
  } else if (summary.kind === 'idx') {
    const ds = await loadIdxFolder(p);
    const { height, width } = ds.train;
    const indices = byLabel(Array.from({ length: ds.train.count }, (_, i) => i), (i) => String(ds.train.labels[i]));
    for (const c of summary.classes) {
      for (const i of spread(indices.get(c.name) ?? [], quota)) {
        samples.push({ label: c.name, image: await pngDataUrl(ds.train.images.subarray(i * height * width, (i + 1) * height * width), height, width, 1) });
      }
    }
  } else if (summary.kind === 'table') {
    const scan = await scanTable(p, scratch, target);
    if (scan) {
      const groups = byLabel(scan.rows, (r) => r[scan.targetIndex].trim());
      for (const c of summary.classes) {
        for (const r of spread(groups.get(c.name) ?? [], quota)) samples.push({ label: c.name, row: Object.fromEntries(scan.header.map((h, k) => [h, r[k] ?? ''])) });
      }
    }
  } else {
    const examples = statSync(p).isDirectory() ? await scanTextFolder(p, scratch) : await scanTextCsv(p, scratch, target);
    const groups = byLabel(examples ?? [], (e) => e.label);
    for (const c of summary.classes) {
      for (const e of spread(groups.get(c.name) ?? [], quota)) samples.push({ label: c.name, text: e.text.length > TEXT_CHARS ? `${e.text.slice(0, TEXT_CHARS)}…` : e.text });
    }
  }
  return { samples };
}

/**
 * One model input (as the engine feeds it: normalised pixels, token ids, an encoded row) turned back into what a
 * person recognises: the image, the words, the table row.
 */
export async function describeInput(spec: PreprocessSpec, x: Float32Array | Int32Array): Promise<{ image?: string; text?: string; row?: Record<string, string> }> {
  if (spec.kind === 'images') {
    const c = spec.channels;
    const raw = Uint8Array.from(x, (v, i) => Math.max(0, Math.min(255, Math.round(v * spec.std[i % c] + spec.mean[i % c]))));
    return { image: await pngDataUrl(raw, spec.height, spec.width, c) };
  }
  if (spec.kind === 'text') {
    const words: string[] = [];
    for (const id of x) {
      if (id === PAD_ID) continue;
      words.push(id === UNKNOWN_ID ? '…' : (spec.vocabulary[id - 2] ?? '…'));
    }
    return { text: words.join(' ') };
  }
  const row: Record<string, string> = {};
  let o = 0;
  for (const col of spec.columns) {
    if (col.kind === 'numeric') {
      row[col.name] = String(Number((x[o] * col.std + col.mean).toPrecision(6)));
      o += 1;
    } else {
      const slots = Array.from(x.subarray(o, o + col.categories.length + 1));
      const at = slots.indexOf(Math.max(...slots));
      row[col.name] = at < col.categories.length ? col.categories[at] : '(other)';
      o += col.categories.length + 1;
    }
  }
  return { row };
}
