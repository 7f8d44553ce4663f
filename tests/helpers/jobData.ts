import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { readJournal } from '../../engine/search/journal.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { quadrantImages } from './syntheticData.js';

export const BIN = path.resolve('bin/netsprout.mjs');

/** The bytes of an IDX file (unsigned bytes) of the given shape, as the MNIST-style files hold them. */
export function idxFile(shape: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** n images of 12×12 pixels in 4 class folders (the quadrant of a bright square), as PNG files. */
export async function quadrantFolder(n: number): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'netsprout-portfolio-'));
  const d = quadrantImages(n, 12, 5);
  for (let k = 0; k < n; k++) {
    const dir = path.join(root, `q${d.y[k]}`);
    await mkdir(dir, { recursive: true });
    const px = Buffer.from(Uint8Array.from(d.x.subarray(k * 144, (k + 1) * 144), (v) => Math.max(0, Math.min(255, Math.round(v * 80 + 60)))));
    await sharp(px, { raw: { width: 12, height: 12, channels: 1 } }).toColourspace('b-w').png().toFile(path.join(dir, `${k}.png`));
  }
  return root;
}

/** A text CSV of two classes told apart by their words, with noise words. */
export async function reviewsCsv(n: number): Promise<string> {
  const rng = makeRandom(3);
  const good = ['lovely', 'wonderful', 'great', 'superb', 'happy', 'fine'];
  const bad = ['awful', 'terrible', 'poor', 'sad', 'broken', 'dull'];
  const filler = ['the', 'day', 'was', 'and', 'it', 'food', 'room', 'staff', 'very', 'quite'];
  const rows = ['text,label'];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const words = Array.from({ length: 12 }, () => (rng.next() < 0.3 ? (label ? good : bad)[rng.int(6)] : filler[rng.int(filler.length)]));
    rows.push(`"${words.join(' ')}",${label ? 'good' : 'bad'}`);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-portfolio-text-'));
  const f = path.join(dir, 'reviews.csv');
  await writeFile(f, rows.join('\n'));
  return f;
}

/** Runs `netsprout <args>` to its end (or kills it after timeoutMs) and gives its exit code and output. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 180_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: timeoutMs, env: { ...process.env, ...env } }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}

/**
 * Starts `netsprout <args>` and kills it with SIGKILL once its job journal holds `candidates` candidate events (or
 * fails after `withinMs`); resolves when the process has exited.
 */
export async function killAfterCandidates(args: string[], journal: string, candidates: number, withinMs: number, env: Record<string, string> = {}): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore', env: { ...process.env, ...env } });
  const exited = new Promise((r) => child.once('exit', r));
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      const n = existsSync(journal) ? readJournal(journal).events.filter((e) => e.type === 'candidate').length : 0;
      if (n >= candidates) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      } else if (Date.now() - started > withinMs) {
        clearInterval(timer);
        child.kill('SIGKILL');
        reject(new Error(`fewer than ${candidates} candidates within ${withinMs / 1000} s`));
      }
    }, 50);
  });
  await exited;
}
