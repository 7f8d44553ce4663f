/**
 * npm run bench:export [-- --json]
 * Exports a set of networks (the reference CNN, a grown net with add and concat skips and a separable conv, a
 * conv stack with a flatten head, a text CNN, a table MLP) with random weights in every format through
 * `exportModel` (which verifies each file against the engine), reports the verification figures, the ONNX latency
 * and the export time, then runs bench/checkExports.py (Debian's python3-onnx and python3-h5py: onnx.checker and
 * the .keras HDF5 tree) on every export.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../engine/backend/ladder.js';
import type { PreprocessSpec } from '../engine/data/preprocessSpec.js';
import { exportModel } from '../engine/export/exportModel.js';
import { GraphBuilder } from '../engine/graph/builder.js';
import { mlp, referenceCnn, textCnn } from '../engine/graph/presets.js';
import type { Graph } from '../engine/graph/types.js';
import { saveCheckpoint } from '../engine/train/checkpoint.js';
import { GraphModel } from '../engine/train/graphModel.js';

const json = process.argv.includes('--json');
const log = (s: string) => !json && process.stdout.write(`${s}\n`);

function grownNet(): Graph {
  const b = new GraphBuilder();
  let x = b.input([32, 32, 3]);
  x = b.convBnRelu(x, 16);
  const skip = x;
  x = b.activation(b.batchNorm(b.separableConv2d(x, 16, 3, { useBias: false })), 'relu');
  x = b.addLayers([x, skip]);
  x = b.maxPool2d(x);
  const branch = b.convBnRelu(x, 8);
  x = b.concat([b.convBnRelu(x, 24), branch]);
  x = b.activation(b.depthwiseConv2d(x, 5, { depthMultiplier: 2 }), 'relu');
  x = b.globalAvgPool(x);
  return b.build(b.dense(x, 10, 'softmax'));
}

function flattenHead(): Graph {
  const b = new GraphBuilder();
  let x = b.input([28, 28, 1]);
  x = b.maxPool2d(b.convBnRelu(x, 8));
  x = b.maxPool2d(b.convBnRelu(x, 16));
  x = b.activation(b.dense(b.flatten(x), 32), 'relu');
  return b.build(b.dense(b.dropout(x, 0.2), 10, 'softmax'));
}

const names = (n: number, p: string) => Array.from({ length: n }, (_, k) => `${p}${k}`);
const imageSpec = (h: number, w: number, c: 1 | 3): PreprocessSpec => ({ kind: 'images', version: 1, height: h, width: w, channels: c, fit: 'pad', mean: Array(c).fill(120), std: Array(c).fill(60), classes: names(10, 'class '), augment: { cropPadding: 0, flip: false, reason: 'benchmark' } });
const cases: Array<{ name: string; graph: Graph; spec: PreprocessSpec }> = [
  { name: 'reference-cnn', graph: referenceCnn(), spec: imageSpec(28, 28, 1) },
  { name: 'grown-skips', graph: grownNet(), spec: imageSpec(32, 32, 3) },
  { name: 'flatten-head', graph: flattenHead(), spec: imageSpec(28, 28, 1) },
  {
    name: 'text-cnn',
    graph: textCnn(60, 500, 3),
    spec: { kind: 'text', version: 1, lowercase: true, normalisation: 'NFKC', tokenPattern: '[\\p{L}\\p{N}]+', vocabulary: names(498, 'w'), padId: 0, unknownId: 1, sequenceLength: 60, truncate: 'end', classes: names(3, 'c') },
  },
  {
    name: 'table-mlp',
    graph: mlp([12], 4, [32, 16]),
    spec: { kind: 'table', version: 1, target: 'y', classes: names(4, 'c'), width: 12, columns: names(12, 'x').map((name) => ({ kind: 'numeric' as const, name, mean: 0, std: 1, impute: { strategy: 'median' as const, value: 0 } })) },
  },
];

await initBackend();
const root = await mkdtemp(path.join(os.tmpdir(), 'netsprout-bench-export-'));
const results = [];
for (const c of cases) {
  const ckpt = path.join(root, `${c.name}-checkpoint`);
  const model = GraphModel.create(c.graph, 1);
  await saveCheckpoint(ckpt, c.graph, model.allWeights(), c.spec);
  model.dispose();
  const t = performance.now();
  const r = await exportModel({ model: ckpt, formats: ['keras', 'onnx', 'tfjs'], outDir: path.join(root, c.name) });
  const seconds = (performance.now() - t) / 1000;
  results.push({ name: c.name, params: r.params, seconds: Number(seconds.toFixed(2)), onnx: r.verification.onnx, tfjs: r.verification.tfjs, keras: r.verification.keras, latencyMs: r.latency?.medianMs, outDir: r.outDir });
  log(`${c.name.padEnd(14)} ${String(r.params).padStart(7)} params  export ${seconds.toFixed(2)} s  ONNX max|Δp| ${r.verification.onnx!.maxAbsDiff.toExponential(2)}  TF.js max|Δp| ${r.verification.tfjs!.maxAbsDiff.toExponential(2)}  .keras ${r.verification.keras!.variables} variables bit-exact: ${r.verification.keras!.bitExact}  ONNX latency ${r.latency!.medianMs.toFixed(3)} ms`);
}
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'checkExports.py');
let checks: unknown[] = [];
try {
  const out = execFileSync('/usr/bin/python3', [script, ...results.map((r) => r.outDir)], { encoding: 'utf8' });
  checks = out.trim().split('\n').map((l) => JSON.parse(l));
} catch (e) {
  const err = e as { stdout?: string; message: string };
  checks = (err.stdout ?? '').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  if (!checks.length) log(`Python checks not run (${err.message.split('\n')[0]}); install python3-onnx and python3-h5py from Debian.`);
}
for (const c of checks as Array<{ folder: string; onnx: { ok: boolean; ir_version?: number; opset?: unknown; error?: string }; keras: { ok: boolean; h5_tree?: string[]; error?: string } }>) {
  log(`\n${path.basename(c.folder)}: onnx.checker ${c.onnx.ok ? `passed (IR ${c.onnx.ir_version}, opset ${JSON.stringify(c.onnx.opset)})` : `FAILED: ${c.onnx.error}`}; .keras ${c.keras.ok ? 'read by h5py' : `FAILED: ${c.keras.error}`}`);
  if (c.keras.h5_tree) for (const row of c.keras.h5_tree) log(`    ${row}`);
}
if (json) process.stdout.write(`${JSON.stringify({ results, checks })}\n`);
