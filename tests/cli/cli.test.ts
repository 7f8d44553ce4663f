import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { quadrantImages } from '../helpers/syntheticData.js';
import { idxFile, reviewsCsv, runCli as run } from '../helpers/jobData.js';

/** An IDX folder of 12×12 quadrant images (train and t10k), gzipped like the published files. */
async function idxFolder(n: number): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-idx-'));
  for (const [prefix, count, seed] of [['train', n, 1], ['t10k', 100, 2]] as const) {
    const d = quadrantImages(count, 12, seed);
    const bytes = Uint8Array.from(d.x, (v) => Math.max(0, Math.min(255, Math.round(v * 80 + 60))));
    await writeFile(path.join(dir, `${prefix}-images-idx3-ubyte.gz`), gzipSync(idxFile([count, 12, 12], bytes)));
    await writeFile(path.join(dir, `${prefix}-labels-idx1-ubyte.gz`), gzipSync(idxFile([count], Uint8Array.from(d.y))));
  }
  return dir;
}

describe('netsprout CLI', () => {
  it('inspect --json gives the summary and the findings; the exit code says whether the data is usable', async () => {
    const good = await run(['inspect', 'assets/sample/fashion-mnist', '--json']);
    expect(good.code).toBe(0);
    const summary = JSON.parse(good.stdout);
    expect(summary).toMatchObject({ kind: 'images', usable: true, examples: 2500, findings: [] });
    expect(summary.classes).toHaveLength(10);
    expect(summary.classes[0]).toEqual({ name: 'Ankle_boot', count: 250, train: 200, test: 50 });
    expect(summary.images.workingResolution).toEqual({ height: 28, width: 28, channels: 1 });
    const bad = await run(['inspect', '/no/such/data', '--json']);
    expect(bad.code).toBe(3);
    expect(JSON.parse(bad.stdout).findings).toEqual([
      { severity: 'error', code: 'MISSING_PATH', message: '/no/such/data does not exist.', hint: expect.any(String), files: ['/no/such/data'] },
    ]);
    const human = await run(['inspect', '/no/such/data']);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain('Error [MISSING_PATH]: /no/such/data does not exist.');
    expect(human.stdout).toContain('How to fix:');
  });

  it('inspect --target-column names the column to predict in a table (--target, its earlier name, too)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-table-'));
    const csv = path.join(dir, 'plants.csv');
    const rows = ['kind,height,colour'];
    for (let i = 0; i < 40; i++) rows.push(`${i % 2 ? 'tall' : 'short'},${i % 2 ? 30 + i : 5 + i / 10},${i % 3 ? 'green' : 'red'}`);
    await writeFile(csv, rows.join('\n'));
    for (const flag of ['--target-column', '--target']) {
      const r = await run(['inspect', csv, flag, 'kind', '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.table.target).toBe('kind');
      expect(summary.classes.map((c: { name: string }) => c.name).sort()).toEqual(['short', 'tall']);
    }
    // Without it, the last column is the one to predict.
    expect(JSON.parse((await run(['inspect', csv, '--json'])).stdout).table.target).toBe('colour');
  });

  it('train reads an image folder with train/ and test/ folders', async () => {
    const r = await run(['train', '--data', 'assets/sample/fashion-mnist', '--arch', 'small-cnn', '--epochs', '3', '--batch-size', '32', '--limit', '400', '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'start', kind: 'images', train: 400, test: 500 });
    expect(lines[0].classes).toContain('Sneaker');
    // Ten classes: chance is 10%.
    expect(lines.pop().testAccuracy).toBeGreaterThan(0.3);
  });

  it('backends --json lists the ladder and the chosen backend on the last line', async () => {
    const r = await run(['backends', '--json']);
    expect(r.code).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last.chosen).toBe('wasm');
    expect(last.backends.map((b: { name: string }) => b.name)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
    for (const b of last.backends) expect(typeof b.reason).toBe('string');
    expect(last.backends.find((b: { name: string }) => b.name === 'wasm').available).toBe(true);
  });

  it('backends honours --backend and NETSPROUT_BACKEND', async () => {
    const flag = JSON.parse((await run(['backends', '--json', '--backend', 'cpu'])).stdout.trim().split('\n').pop()!);
    expect(flag.chosen).toBe('cpu');
    const env = JSON.parse((await run(['backends', '--json'], { NETSPROUT_BACKEND: 'cpu' })).stdout.trim().split('\n').pop()!);
    expect(env.chosen).toBe('cpu');
    const bad = await run(['backends', '--backend', 'tpu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown compute backend "tpu"');
    expect(bad.stderr).toContain('How to fix');
  });

  it('train --json trains, reports loss, accuracy and time, and saves a checkpoint', async () => {
    const data = await idxFolder(400);
    const save = path.join(data, 'ckpt');
    const r = await run(['train', '--data', data, '--arch', 'small-cnn', '--epochs', '3', '--batch-size', '32', '--json', '--save', save]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'start', backend: 'wasm', train: 360, validation: 40, optimizer: 'sgd', lrStart: 0.05 });
    expect(lines.filter((l) => l.event === 'epoch')).toHaveLength(3);
    const summary = lines.pop();
    expect(summary).toMatchObject({ backend: 'wasm', epochs: 3, cancelled: false, checkpoint: save });
    expect(summary.testAccuracy).toBeGreaterThan(0.8);
    expect(summary.seconds).toBeGreaterThan(0);
    expect(summary.samplesPerSec).toBeGreaterThan(0);
    expect(existsSync(path.join(save, 'weights.bin'))).toBe(true);
  });

  it('train takes an architecture file', async () => {
    const data = await idxFolder(64);
    const arch = path.join(data, 'graph.json');
    const { smallCnn } = await import('../../engine/graph/presets.js');
    await writeFile(arch, JSON.stringify(smallCnn([12, 12, 1], 4)));
    const r = await run(['train', '--data', data, '--arch', arch, '--epochs', '1', '--json']);
    expect(r.code).toBe(0);
    // conv 3·3·1·16 + BN 4·16 + conv 3·3·16·32 + BN 4·32 + dense 32·4 + 4
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).params).toBe(144 + 64 + 4608 + 128 + 132);
  });

  it('train picks Adam for text by default (SGD for images), and keeps an optimizer that is asked for', async () => {
    const csv = await reviewsCsv(200);
    const auto = await run(['train', '--data', csv, '--epochs', '5', '--json']);
    expect(auto.code).toBe(0);
    const lines = auto.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'start', kind: 'text', optimizer: 'adam', lrStart: 0.002 });
    expect(lines.pop().valAccuracy).toBeGreaterThan(0.8);
    const sgd = await run(['train', '--data', csv, '--epochs', '1', '--optimizer', 'sgd', '--lr', '0.01', '--json']);
    expect(JSON.parse(sgd.stdout.trim().split('\n')[0])).toMatchObject({ optimizer: 'sgd', lrStart: 0.01 });
    const bad = await run(['train', '--data', csv, '--optimizer', 'rmsprop']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--optimizer must be auto, sgd or adam, got "rmsprop"');
  });

  it('says what is wrong, where, and how to fix it, without a stack trace', async () => {
    const missing = await run(['train', '--data', '/nonexistent/folder', '--arch', 'reference-cnn']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/folder does not exist.');
    expect(missing.stderr).toContain('How to fix:');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const data = await idxFolder(32);
    const badArch = await run(['train', '--data', data, '--arch', 'resnet-9000', '--json']);
    expect(badArch.code).toBe(2);
    expect(JSON.parse(badArch.stdout.trim()).error.code).toBe('ARCH_UNKNOWN_PRESET');
    const badEpochs = await run(['train', '--data', data, '--arch', 'small-cnn', '--epochs', 'many']);
    expect(badEpochs.code).toBe(2);
    expect(badEpochs.stderr).toContain('--epochs must be a positive whole number, got "many"');
    const corrupt = path.join(data, 'train-images-idx3-ubyte.gz');
    await writeFile(corrupt, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    const r = await run(['train', '--data', data, '--arch', 'small-cnn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('train-images-idx3-ubyte.gz is a damaged gzip file');
  });
});
