/** Which kind of dataset a path holds, from what is there; the user can override it. */
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { decodeText } from './textEncoding.js';
import path from 'node:path';
import { isHiddenOrSystem } from './fileWalk.js';
import { IMAGE_EXTENSIONS } from './images/imageDecoder.js';

export const DATA_KINDS = ['images', 'idx', 'table', 'text'] as const;
export type DataKind = (typeof DATA_KINDS)[number];

const IDX_TRAIN = /^train-images[-.]idx3-ubyte(\.gz)?$/;

async function countByExtension(dir: string, depth: number, counts: Map<string, number>): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (isHiddenOrSystem(e.name)) continue;
    if (e.isDirectory() && depth > 0) await countByExtension(path.join(dir, e.name), depth - 1, counts);
    else if (e.isFile()) {
      const ext = path.extname(e.name).toLowerCase();
      counts.set(ext, (counts.get(ext) ?? 0) + 1);
    }
  }
}

/** A CSV is text when one of its columns holds prose: long values with spaces in most rows. */
async function tableOrText(file: string): Promise<DataKind> {
  const decoded = decodeText((await readFile(file)).subarray(0, 256 * 1024));
  if (!decoded.ok) return 'table';
  let rows: string[][];
  try {
    rows = parse(decoded.text, { relax_column_count: true, skip_empty_lines: true, relax_quotes: true, to: 200, delimiter: [',', '\t', ';'] }) as string[][];
  } catch {
    return 'table';
  }
  const body = rows.slice(1);
  if (!body.length) return 'table';
  for (let c = 0; c < rows[0].length; c++) {
    if (body.filter((r) => IMAGE_EXTENSIONS.has(path.extname((r[c] ?? '').trim()).toLowerCase())).length / body.length > 0.5) return 'images';
  }
  for (let c = 0; c < rows[0].length; c++) {
    const values = body.map((r) => r[c] ?? '');
    const prose = values.filter((v) => v.length > 30 && v.trim().includes(' ')).length;
    if (prose / values.length > 0.5) return 'text';
  }
  return 'table';
}

/** null when nothing recognisable is there (the caller reports why). */
export async function detectKind(p: string): Promise<DataKind | null> {
  if (!existsSync(p)) return null;
  if (statSync(p).isFile()) {
    const ext = path.extname(p).toLowerCase();
    return ext === '.csv' || ext === '.tsv' ? await tableOrText(p) : null;
  }
  const names = await readdir(p);
  if (names.some((n) => IDX_TRAIN.test(n))) return 'idx';
  const counts = new Map<string, number>();
  await countByExtension(p, 3, counts);
  let images = 0;
  for (const [ext, n] of counts) if (IMAGE_EXTENSIONS.has(ext)) images += n;
  const texts = counts.get('.txt') ?? 0;
  if (images === 0 && texts === 0) return null;
  return images >= texts ? 'images' : 'text';
}
