/**
 * Skip connections (NASH Types II and IV; NeuNetS eq. 8): from an earlier feature map to a later one, either added
 * through a zero-initialised 1×1 convolution, or concatenated as new channels whose outgoing weights are zero.
 * Where the resolutions differ, the skip path is average-pooled down to the later one.
 */
import type { Layer } from '../graph/types.js';
import { topologicalOrder } from '../graph/topology.js';
import { channelChangeReachesAdd, propagateChannels } from './channelMap.js';
import { MorphError, cloneState, freshId, insertChainAfter, shapesOf, type ModelState, type MorphResult } from './modelState.js';

function skipPath(state: ModelState, fromId: string, toId: string): { layers: Layer[]; end: string } {
  const shapes = shapesOf(state.graph);
  const [hs, ws] = shapes.get(fromId)!;
  const [ht, wt] = shapes.get(toId)!;
  const order = topologicalOrder(state.graph).map((l) => l.id);
  if (order.indexOf(fromId) >= order.indexOf(toId)) throw new MorphError(`"${fromId}" does not come before "${toId}".`);
  if (shapes.get(fromId)!.length !== 3 || shapes.get(toId)!.length !== 3) throw new MorphError('Skip connections join feature maps.');
  if (hs < ht || ws < wt) throw new MorphError(`"${fromId}" (${hs}×${ws}) is smaller than "${toId}" (${ht}×${wt}).`);
  if (hs === ht && ws === wt) return { layers: [], end: fromId };
  const fh = Math.ceil(hs / ht);
  const fw = Math.ceil(ws / wt);
  const id = freshId(state.graph, 'avgPool2d_m');
  const pool: Layer = { id, type: 'avgPool2d', params: { poolSize: [fh, fw], strides: [fh, fw], padding: hs % ht === 0 && ws % wt === 0 ? 'valid' : 'same' }, inputs: [fromId] };
  return { layers: [pool], end: id };
}

/** toId ← toId + conv1×1(pool(fromId)), the convolution's weights zero. */
export function addSkip(parent: ModelState, fromId: string, toId: string): MorphResult {
  const state = cloneState(parent);
  const path = skipPath(state, fromId, toId);
  state.graph.layers.push(...path.layers);
  const ct = shapesOf(state.graph).get(toId)![2];
  const cs = shapesOf(state.graph).get(fromId)![2];
  const convId = freshId(state.graph, 'conv2d_m');
  const addId = freshId(state.graph, 'add_m');
  state.graph.layers.push({ id: convId, type: 'conv2d', params: { filters: ct, kernelSize: [1, 1], strides: [1, 1], padding: 'same', dilation: [1, 1], useBias: false, activation: 'linear' }, inputs: [path.end] });
  insertChainAfter(state.graph, toId, [{ id: addId, type: 'add', params: {}, inputs: [toId, convId] }]);
  state.weights.set(convId, [new Float32Array(cs * ct)]);
  return { ...state, record: { op: 'skip-add', from: fromId, to: toId, layers: [...path.layers.map((l) => l.id), convId, addId] } };
}

/** toId ← concat(toId, pool(fromId)); the readers of toId get zero weights for the new channels. */
export function concatSkip(parent: ModelState, fromId: string, toId: string): MorphResult {
  if (channelChangeReachesAdd(parent, toId)) throw new MorphError(`New channels after "${toId}" would reach an add whose other inputs do not have them.`);
  const state = cloneState(parent);
  const path = skipPath(state, fromId, toId);
  state.graph.layers.push(...path.layers);
  const shapes = shapesOf(state.graph);
  const ct = shapes.get(toId)![2];
  const cs = shapes.get(fromId)![2];
  const catId = freshId(state.graph, 'concat_m');
  insertChainAfter(state.graph, toId, [{ id: catId, type: 'concat', params: {}, inputs: [toId, path.end] }]);
  const g = Int32Array.from({ length: ct + cs }, (_, j) => (j < ct ? j : -1));
  propagateChannels(state, catId, ct, g, new Set(), false);
  return { ...state, record: { op: 'skip-concat', from: fromId, to: toId, layers: [...path.layers.map((l) => l.id), catId] } };
}
