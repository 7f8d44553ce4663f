/**
 * npm run bench:train [-- --json] [-- --batch-size 64]
 * The reference CNN (three Conv-BN-ReLU blocks with pooling, global average pooling, dense; ~94K parameters) for one
 * epoch on 5,000 Fashion-MNIST training images on the engine's chosen backend, on tfjs's pure-JS `cpu` backend (a few
 * hundred images), and in PyTorch (Debian's python3-torch, 2 threads), all in one run, with the same batch size and
 * optimiser (SGD, Nesterov momentum 0.9, weight decay 5e-4).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, useBackend } from '../engine/backend/ladder.js';
import { loadIdxFolder } from '../engine/data/idx.js';
import { idxToTensorData, pixelStats } from '../engine/data/idxTensors.js';
import { referenceCnn } from '../engine/graph/presets.js';
import { GraphModel } from '../engine/train/graphModel.js';
import { train, type TensorData } from '../engine/train/trainer.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const args = process.argv.slice(2);
const json = args.includes('--json');
const batchSize = Number(args[args.indexOf('--batch-size') + 1]) || 64;
const count = Number(args[args.indexOf('--images') + 1]) || 5000;
const cpuImages = 3 * batchSize;
const log = (line: string) => process.stdout.write(`${line}\n`);

async function throughput(data: TensorData, images: number): Promise<number> {
  const model = GraphModel.create(referenceCnn(), 0);
  const config = { epochs: 1, batchSize, optimizer: 'sgd' as const, lrStart: 0.05, lrEnd: 0, seed: 0 };
  // Warm-up (operator creation, heap growth), not timed: two batches.
  await train(model, data, { ...config, maxBatchesPerEpoch: 2 });
  const n = Math.min(images, data.y.length);
  const result = await train(model, data, { ...config, maxBatchesPerEpoch: Math.ceil(n / batchSize) });
  model.dispose();
  return result.samplesPerSec;
}

async function main(): Promise<number> {
  if (!existsSync(FASHION)) {
    log(`Fashion-MNIST is not installed (${FASHION} is missing): install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) and run again.`);
    return 2;
  }
  const dataset = await loadIdxFolder(FASHION);
  const indices = Array.from({ length: count }, (_, i) => i);
  const norm = pixelStats(dataset.train, indices);
  const choice = await initBackend();
  const engineData = idxToTensorData(dataset.train, indices, norm);
  if (!json) log(`Reference CNN, ${count} Fashion-MNIST images, batch ${batchSize}. Engine backend: ${choice.chosen} (${choice.threads} thread${choice.threads === 1 ? '' : 's'}).`);
  const engineRate = await throughput(engineData, count);
  tf.dispose(engineData.x);
  if (!json) log(`  engine (${choice.chosen}):    ${engineRate.toFixed(1)} images/s`);

  await useBackend('cpu');
  const cpuData = idxToTensorData(dataset.train, indices.slice(0, cpuImages + 2 * batchSize), norm);
  const cpuRate = await throughput(cpuData, cpuImages);
  tf.dispose(cpuData.x);
  if (!json) log(`  tfjs cpu (pure JS): ${cpuRate.toFixed(1)} images/s (${cpuImages} images)`);

  let torch: { samplesPerSec: number; threads: number; torch: string } | null = null;
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pytorchReference.py');
  try {
    const out = execFileSync('/usr/bin/python3', [script, FASHION, String(count), String(batchSize), '2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    torch = JSON.parse(out.trim().split('\n').pop()!);
    if (!json) log(`  PyTorch ${torch!.torch} (2 threads): ${torch!.samplesPerSec.toFixed(1)} images/s`);
  } catch (e) {
    if (!json) log(`  PyTorch: not measured (${(e as Error).message.split('\n')[0]}); install python3-torch from Debian.`);
  }
  const summary = {
    engine: { backend: choice.chosen, threads: choice.threads, samplesPerSec: Number(engineRate.toFixed(1)) },
    tfjsCpu: { samplesPerSec: Number(cpuRate.toFixed(2)) },
    pytorch: torch ? { samplesPerSec: Number(torch.samplesPerSec.toFixed(1)), threads: torch.threads, version: torch.torch } : null,
    batchSize,
    images: count,
    engineVsTfjsCpu: Number((engineRate / cpuRate).toFixed(1)),
    engineVsPytorch: torch ? Number((engineRate / torch.samplesPerSec).toFixed(3)) : null,
  };
  if (json) log(JSON.stringify(summary));
  else log(`Engine is ${summary.engineVsTfjsCpu}× tfjs's cpu backend${torch ? ` and ${summary.engineVsPytorch} of PyTorch's throughput` : ''}.`);
  return 0;
}

process.exitCode = await main();
