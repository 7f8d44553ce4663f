/**
 * Net2Wider (Chen et al. 2016; NeuNetS eqs. 2–3): a conv2d, separable conv, conv1d or dense layer gets more output
 * channels by replicating randomly chosen ones; every layer that shares the widened tensor through an add is widened
 * the same way, and the readers' incoming weights are divided by the number of copies.
 */
import type { SeededRandom } from '../train/seededRandom.js';
import { CHANNEL_PRODUCERS, addGroup, propagateChannels, remapLastAxis, type ChannelMap } from './channelMap.js';
import { MorphError, cloneState, layerOf, type ModelState, type MorphResult } from './modelState.js';

export function outputWidth(layer: ReturnType<typeof layerOf>): number {
  if (layer.type === 'dense') return layer.params.units;
  if (layer.type === 'conv2d' || layer.type === 'conv1d' || layer.type === 'separableConv2d') return layer.params.filters;
  throw new MorphError(`Layer "${layer.id}" (${layer.type}) cannot be widened.`);
}

/**
 * Gives `layerId` (and every producer added to it) the channels `g` of its `old` ones (g[j]: the original channel
 * that new channel j copies) and carries the change to the readers (Net2Wider's division by the number of copies).
 * Returns the producers changed together with `layerId`.
 */
export function remapProducerChannels(state: ModelState, layerId: string, old: number, g: ChannelMap): string[] {
  const group = addGroup(state, layerId);
  const visited = new Set<string>();
  for (const id of group) {
    const layer = layerOf(state.graph, id);
    if (outputWidth(layer) !== old) throw new MorphError(`Layer "${id}" is added to "${layerId}" but has a different width.`);
    const w = state.weights.get(id)!;
    switch (layer.type) {
      case 'conv2d':
      case 'conv1d':
      case 'dense':
        state.weights.set(id, w.map((arr) => remapLastAxis(arr, old, g)));
        if (layer.type === 'dense') layer.params.units = g.length;
        else layer.params.filters = g.length;
        break;
      case 'separableConv2d':
        state.weights.set(id, [w[0], ...w.slice(1).map((arr) => remapLastAxis(arr, old, g))]);
        layer.params.filters = g.length;
        break;
      default:
        throw new MorphError(`Layer "${id}" cannot change its width.`);
    }
  }
  // A group member may also read another member's output (a block between two adds): its input side is then
  // remapped as a reader; rows and columns of its weights change independently, so the order does not matter.
  for (const id of group) propagateChannels(state, id, old, g, visited);
  return group;
}

/**
 * Net2Wider's replication: `layerId` and the layers that share its tensor get `newWidth` channels, channel j a copy
 * of channel g[j] (the old channels first, then random ones), and every reader's weights remapped to match.
 */
export function widenByReplication(parent: ModelState, layerId: string, newWidth: number, rng: SeededRandom): { state: ModelState; old: number; g: ChannelMap; group: string[] } {
  const state = cloneState(parent);
  const target = layerOf(state.graph, layerId);
  if (!CHANNEL_PRODUCERS.has(target.type)) throw new MorphError(`Layer "${layerId}" (${target.type}) cannot be widened.`);
  const old = outputWidth(target);
  if (newWidth <= old) throw new MorphError(`Layer "${layerId}" already has ${old} channels; widening needs more than that.`);
  const g: ChannelMap = new Int32Array(newWidth);
  for (let j = 0; j < newWidth; j++) g[j] = j < old ? j : rng.int(old);
  return { state, old, g, group: remapProducerChannels(state, layerId, old, g) };
}

/** Widens `layerId` to `newWidth` channels. */
export function net2wider(parent: ModelState, layerId: string, newWidth: number, rng: SeededRandom): MorphResult {
  const { state, old, group } = widenByReplication(parent, layerId, newWidth, rng);
  return { ...state, record: { op: 'wider', layer: layerId, from: old, to: newWidth, together: group.filter((id) => id !== layerId) } };
}
