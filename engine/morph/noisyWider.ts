/**
 * Net2Wider with noise (Chen et al. 2016 §2.2; EAS): the new channels copy random old ones as in net2wider, and the
 * readers' incoming weights of the copies of a channel, which Net2Wider sets to equal shares, get Gaussian noise
 * that sums to zero over the copies. The copies carry the same values, so only the sum of their outgoing weights
 * matters: the function is preserved exactly, while the copies no longer get identical gradients (the symmetry
 * the noise is there to break). The noise's standard deviation is `ratio` times that of the reader's weights.
 * Readers reached through batch norm, activations, dropout and pooling get the noise; other paths (concat,
 * flatten, separable readers) keep the plain equal shares.
 */
import type { SeededRandom } from '../train/seededRandom.js';
import { PASS_THROUGH } from './channelMap.js';
import { consumersOf, layerOf, type ModelState, type MorphResult } from './modelState.js';
import { widenByReplication } from './net2wider.js';

/** The conv2d, conv1d and dense layers that read `id`'s channels one to one (through channel-wise layers). */
function directReaders(state: ModelState, id: string): string[] {
  const consumers = consumersOf(state.graph);
  const out: string[] = [];
  const stack = [id];
  const seen = new Set<string>();
  while (stack.length) {
    for (const c of consumers.get(stack.pop()!) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      const t = layerOf(state.graph, c).type;
      if (PASS_THROUGH.has(t)) stack.push(c);
      else if (t === 'conv2d' || t === 'conv1d' || t === 'dense') out.push(c);
    }
  }
  return out;
}

export function net2widerNoisy(parent: ModelState, layerId: string, newWidth: number, rng: SeededRandom, ratio = 1e-2): MorphResult {
  const { state, old, g, group } = widenByReplication(parent, layerId, newWidth, rng);
  // Copies of each original channel.
  const copies = new Map<number, number[]>();
  g.forEach((src, j) => copies.set(src, [...(copies.get(src) ?? []), j]));
  const replicated = [...copies.values()].filter((js) => js.length > 1);
  const readers = new Set(group.flatMap((id) => directReaders(state, id)));
  for (const readerId of readers) {
    const reader = layerOf(state.graph, readerId);
    const w = state.weights.get(readerId)!;
    const kernel = w[0].slice();
    const o = reader.type === 'dense' ? reader.params.units : reader.type === 'conv2d' || reader.type === 'conv1d' ? reader.params.filters : 0;
    const c = newWidth;
    if (!o || kernel.length % (c * o) !== 0) continue;
    let sum = 0;
    let sq = 0;
    for (const v of kernel) {
      sum += v;
      sq += v * v;
    }
    const sd = Math.sqrt(Math.max(0, sq / kernel.length - (sum / kernel.length) ** 2)) * ratio;
    if (!(sd > 0)) continue;
    const taps = kernel.length / (c * o);
    for (let t = 0; t < taps; t++) {
      for (const js of replicated) {
        for (let k = 0; k < o; k++) {
          const noise = js.map(() => rng.normal() * sd);
          const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
          js.forEach((j, q) => (kernel[(t * c + j) * o + k] += noise[q] - mean));
        }
      }
    }
    state.weights.set(readerId, [kernel, ...w.slice(1)]);
  }
  return { ...state, record: { op: 'wider', layer: layerId, from: old, to: newWidth, noise: ratio, together: group.filter((id) => id !== layerId) } };
}
