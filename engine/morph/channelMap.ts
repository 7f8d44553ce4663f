/**
 * Changing the channels of one tensor and carrying the change to every layer that reads it (the Auto-Keras
 * "effective area"): channel-wise layers (batch norm, activations, pooling, depthwise convolutions) are remapped
 * and passed through; concat and flatten translate the mapping; the next weighted layers (conv, separable conv,
 * conv1d, dense) take it in their incoming weights, divided by the number of copies of each original channel
 * (Net2Wider) so that the function is preserved. A mapping g gives for every new channel j the original channel it
 * copies, or −1 for a new channel whose outgoing weights are zero.
 */
import type { Layer } from '../graph/types.js';
import { MorphError, consumersOf, layerOf, shapesOf, type ModelState } from './modelState.js';

export type ChannelMap = Int32Array;

/** arr holds [outer, c] (channels last); returns [outer, g.length] with new[i, j] = arr[i, g[j]] or fill(j). */
export function remapLastAxis(arr: Float32Array, c: number, g: ChannelMap, fill: (j: number) => number = () => 0): Float32Array {
  const outer = arr.length / c;
  const out = new Float32Array(outer * g.length);
  for (let i = 0; i < outer; i++) for (let j = 0; j < g.length; j++) out[i * g.length + j] = g[j] >= 0 ? arr[i * c + g[j]] : fill(j);
  return out;
}

/** arr holds [outer, c, o]; returns [outer, g.length, o] with rows g[j] scaled by scale(j) (0 for new channels). */
export function remapSecondLastAxis(arr: Float32Array, c: number, o: number, g: ChannelMap, scale: (j: number) => number): Float32Array {
  const outer = arr.length / (c * o);
  const out = new Float32Array(outer * g.length * o);
  for (let i = 0; i < outer; i++) {
    for (let j = 0; j < g.length; j++) {
      if (g[j] < 0) continue;
      const s = scale(j);
      const src = (i * c + g[j]) * o;
      const dst = (i * g.length + j) * o;
      for (let k = 0; k < o; k++) out[dst + k] = arr[src + k] * s;
    }
  }
  return out;
}

export function copyCounts(g: ChannelMap, c: number): Int32Array {
  const n = new Int32Array(c);
  for (const x of g) if (x >= 0) n[x]++;
  return n;
}

/** The mapping of a depthwise layer's c·m outputs (channel j, multiplier k → j·m + k) from the mapping of its c inputs. */
function multiplierMap(g: ChannelMap, m: number): ChannelMap {
  const gm = new Int32Array(g.length * m);
  for (let j = 0; j < g.length; j++) for (let k = 0; k < m; k++) gm[j * m + k] = g[j] >= 0 ? g[j] * m + k : -1;
  return gm;
}

/**
 * A depthwise kernel [kh, kw, c, m] for the new channels: copies of the old channels' kernels, and for brand-new
 * channels a 1 at the centre pixel (they pass their input through).
 */
function remapDepthwiseKernel(kernel: Float32Array, kernelSize: [number, number], c: number, m: number, g: ChannelMap): Float32Array {
  const [kh, kw] = kernelSize;
  const centre = Math.floor(kh / 2) * kw + Math.floor(kw / 2);
  const out = remapLastAxis(kernel, c * m, multiplierMap(g, m), () => 0);
  for (let j = 0; j < g.length; j++) if (g[j] < 0) for (let k = 0; k < m; k++) out[centre * g.length * m + j * m + k] = 1;
  return out;
}

/** Layers that keep channels one to one (batch norm remaps its parameters). */
export const PASS_THROUGH = new Set(['batchNorm', 'activation', 'dropout', 'maxPool2d', 'avgPool2d', 'maxPool1d', 'avgPool1d', 'globalAvgPool', 'globalMaxPool']);
/** Layers whose output channels are set by their weights: they can be widened, and they end a propagation. */
export const CHANNEL_PRODUCERS = new Set(['conv2d', 'separableConv2d', 'conv1d', 'dense']);

/** Whether a change of `id`'s channels would reach an add (through channel-wise layers, concat or flatten). */
export function channelChangeReachesAdd(state: ModelState, id: string): boolean {
  const consumers = consumersOf(state.graph);
  const stack = [id];
  const seen = new Set<string>();
  while (stack.length) {
    for (const c of consumers.get(stack.pop()!) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      const t = layerOf(state.graph, c).type;
      if (t === 'add') return true;
      if (PASS_THROUGH.has(t) || t === 'depthwiseConv2d' || t === 'concat' || t === 'flatten') stack.push(c);
    }
  }
  return false;
}

/**
 * The producers that must change together with `producer` because their outputs meet in an add (through
 * channel-wise layers). Throws when an add partner is not a producer that can change.
 */
export function addGroup(state: ModelState, producer: string): string[] {
  const g = state.graph;
  const consumers = consumersOf(g);
  const group = new Set([producer]);
  const queue = [producer];
  const seenAdds = new Set<string>();
  const backToProducer = (id: string): string => {
    let l = layerOf(g, id);
    while (PASS_THROUGH.has(l.type) && l.type !== 'globalAvgPool' && l.type !== 'globalMaxPool') l = layerOf(g, l.inputs[0]);
    if (!CHANNEL_PRODUCERS.has(l.type)) throw new MorphError(`Layer "${id}" is added to a tensor that comes from "${l.id}" (${l.type}), which cannot change its channels.`);
    return l.id;
  };
  while (queue.length) {
    const start = queue.pop()!;
    const stack = [start];
    while (stack.length) {
      const id = stack.pop()!;
      for (const c of consumers.get(id) ?? []) {
        const l = layerOf(g, c);
        if (l.type === 'add') {
          if (seenAdds.has(c)) continue;
          seenAdds.add(c);
          for (const input of l.inputs) {
            const p = backToProducer(input);
            if (!group.has(p)) {
              group.add(p);
              queue.push(p);
            }
          }
          stack.push(c);
        } else if (PASS_THROUGH.has(l.type)) stack.push(c);
        else if ((l.type === 'concat' || l.type === 'depthwiseConv2d') && channelChangeReachesAdd(state, c)) {
          // The add's partners would need a matching change inside a concat or a depthwise block.
          throw new MorphError(`Changing "${producer}" would reach the add after "${c}" (${l.type}), which cannot be matched.`);
        }
      }
    }
  }
  return [...group];
}

/**
 * Carries a change of channels of `fromId`'s output (old count c, mapping g) to every layer downstream, up to and
 * including the next weighted layers. `visited` guards merges (an add reached from several producers).
 */
export function propagateChannels(state: ModelState, fromId: string, c: number, g: ChannelMap, visited = new Set<string>(), allowAdd = true): void {
  const graph = state.graph;
  if (graph.output === fromId) throw new MorphError(`"${fromId}" is the network's output; its width is the number of classes.`);
  const shapes = shapesOf(graph);
  const counts = copyCounts(g, c);
  const scale = (j: number) => (g[j] >= 0 ? 1 / counts[g[j]] : 0);
  for (const cid of consumersOf(graph).get(fromId) ?? []) {
    const layer: Layer = layerOf(graph, cid);
    if (visited.has(cid)) {
      // An add reached again gets the same mapping on every input (consistent); a concat reached through two of its
      // inputs would need both parts remapped at once, which this walk does not do.
      if (layer.type === 'concat') throw new MorphError(`The change of channels reaches the concat "${cid}" through two of its inputs.`);
      continue;
    }
    const w = state.weights.get(cid);
    switch (layer.type) {
      case 'batchNorm': {
        visited.add(cid);
        const defaults = [1, 0, 0, 1];
        state.weights.set(cid, w!.map((arr, k) => remapLastAxis(arr, c, g, () => defaults[k])));
        propagateChannels(state, cid, c, g, visited, allowAdd);
        break;
      }
      case 'activation':
      case 'dropout':
      case 'maxPool2d':
      case 'avgPool2d':
      case 'maxPool1d':
      case 'avgPool1d':
      case 'globalAvgPool':
      case 'globalMaxPool':
        visited.add(cid);
        propagateChannels(state, cid, c, g, visited, allowAdd);
        break;
      case 'add':
        if (!allowAdd) throw new MorphError(`The new channels would reach the add "${cid}", whose other inputs do not have them.`);
        visited.add(cid);
        propagateChannels(state, cid, c, g, visited, allowAdd);
        break;
      case 'depthwiseConv2d': {
        visited.add(cid);
        const m = layer.params.depthMultiplier;
        const gm = multiplierMap(g, m);
        const next = [remapDepthwiseKernel(w![0], layer.params.kernelSize, c, m, g)];
        if (layer.params.useBias) next.push(remapLastAxis(w![1], c * m, gm));
        state.weights.set(cid, next);
        propagateChannels(state, cid, c * m, gm, visited, allowAdd);
        break;
      }
      case 'concat': {
        visited.add(cid);
        // Widths before the change: the mapping's values index the concat's old output.
        const widths = layer.inputs.map((i) => (i === fromId ? c : shapes.get(i)!.at(-1)!));
        const total = widths.reduce((a, b) => a + b, 0);
        const parts: number[] = [];
        let offset = 0;
        layer.inputs.forEach((input, k) => {
          if (input === fromId) for (const x of g) parts.push(x >= 0 ? offset + x : -1);
          else for (let q = 0; q < widths[k]; q++) parts.push(offset + q);
          offset += widths[k];
        });
        propagateChannels(state, cid, total, Int32Array.from(parts), visited, allowAdd);
        break;
      }
      case 'flatten': {
        visited.add(cid);
        const positions = shapes.get(fromId)!.slice(0, -1).reduce((a, b) => a * b, 1);
        const gf = new Int32Array(positions * g.length);
        for (let p = 0; p < positions; p++) for (let j = 0; j < g.length; j++) gf[p * g.length + j] = g[j] >= 0 ? p * c + g[j] : -1;
        propagateChannels(state, cid, positions * c, gf, visited, allowAdd);
        break;
      }
      case 'conv2d':
      case 'conv1d':
      case 'dense': {
        const o = layer.type === 'dense' ? layer.params.units : layer.params.filters;
        state.weights.set(cid, [remapSecondLastAxis(w![0], c, o, g, scale), ...w!.slice(1)]);
        break;
      }
      case 'separableConv2d': {
        const m = layer.params.depthMultiplier;
        const gm = multiplierMap(g, m);
        const depthwise = remapDepthwiseKernel(w![0], layer.params.kernelSize, c, m, g);
        const countsM = copyCounts(gm, c * m);
        const pointwise = remapSecondLastAxis(w![1], c * m, layer.params.filters, gm, (j) => (gm[j] >= 0 ? 1 / countsM[gm[j]] : 0));
        state.weights.set(cid, [depthwise, pointwise, ...w!.slice(2)]);
        break;
      }
      default:
        throw new MorphError(`Cannot carry a change of channels into layer "${cid}" (${layer.type}).`);
    }
  }
}
