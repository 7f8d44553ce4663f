/**
 * Decoded images are cached per dataset in one binary file, so a second run does not decode again:
 *   "NSPX" | u32 version | pixels (u8, image after image, HWC) | header JSON | u32 header length | "NSPX"
 * The header comes last so that images can be appended as they are decoded, without holding them all.
 * The key covers the files (path, size, modification time) and the decoding target, so any change re-decodes.
 * Files are written under a temporary name and renamed: a crash never leaves a half cache that looks whole.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DecodeTarget } from './imageDecoder.js';

const MAGIC = 'NSPX';
const VERSION = 1;

export interface CacheHeader {
  count: number;
  height: number;
  width: number;
  channels: number;
  /** Indices (into the scanned items) of the images whose pixels are in the file, in order. */
  decoded: number[];
}

/** The user's cache folder: NETSPROUT_CACHE_DIR, else the platform's cache location. */
export function cacheRoot(): string {
  if (process.env.NETSPROUT_CACHE_DIR) return process.env.NETSPROUT_CACHE_DIR;
  if (process.platform === 'win32') return path.join(process.env.LOCALAPPDATA ?? os.tmpdir(), 'NetSprout', 'Cache');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'NetSprout');
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'netsprout');
}

/** The key of a set of files (path, size, modification time, as scanned) decoded to a target. */
export function cacheKey(files: Array<{ file: string; size: number; mtimeMs: number }>, target: DecodeTarget, maxPixels: number): string {
  const h = createHash('sha256').update(JSON.stringify({ VERSION, target, maxPixels }));
  for (const f of files) h.update(`${f.file}\0${f.size}\0${f.mtimeMs}\n`);
  return h.digest('hex').slice(0, 24);
}

export function cacheFile(key: string): string {
  return path.join(cacheRoot(), 'decoded', `${key}.nspx`);
}

/** Appends decoded images to a new cache file; `finish` writes the header and makes the file visible. */
export class CacheWriter {
  private constructor(
    private readonly file: string,
    private readonly tmp: string,
    private readonly fh: Awaited<ReturnType<typeof open>>,
  ) {}

  static async create(file: string): Promise<CacheWriter> {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w');
    const pre = Buffer.alloc(8);
    pre.write(MAGIC, 0, 'ascii');
    pre.writeUInt32LE(VERSION, 4);
    await fh.write(pre);
    return new CacheWriter(file, tmp, fh);
  }

  async append(pixels: Uint8Array): Promise<void> {
    await this.fh.write(pixels);
  }

  async finish(header: CacheHeader): Promise<void> {
    const json = Buffer.from(JSON.stringify(header));
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(json.length, 0);
    trailer.write(MAGIC, 4, 'ascii');
    await this.fh.write(json);
    await this.fh.write(trailer);
    await this.fh.sync();
    await this.fh.close();
    await rename(this.tmp, this.file);
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}

/** Random access to a cache file's images; reads only the rows asked for. */
export class CacheReader {
  readonly header: CacheHeader;
  readonly imageSize: number;
  private readonly fd: number;
  private readonly dataOffset: number;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'r');
    const size = fstatSync(this.fd).size;
    const pre = Buffer.alloc(8);
    const trailer = Buffer.alloc(8);
    readSync(this.fd, pre, 0, 8, 0);
    readSync(this.fd, trailer, 0, 8, Math.max(0, size - 8));
    if (pre.toString('ascii', 0, 4) !== MAGIC || pre.readUInt32LE(4) !== VERSION || trailer.toString('ascii', 4, 8) !== MAGIC) {
      closeSync(this.fd);
      throw new Error(`${file} is not a complete NetSprout image cache of version ${VERSION}`);
    }
    const len = trailer.readUInt32LE(0);
    const json = Buffer.alloc(len);
    readSync(this.fd, json, 0, len, size - 8 - len);
    this.header = JSON.parse(json.toString('utf8')) as CacheHeader;
    this.imageSize = this.header.height * this.header.width * this.header.channels;
    this.dataOffset = 8;
    if (this.dataOffset + this.header.decoded.length * this.imageSize !== size - 8 - len) {
      closeSync(this.fd);
      throw new Error(`${file} is damaged (its size does not match its header)`);
    }
  }

  /** Pixels of the k-th cached image (k indexes `header.decoded`). */
  readInto(k: number, out: Uint8Array, at = 0): void {
    readSync(this.fd, out, at, this.imageSize, this.dataOffset + k * this.imageSize);
  }

  readAll(): Uint8Array {
    const out = new Uint8Array(this.header.decoded.length * this.imageSize);
    readSync(this.fd, out, 0, out.length, this.dataOffset);
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

export function openCache(file: string): CacheReader | null {
  if (!existsSync(file)) return null;
  try {
    return new CacheReader(file);
  } catch {
    return null;
  }
}
