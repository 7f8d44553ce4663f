import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { quadrantImages } from '../helpers/syntheticData.js';
import { runCli } from '../helpers/jobData.js';


const run = (args: string[]) => runCli(args, {}, 240_000);

const lastJson = (s: string) => JSON.parse(s.trim().split('\n').at(-1)!);

let root: string;
let data: string;
let checkpoint: string;

/** 4 classes of 12×12 RGB quadrant images as PNG class folders, and a model trained on them with --save. */
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'netsprout-export-'));
  data = path.join(root, 'data');
  const d = quadrantImages(160, 12, 3);
  for (let k = 0; k < 160; k++) {
    const dir = path.join(data, `q${d.y[k]}`);
    await mkdir(dir, { recursive: true });
    const px = Buffer.alloc(144 * 3);
    for (let i = 0; i < 144; i++) for (let c = 0; c < 3; c++) px[i * 3 + c] = Math.max(0, Math.min(255, Math.round(d.x[k * 144 + i] * 80 + 60 + 10 * c)));
    await sharp(px, { raw: { width: 12, height: 12, channels: 3 } }).png().toFile(path.join(dir, `${k}.png`));
  }
  checkpoint = path.join(root, 'ckpt');
  const r = await run(['train', '--data', data, '--arch', 'small-cnn', '--epochs', '12', '--augment', 'none', '--save', checkpoint, '--json']);
  expect(r.code, r.stderr).toBe(0);
}, 240_000);

describe('netsprout export and predict', () => {
  it('exports every format from a job folder, verified, with a model card, and predicts with the exported files', async () => {
    // A job folder as `netsprout search` leaves it: job.json, a journal with its summary, and final/.
    const job = path.join(root, 'job');
    await cp(checkpoint, path.join(job, 'final'), { recursive: true });
    await writeFile(path.join(job, 'job.json'), JSON.stringify({ version: 1, engineVersion: '0.1.0', data, budgetSeconds: 120, seed: 0, strategy: 'hill', maxParams: 3e6, createdAt: new Date().toISOString() }));
    await writeFile(path.join(job, 'journal.jsonl'), `${JSON.stringify({ type: 'done', summary: { jobDir: job, testAccuracy: 0.9, valAccuracy: 0.9, params: 1, candidates: 7, elapsedSeconds: 118.5, budgetSeconds: 120, bestId: 'c3' } })}\n`);
    const out = path.join(root, 'export');
    const r = await run(['export', job, '--format', 'keras,onnx,tfjs', '--out', out, '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const report = lastJson(r.stdout);
    expect(report.verification.sampleSource).toBe('validation');
    expect(report.verification.onnx.ok).toBe(true);
    expect(report.verification.onnx.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(report.verification.onnx.argmaxAgreement).toBe(1);
    expect(report.verification.tfjs.ok).toBe(true);
    expect(report.verification.keras.bitExact).toBe(true);
    expect(report.latency.medianMs).toBeGreaterThan(0);
    expect(report.testAccuracy).toBeGreaterThan(0.5);
    for (const f of ['model.keras', 'model.onnx', 'tfjs/model.json', 'preprocessing.json', 'architecture.svg', 'model-card.md', 'model-card.html', 'export.json']) expect(existsSync(path.join(out, f)), f).toBe(true);
    const card = readFileSync(path.join(out, 'model-card.md'), 'utf8');
    expect(card).toMatch(/Confusion matrix/);
    expect(card).toMatch(/\| Augmentation in training \| turned off by the user \|/);
    expect(card).toMatch(/hill strategy, budget 2\.0 min, used 2\.0 min, 7 candidates/);
    expect(card).toMatch(/keras\.saving\.load_model\("model\.keras"\)/);
    expect(card).toMatch(/ort\.InferenceSession\("model\.onnx"/);
    const html = readFileSync(path.join(out, 'model-card.html'), 'utf8');
    expect(html).toMatch(/<svg[^>]+aria-label="Network architecture/);
    expect(html).not.toMatch(/<script/);
    expect(html).not.toMatch(/(src|href)=["']https?:/);

    // The exported ONNX file takes raw pixels: predict with it, and with the job's own model, on the same files.
    const viaOnnx = await run(['predict', '--model', out, '--data', path.join(data, 'q1'), '--json']);
    const viaJob = await run(['predict', '--model', job, '--data', path.join(data, 'q1'), '--json']);
    expect(viaOnnx.code, viaOnnx.stderr).toBe(0);
    const a = viaOnnx.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const b = viaJob.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(a.length).toBeGreaterThan(10);
    expect(a.map((p) => [path.basename(p.file), p.label])).toEqual(b.map((p) => [path.basename(p.file), p.label]));
    for (let i = 0; i < a.length; i++) for (const c of Object.keys(a[i].probabilities)) expect(Math.abs(a[i].probabilities[c] - b[i].probabilities[c])).toBeLessThan(1e-4);
    expect(a.filter((p) => p.label === 'q1').length / a.length).toBeGreaterThan(0.5);

    const session = await ort.InferenceSession.create(path.join(out, 'model.onnx'));
    expect(session.inputNames.length).toBe(1);
    await session.release();
  }, 240_000);

  it('names a file it cannot read and goes on with the rest', async () => {
    const mixed = path.join(root, 'mixed');
    await mkdir(mixed, { recursive: true });
    await cp(path.join(data, 'q0', readdirSync(path.join(data, 'q0'))[0]), path.join(mixed, 'good.png'));
    await writeFile(path.join(mixed, 'broken.png'), Buffer.from('this is not a png'));
    const r = await run(['predict', '--model', checkpoint, '--data', mixed, '--json']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.file.endsWith('good.png'))?.label).toMatch(/^q[0-3]$/);
    expect(lines.find((l) => l.file.endsWith('broken.png'))?.error).toMatch(/cannot be decoded/);
  }, 120_000);

  it('refuses bad requests with what, where and how to fix, and leaves no half-written export', async () => {
    const bad = await run(['export', checkpoint, '--format', 'keras,pdf', '--out', path.join(root, 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Unknown export format: pdf/);
    expect(bad.stderr).toMatch(/How to fix: Use a comma-separated list of keras, onnx, tfjs/);
    const taken = path.join(root, 'taken');
    await mkdir(taken);
    await writeFile(path.join(taken, 'keep.txt'), 'mine');
    const exists = await run(['export', checkpoint, '--format', 'onnx', '--out', taken]);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toMatch(/already exists and is not an empty folder/);
    expect(readFileSync(path.join(taken, 'keep.txt'), 'utf8')).toBe('mine');
    const noJob = await run(['export', path.join(root, 'nothing-here'), '--out', path.join(root, 'y')]);
    expect(noJob.stderr).toMatch(/does not exist/);
    const job = path.join(root, 'job');
    const cand = await run(['export', job, '--candidate', 'c9', '--out', path.join(root, 'z')]);
    expect(cand.stderr).toMatch(/has no candidate c9/);
    expect(existsSync(path.join(root, 'z'))).toBe(false);
  }, 120_000);
});
