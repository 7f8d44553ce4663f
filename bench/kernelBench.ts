/**
 * npm run bench:kernels [-- --batch 64] [-- --size 28] [-- --channels 16] [-- --rounds 7]
 * The data-movement kernels that morphed networks lean on, on the WASM backend with NetSprout's kernels and with the
 * backend's own (NETSPROUT_SIMD_KERNELS=off in the same process): a concatenation of two feature maps along the
 * channels (a branch or concat-skip morphism), its gradient (a SplitV), and an elementwise addition of the same
 * tensors beside them for scale. Each figure is the median of the rounds' mean milliseconds, the two settings taking
 * turns round by round so that whatever else the machine does weighs on both alike.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../engine/backend/ladder.js';
import { setSimdKernelsEnabled } from '../engine/backend/wasmKernels/simdKernels.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) || fallback : fallback);
const batch = option('--batch', 64);
const side = option('--size', 28);
const channels = option('--channels', 16);
const rounds = option('--rounds', 7);
const repeats = 10;

const choice = await initBackend('wasm');
if (choice.chosen !== 'wasm') throw new Error(`the WASM backend did not load: ${choice.chosen} was chosen`);
const shape = [batch, side, side, channels];
const a = tf.randomNormal(shape);
const b = tf.randomNormal(shape);
const dy = tf.randomNormal([batch, side, side, 2 * channels]);
const concatGrad = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.concat([x, y], 3));
const cases: Record<string, () => tf.Tensor | tf.Tensor[]> = {
  'concat (channels)': () => tf.concat([a, b], 3),
  'concat gradient': () => concatGrad([a, b], dy),
  'split (channels)': () => tf.split(dy, [channels, channels], 3),
  'add (for scale)': () => tf.add(a, b),
};

function meanMs(f: () => tf.Tensor | tf.Tensor[]): number {
  const t0 = performance.now();
  for (let i = 0; i < repeats; i++) {
    const r = f();
    for (const t of Array.isArray(r) ? r : [r]) t.dataSync();
    tf.dispose(r);
  }
  return (performance.now() - t0) / repeats;
}

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const times: Record<string, { ours: number[]; stock: number[] }> = {};
for (const [name, f] of Object.entries(cases)) {
  times[name] = { ours: [], stock: [] };
  for (const on of [true, false]) {
    setSimdKernelsEnabled(on);
    for (let i = 0; i < 3; i++) tf.dispose(f());
  }
  for (let r = 0; r < rounds; r++) {
    for (const on of r % 2 ? [false, true] : [true, false]) {
      setSimdKernelsEnabled(on);
      times[name][on ? 'ours' : 'stock'].push(meanMs(f));
    }
  }
}
setSimdKernelsEnabled(true);
console.log(`WASM backend, tensors [${shape.join(', ')}] float32, ${rounds} rounds of ${repeats}; milliseconds a call (median of rounds)`);
console.log(`${'kernel'.padEnd(20)} ${'NetSprout'.padStart(10)} ${'stock'.padStart(10)} ${'speed-up'.padStart(9)}`);
for (const [name, t] of Object.entries(times)) {
  const ours = median(t.ours);
  const stock = median(t.stock);
  console.log(`${name.padEnd(20)} ${ours.toFixed(2).padStart(10)} ${stock.toFixed(2).padStart(10)} ${(stock / ours).toFixed(2).padStart(8)}×`);
}
