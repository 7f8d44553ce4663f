/**
 * Image datasets as people keep them: a folder with one sub-folder per class, optionally inside `train/` and `test/`
 * folders (respected as given). Every file is checked before anything is decoded: empty, not an image, damaged,
 * over the pixel limit, the same picture filed under two classes. Problem files are skipped and reported.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { cacheRoot } from './decodedCache.js';
import path from 'node:path';
import { listDir, mapLimit, walkFiles, type WalkedFile } from '../fileWalk.js';
import { listFiles, type Finding, type FindingList } from '../findings.js';
import { scanTable } from '../tables/csvTable.js';
import { DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, probeImage, sniffFormat, type ImageInfo } from './imageDecoder.js';

export interface ImageItem {
  file: string;
  rel: string;
  size: number;
  mtimeMs: number;
  label: string;
  /** The split a train/ or test/ folder put the file in. */
  split?: 'train' | 'test';
  info: ImageInfo;
}

export interface ImageScan {
  root: string;
  items: ImageItem[];
  classes: string[];
  hasSplitFolders: boolean;
}

export interface ScanOptions {
  maxPixels?: number;
  /** Neither read nor write the scan cache. */
  noCache?: boolean;
  /** Pause or cancel: no further file is read once it fires. */
  signal?: AbortSignal;
}

interface Candidate extends WalkedFile {
  label: string;
  split?: 'train' | 'test';
}

async function classFolders(dir: string, root: string, findings: FindingList, split?: 'train' | 'test'): Promise<Candidate[]> {
  const listing = await listDir(dir, root, findings);
  const out: Candidate[] = [];
  for (const f of listing.files) {
    if (IMAGE_EXTENSIONS.has(path.extname(f.file).toLowerCase())) {
      findings.warning(
        'NO_LABEL',
        `${f.rel} is not inside a class folder, so it has no label; it was skipped.`,
        'Put each image in the folder named after its class.',
        [f.file],
      );
    }
  }
  for (const sub of listing.dirs) {
    const label = path.basename(sub);
    const files = await walkFiles(sub, root, findings);
    if (files.length === 0) {
      findings.warning('EMPTY_FOLDER', `The class folder ${path.relative(root, sub)} is empty.`, 'Add images to it or remove it.', [sub]);
    }
    for (const f of files) out.push({ ...f, label, split });
  }
  return out;
}

/** Scans a folder of class folders (optionally inside train/ and test/). */
export async function scanImageFolder(root: string, findings: FindingList, opts: ScanOptions = {}): Promise<ImageScan> {
  const top = await listDir(root, root, findings);
  const splitDirs = top.dirs.filter((d) => ['train', 'test'].includes(path.basename(d).toLowerCase()));
  const hasSplitFolders = splitDirs.length > 0;
  let candidates: Candidate[] = [];
  if (hasSplitFolders) {
    for (const d of splitDirs) candidates.push(...(await classFolders(d, root, findings, path.basename(d).toLowerCase() as 'train' | 'test')));
  } else {
    candidates = await classFolders(root, root, findings);
  }
  return { root, hasSplitFolders, ...(await probeCandidates(candidates, root, findings, opts)) };
}

/**
 * A CSV listing image files (relative to the CSV's folder, or absolute) and their labels: the path column is the
 * one whose values end in image extensions, the label the target column (default: the last other one). An optional
 * column named "split" with values train/test is respected.
 */
export async function scanImageCsv(file: string, findings: FindingList, opts: ScanOptions & { target?: string } = {}): Promise<ImageScan> {
  const root = path.dirname(file);
  const scan = await scanTable(file, findings, opts.target);
  if (!scan) return { root, items: [], classes: [], hasSplitFolders: false };
  const pathCol = scan.header.findIndex((_, c) => c !== scan.targetIndex && scan.rows.length > 0 && scan.rows.filter((r) => IMAGE_EXTENSIONS.has(path.extname(r[c].trim()).toLowerCase())).length / scan.rows.length > 0.5);
  if (pathCol < 0) {
    findings.error('UNKNOWN_KIND', `${path.basename(file)} has no column of image file names.`, 'List one image path per row next to its label.', [file]);
    return { root, items: [], classes: [], hasSplitFolders: false };
  }
  const splitCol = scan.header.findIndex((h) => h.toLowerCase() === 'split');
  const realRoot = await realpath(root);
  const candidates: Candidate[] = [];
  const missing: string[] = [];
  for (const [i, r] of scan.rows.entries()) {
    const rel = r[pathCol].trim();
    const abs = path.resolve(root, rel);
    let size: number;
    let mtimeMs: number;
    try {
      ({ size, mtimeMs } = await stat(abs));
    } catch {
      missing.push(`${rel} (line ${scan.lines[i]})`);
      continue;
    }
    const real = await realpath(abs);
    if (!path.isAbsolute(rel) && real !== realRoot && !real.startsWith(realRoot + path.sep)) {
      findings.warning('SYMLINK_OUTSIDE', `${rel} (line ${scan.lines[i]}) leads outside the dataset folder; it was skipped.`, 'Keep the images in the folder of the CSV.', [abs]);
      continue;
    }
    const split = splitCol >= 0 ? (r[splitCol].trim().toLowerCase() as 'train' | 'test') : undefined;
    candidates.push({ file: abs, rel, size, mtimeMs, label: r[scan.targetIndex].trim(), split: split === 'train' || split === 'test' ? split : undefined });
  }
  if (missing.length) {
    findings.warning('MISSING_IMAGE_FILE', `${missing.length} image${missing.length > 1 ? 's' : ''} listed in ${path.basename(file)} ${missing.length > 1 ? 'do' : 'does'} not exist: ${listFiles(missing)}.`, 'Check the paths (relative to the CSV file).', [file]);
  }
  return { root, hasSplitFolders: candidates.some((c) => c.split !== undefined), ...(await probeCandidates(candidates, root, findings, opts)) };
}

/**
 * Reads every candidate's header (and its content hash) and returns the usable images. The result, findings
 * included, is cached under a key made of every file's path, label, size and modification time, so an unchanged
 * dataset is not read again.
 */
async function probeCandidates(candidates: Candidate[], root: string, findings: FindingList, opts: ScanOptions): Promise<{ items: ImageItem[]; classes: string[] }> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const key = createHash('sha256').update(JSON.stringify({ v: 2, maxPixels, c: candidates.map((c) => [c.file, c.label, c.split ?? '', c.size, c.mtimeMs]) })).digest('hex').slice(0, 24);
  const cacheFile = path.join(cacheRoot(), 'scans', `${key}.json`);
  if (!opts.noCache) {
    try {
      const cached = JSON.parse(await readFile(cacheFile, 'utf8')) as { items: ImageItem[]; classes: string[]; findings: Finding[] };
      for (const f of cached.findings) findings.add(f.severity, f.code, f.message, f.hint, f.files);
      return { items: cached.items, classes: cached.classes };
    } catch {
      // No cached scan (or an unreadable one): scan.
    }
  }
  const before = findings.items.length;
  const result = await probeUncached(candidates, root, findings, maxPixels, opts.signal);
  if (!opts.noCache) {
    await mkdir(path.dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ ...result, findings: findings.items.slice(before) }));
    await rename(tmp, cacheFile);
  }
  return result;
}

async function probeUncached(candidates: Candidate[], root: string, findings: FindingList, maxPixels: number, signal?: AbortSignal): Promise<{ items: ImageItem[]; classes: string[] }> {
  const zero: string[] = [];
  const notImage: string[] = [];
  const tooLarge: Array<{ file: string; w: number; h: number }> = [];
  const probed = await mapLimit(candidates, 16, async (c) => {
    if (!IMAGE_EXTENSIONS.has(path.extname(c.file).toLowerCase())) return null;
    if (c.size === 0) {
      zero.push(c.file);
      return null;
    }
    let buf: Buffer;
    try {
      buf = await readFile(c.file);
    } catch (e) {
      findings.warning('UNREADABLE_FILE', `${c.rel} cannot be read: ${(e as Error).message}.`, 'Check the file permissions.', [c.file]);
      return null;
    }
    const format = sniffFormat(buf.subarray(0, 16));
    if (!format) {
      notImage.push(c.file);
      return null;
    }
    let info: ImageInfo;
    try {
      info = await probeImage(buf, format);
    } catch (e) {
      findings.warning(
        'CORRUPT_IMAGE',
        `${c.rel} is damaged and cannot be read as ${format.toUpperCase()} (${(e as Error).message}); it was skipped.`,
        'Open it in an image viewer; re-export or remove it.',
        [c.file],
      );
      return null;
    }
    if (info.width * info.height > maxPixels) {
      tooLarge.push({ file: c.file, w: info.width, h: info.height });
      return null;
    }
    return { item: { file: c.file, rel: c.rel, size: c.size, mtimeMs: c.mtimeMs, label: c.label, split: c.split, info } as ImageItem, hash: createHash('sha1').update(buf).digest('hex') };
  }, signal);
  if (zero.length) findings.warning('ZERO_BYTE_FILE', `${zero.length} file${zero.length > 1 ? 's are' : ' is'} empty (0 bytes) and skipped: ${listFiles(zero.map((f) => path.relative(root, f)))}.`, 'Copy these images again; the copy was probably interrupted.', zero);
  if (notImage.length) {
    findings.warning(
      'NOT_AN_IMAGE',
      `${notImage.length} file${notImage.length > 1 ? 's have' : ' has'} an image extension but ${notImage.length > 1 ? 'are' : 'is'} not an image: ${listFiles(notImage.map((f) => path.relative(root, f)))}.`,
      'Remove them or give them their real extension.',
      notImage,
    );
  }
  for (const t of tooLarge) {
    findings.warning(
      'IMAGE_TOO_LARGE',
      `${path.relative(root, t.file)} is ${t.w} × ${t.h} pixels, over the limit of ${maxPixels.toLocaleString('en')} pixels; it was not decoded.`,
      'Resize it (NetSprout works at 64 × 64 at most during search) or raise the pixel limit.',
      [t.file],
    );
  }
  // The same picture under two classes: its label is ambiguous, so every copy is skipped.
  const byHash = new Map<string, Array<{ item: ImageItem }>>();
  for (const p of probed) if (p) byHash.set(p.hash, [...(byHash.get(p.hash) ?? []), p]);
  const skip = new Set<string>();
  for (const group of byHash.values()) {
    const labels = new Set(group.map((g) => g.item.label));
    if (labels.size > 1) {
      const files = group.map((g) => g.item.file);
      files.forEach((f) => skip.add(f));
      findings.warning(
        'DUPLICATE_ACROSS_CLASSES',
        `The same image is filed under ${[...labels].map((l) => `"${l}"`).join(' and ')}: ${listFiles(group.map((g) => g.item.rel))}; all copies were skipped.`,
        'Keep the image only in the folder of its true class.',
        files,
      );
    }
  }
  const items = probed.filter((p): p is { item: ImageItem; hash: string } => p !== null && !skip.has(p.item.file)).map((p) => p.item);
  const classes = [...new Set(items.map((i) => i.label))].sort();
  return { items, classes };
}
