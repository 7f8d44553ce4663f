/**
 * npm run bench:train [-- --json] [-- --batch-size 64] [-- --images 5000] [-- --rounds 5] [-- --cpu-images 192]
 * The reference CNN (three Conv-BN-ReLU blocks with pooling, global average pooling, dense; ~94K parameters) for one
 * epoch on 5,000 Fashion-MNIST training images on the engine's chosen backend and in PyTorch (Debian's python3-torch,
 * 2 threads), then on tfjs's pure-JS `cpu` backend (a few hundred images), with the same batch size and optimiser
 * (SGD, Nesterov momentum 0.9, weight decay 5e-4).
 *
 * The engine and PyTorch take turns: the epoch is cut into rounds, and in each round both train on the same slice of
 * images, one after the other (the order alternating between rounds), each keeping its model from round to round.
 * Whatever else the machine is doing then weighs on both sides of each round alike: the ratio reported is the
 * median of the rounds' ratios, the throughputs the images over the time of all rounds.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, useBackend } from '../engine/backend/ladder.js';
import { loadIdxFolder, type IdxSplit } from '../engine/data/idx.js';
import { idxToTensorData, pixelStats, type Normalisation } from '../engine/data/idxTensors.js';
import { referenceCnn } from '../engine/graph/presets.js';
import { GraphModel } from '../engine/train/graphModel.js';
import { train, type TensorData, type TrainConfig } from '../engine/train/trainer.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const PYTORCH_THREADS = 2;
const args = process.argv.slice(2);
const json = args.includes('--json');
const option = (name: string): number | undefined => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) || undefined : undefined);
const batchSize = option('--batch-size') ?? 64;
const count = option('--images') ?? 5000;
const rounds = Math.max(1, Math.min(option('--rounds') ?? 5, Math.floor(count / batchSize)));
const cpuImages = option('--cpu-images') ?? 3 * batchSize;
const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Measured {
  images: number;
  seconds: number;
}

/** PyTorch in a child process that keeps its model between rounds (pytorchReference.py --serve). */
class PytorchReference {
  private readonly lines: AsyncIterableIterator<string>;
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly version: string,
    lines: AsyncIterableIterator<string>,
  ) {
    this.lines = lines;
  }

  static async start(): Promise<PytorchReference> {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pytorchReference.py');
    const child = spawn('/usr/bin/python3', [script, FASHION, String(count), String(batchSize), String(PYTORCH_THREADS), '--serve']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) {
      await new Promise((resolve) => child.once('close', resolve));
      throw new Error(stderr.trim().split('\n').pop() || 'python3 exited');
    }
    const ready = JSON.parse(first.value) as { torch: string };
    return new PytorchReference(child, ready.torch, lines);
  }

  async train(start: number, n: number): Promise<Measured> {
    this.child.stdin.write(`train ${start} ${n}\n`);
    const line = await this.lines.next();
    if (line.done) throw new Error('the PyTorch process ended');
    const r = JSON.parse(line.value) as { seconds: number };
    return { images: n, seconds: r.seconds };
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** The engine on the active backend: one model trained on one slice after another, warmed up first. */
class EngineRun {
  private readonly model = GraphModel.create(referenceCnn(), 0);
  private readonly config: TrainConfig = { epochs: 1, batchSize, optimizer: 'sgd', lrStart: 0.05, lrEnd: 0, seed: 0 };

  async warmUp(data: TensorData): Promise<void> {
    // Operator creation and heap growth, not timed: two batches.
    await train(this.model, data, { ...this.config, maxBatchesPerEpoch: 2 });
  }

  async train(data: TensorData): Promise<Measured> {
    const result = await train(this.model, data, { ...this.config, maxBatchesPerEpoch: Math.ceil(data.y.length / batchSize) });
    return { images: result.samplesSeen, seconds: result.seconds };
  }

  dispose(): void {
    this.model.dispose();
  }
}

function slices(total: number, parts: number): Array<[number, number]> {
  return Array.from({ length: parts }, (_, r) => [Math.round((total * r) / parts), Math.round((total * (r + 1)) / parts)]);
}

async function tfjsCpuRate(train0: IdxSplit, indices: number[], norm: Normalisation): Promise<number> {
  await useBackend('cpu');
  const data = idxToTensorData(train0, indices.slice(0, cpuImages + 2 * batchSize), norm);
  const run = new EngineRun();
  await run.warmUp(data);
  const sub = idxToTensorData(train0, indices.slice(0, cpuImages), norm);
  const m = await run.train(sub);
  run.dispose();
  tf.dispose([data.x, sub.x]);
  return m.images / m.seconds;
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
  const parts = slices(count, rounds);
  const engineData = parts.map(([a, b]) => idxToTensorData(dataset.train, indices.slice(a, b), norm));
  if (!json) {
    log(`Reference CNN, ${count} Fashion-MNIST images, batch ${batchSize}, ${rounds} rounds of engine and PyTorch in turn.`);
    log(`Engine backend: ${choice.chosen} (${choice.threads} thread${choice.threads === 1 ? '' : 's'}): ${choice.backends.find((b) => b.name === choice.chosen)?.reason}.`);
  }

  let torch: PytorchReference | null = null;
  try {
    torch = await PytorchReference.start();
  } catch (e) {
    if (!json) log(`  PyTorch: not measured (${(e as Error).message.split('\n')[0]}); install python3-torch from Debian.`);
  }
  const engine = new EngineRun();
  await engine.warmUp(engineData[0]);
  const results: Array<{ images: number; engine: Measured; pytorch: Measured | null }> = [];
  for (let r = 0; r < rounds; r++) {
    const [a, b] = parts[r];
    let e: Measured;
    let p: Measured | null = null;
    if (r % 2 === 0 || !torch) {
      e = await engine.train(engineData[r]);
      if (torch) p = await torch.train(a, b - a);
    } else {
      p = await torch.train(a, b - a);
      e = await engine.train(engineData[r]);
    }
    results.push({ images: b - a, engine: e, pytorch: p });
    if (!json) {
      const rate = (m: Measured) => (m.images / m.seconds).toFixed(1);
      log(`  round ${r + 1}/${rounds}, images ${a}–${b - 1}: engine ${rate(e)} images/s${p ? `, PyTorch ${rate(p)} images/s, ratio ${(p.seconds / e.seconds * e.images / p.images).toFixed(3)}` : ''}`);
    }
  }
  torch?.close();
  engine.dispose();
  tf.dispose(engineData.map((d) => d.x));

  const total = (pick: (x: (typeof results)[number]) => Measured | null) => {
    const ms = results.map(pick).filter((m): m is Measured => m !== null);
    return ms.reduce((s, m) => s + m.images, 0) / ms.reduce((s, m) => s + m.seconds, 0);
  };
  const engineRate = total((x) => x.engine);
  const torchRate = torch ? total((x) => x.pytorch) : null;
  const ratios = torch ? results.map((x) => (x.engine.images / x.engine.seconds) / (x.pytorch!.images / x.pytorch!.seconds)) : [];
  if (!json) log(`  engine (${choice.chosen}): ${engineRate.toFixed(1)} images/s${torch ? `; PyTorch ${torch.version} (${PYTORCH_THREADS} threads): ${torchRate!.toFixed(1)} images/s` : ''}`);

  const cpuRate = await tfjsCpuRate(dataset.train, indices, norm);
  if (!json) log(`  tfjs cpu (pure JS): ${cpuRate.toFixed(1)} images/s (${cpuImages} images)`);

  const summary = {
    engine: { backend: choice.chosen, threads: choice.threads, samplesPerSec: Number(engineRate.toFixed(1)) },
    tfjsCpu: { samplesPerSec: Number(cpuRate.toFixed(2)) },
    pytorch: torch ? { samplesPerSec: Number(torchRate!.toFixed(1)), threads: PYTORCH_THREADS, version: torch.version } : null,
    batchSize,
    images: count,
    rounds: results.map((x, i) => ({
      images: x.images,
      engine: Number((x.engine.images / x.engine.seconds).toFixed(1)),
      pytorch: x.pytorch ? Number((x.pytorch.images / x.pytorch.seconds).toFixed(1)) : null,
      ratio: ratios.length ? Number(ratios[i].toFixed(3)) : null,
    })),
    engineVsTfjsCpu: Number((engineRate / cpuRate).toFixed(1)),
    engineVsPytorch: torch ? Number(median(ratios).toFixed(3)) : null,
  };
  if (json) log(JSON.stringify(summary));
  else log(`Engine is ${summary.engineVsTfjsCpu}× tfjs's cpu backend${torch ? ` and ${summary.engineVsPytorch} of PyTorch's throughput (median of ${rounds} rounds)` : ''}.`);
  return 0;
}

process.exitCode = await main();
