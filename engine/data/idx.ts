/**
 * IDX files (the MNIST / Fashion-MNIST format): big-endian header with a magic number whose third byte is the
 * element type (0x08 = unsigned byte) and fourth the number of dimensions, then the dimensions, then the data.
 * Files may be gzip-compressed (.gz).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { NetSproutError } from '../errors.js';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

export function parseIdx(buf: Uint8Array, file: string): IdxArray {
  const fail = (why: string) =>
    new NetSproutError('IDX_INVALID', `${path.basename(file)} is not a valid IDX file: ${why}.`, 'Use the IDX files as published (optionally .gz).', [file]);
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw fail('the magic number is wrong');
  if (buf[2] !== 0x08) throw fail(`element type 0x${buf[2].toString(16)} is not supported (only unsigned bytes, 0x08)`);
  const rank = buf[3];
  if (rank < 1 || rank > 4 || buf.length < 4 + 4 * rank) throw fail('the header is truncated');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((a, b) => a * b, 1);
  const offset = 4 + 4 * rank;
  if (buf.length - offset < size) throw fail(`it holds ${buf.length - offset} bytes of data, the header promises ${size}`);
  return { shape, data: buf.subarray(offset, offset + size) };
}

export async function readIdx(file: string): Promise<IdxArray> {
  let buf: Uint8Array = await readFile(file);
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new NetSproutError('IDX_INVALID', `${path.basename(file)} is a damaged gzip file: ${(e as Error).message}.`, 'Download or copy the file again.', [file]);
    }
  }
  return parseIdx(buf, file);
}

export interface IdxSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

export interface IdxDataset {
  train: IdxSplit;
  test?: IdxSplit;
  folder: string;
}

function find(folder: string, prefix: string, kind: 'images' | 'labels'): string | null {
  const rank = kind === 'images' ? 3 : 1;
  for (const sep of ['-', '.']) {
    for (const ext of ['', '.gz']) {
      const f = path.join(folder, `${prefix}-${kind}${sep}idx${rank}-ubyte${ext}`);
      if (existsSync(f)) return f;
    }
  }
  return null;
}

async function loadSplit(imagesFile: string, labelsFile: string): Promise<IdxSplit> {
  const [img, lab] = await Promise.all([readIdx(imagesFile), readIdx(labelsFile)]);
  if (img.shape.length !== 3) {
    throw new NetSproutError('IDX_INVALID', `${path.basename(imagesFile)} should hold images (3 dimensions), it has ${img.shape.length}.`, 'Check that images and labels are not swapped.', [imagesFile]);
  }
  if (lab.shape.length !== 1 || lab.shape[0] !== img.shape[0]) {
    throw new NetSproutError(
      'IDX_COUNT_MISMATCH',
      `${path.basename(imagesFile)} holds ${img.shape[0]} images but ${path.basename(labelsFile)} holds ${lab.shape[0]} labels.`,
      'Use image and label files of the same split.',
      [imagesFile, labelsFile],
    );
  }
  return { images: img.data, labels: lab.data, count: img.shape[0], height: img.shape[1], width: img.shape[2] };
}

/** Loads `train-*` and, when present, `t10k-*` (or `test-*`) IDX files from a folder. */
export async function loadIdxFolder(folder: string): Promise<IdxDataset> {
  if (!existsSync(folder)) {
    throw new NetSproutError('DATA_MISSING_PATH', `The data folder ${folder} does not exist.`, 'Check the path.', [folder]);
  }
  const ti = find(folder, 'train', 'images');
  const tl = find(folder, 'train', 'labels');
  if (!ti || !tl) {
    throw new NetSproutError(
      'IDX_NOT_FOUND',
      `No IDX training files in ${folder}.`,
      'The folder needs train-images-idx3-ubyte and train-labels-idx1-ubyte (optionally .gz).',
      [folder],
    );
  }
  const train = await loadSplit(ti, tl);
  let test: IdxSplit | undefined;
  for (const prefix of ['t10k', 'test']) {
    const ei = find(folder, prefix, 'images');
    const el = find(folder, prefix, 'labels');
    if (ei && el) {
      test = await loadSplit(ei, el);
      break;
    }
  }
  return { train, test, folder };
}
