/** Which kind of dataset a path holds, from what is there; the user can override it. */
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
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

/** null when nothing recognisable is there (the caller reports why). */
export async function detectKind(p: string): Promise<DataKind | null> {
  if (!existsSync(p)) return null;
  if (statSync(p).isFile()) {
    const ext = path.extname(p).toLowerCase();
    return ext === '.csv' || ext === '.tsv' || ext === '.txt' ? 'table' : null;
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
