/**
 * Walks a dataset folder: hidden and system files are skipped quietly, symbolic links are followed only while they
 * stay inside the dataset folder (a link that leaves it is a finding and is skipped), and loops are impossible.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { throwIfStopped } from '../stopSignal.js';
import type { FindingList } from './findings.js';

const SYSTEM_FILES = new Set(['thumbs.db', 'desktop.ini', 'ehthumbs.db', '__macosx', '$recycle.bin', 'system volume information']);

export function isHiddenOrSystem(name: string): boolean {
  return name.startsWith('.') || SYSTEM_FILES.has(name.toLowerCase());
}

export interface WalkedFile {
  /** Absolute path as the user sees it (through links). */
  file: string;
  /** Path relative to the walked folder, with '/' separators. */
  rel: string;
  size: number;
  mtimeMs: number;
}

export interface WalkedDir {
  files: WalkedFile[];
  dirs: string[];
}

/** Lists a folder's visible entries: files (with size) and sub-folders, following links that stay inside `root`. */
export async function listDir(dir: string, root: string, findings: FindingList): Promise<WalkedDir> {
  const realRoot = await realpath(root);
  const out: WalkedDir = { files: [], dirs: [] };
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !isHiddenOrSystem(e.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Plain files are stat'ed in parallel; links and folders are handled in order below.
  const stats = await mapLimit(entries, 32, async (e) => (e.isFile() ? stat(path.join(dir, e.name)) : null));
  for (const [k, entry] of entries.entries()) {
    if (entry.isFile()) {
      const full = path.join(dir, entry.name);
      out.files.push({ file: full, rel: path.relative(root, full).split(path.sep).join('/'), size: stats[k]!.size, mtimeMs: stats[k]!.mtimeMs });
      continue;
    }
    const full = path.join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      let target: string;
      try {
        target = await realpath(full);
      } catch {
        findings.warning('SYMLINK_OUTSIDE', `The link ${path.relative(root, full)} points to nothing.`, 'Remove the broken link or replace it with the file.', [full]);
        continue;
      }
      if (target !== realRoot && !target.startsWith(realRoot + path.sep)) {
        findings.warning(
          'SYMLINK_OUTSIDE',
          `The link ${path.relative(root, full)} points outside the dataset folder (to ${target}); it was skipped.`,
          'Copy the file into the dataset folder if it belongs to the data.',
          [full],
        );
        continue;
      }
      const s = await stat(full);
      isDir = s.isDirectory();
      isFile = s.isFile();
    }
    if (isDir) out.dirs.push(full);
    else if (isFile) {
      const s = await stat(full);
      out.files.push({ file: full, rel: path.relative(root, full).split(path.sep).join('/'), size: s.size, mtimeMs: s.mtimeMs });
    }
  }
  return out;
}

/** Every visible file under `dir`, recursively (links inside the root followed, at most `maxDepth` levels). */
export async function walkFiles(dir: string, root: string, findings: FindingList, maxDepth = 8): Promise<WalkedFile[]> {
  const seen = new Set<string>();
  const files: WalkedFile[] = [];
  const visit = async (d: string, depth: number): Promise<void> => {
    const real = await realpath(d);
    if (seen.has(real) || depth > maxDepth) return;
    seen.add(real);
    const listing = await listDir(d, root, findings);
    files.push(...listing.files);
    for (const sub of listing.dirs) await visit(sub, depth + 1);
  };
  await visit(dir, 0);
  return files;
}

/**
 * Runs `fn` over `items` with at most `limit` promises at a time, keeping order in the result. When `signal` fires,
 * no further item starts and the call throws the stop error (engine/stopSignal.ts) once the running ones are done.
 */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      throwIfStopped(signal, 'reading the data');
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
