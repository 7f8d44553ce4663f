/**
 * Every morphism that applies to a network, and a random pick among them: what the search strategies draw from.
 */
import { topologicalOrder } from '../graph/topology.js';
import type { SeededRandom } from '../train/seededRandom.js';
import { CHANNEL_PRODUCERS } from './channelMap.js';
import { deeperConvBlock, deeperDense } from './deeper.js';
import { branchConv, widenKernel } from './kernelMorphs.js';
import { MorphError, shapesOf, type ModelState, type MorphRecord, type MorphResult } from './modelState.js';
import { net2wider } from './net2wider.js';
import { canRemoveLayer, narrowLayer, narrowerWidth, removeLayer, removeMergeInput, separableFromConv } from './shrink.js';
import { addSkip, concatSkip } from './skipConnections.js';

export interface MorphCandidate {
  op: string;
  describe: string;
  apply: (rng: SeededRandom) => MorphResult;
}

/**
 * The kind of change a morphism makes, as Auto-Keras groups its operations (deeper, wider, skip connection), with
 * NeuNetS's kernel widening counted as wider and its branching as a new path like a skip.
 */
export type MorphFamily = 'deeper' | 'wider' | 'skip';

export function morphFamily(op: string): MorphFamily {
  if (op.startsWith('deeper')) return 'deeper';
  if (op === 'wider' || op === 'widen-kernel') return 'wider';
  return 'skip';
}

/**
 * Removes one candidate from `options` and returns it: a family first, uniformly among those with candidates left,
 * then a candidate of that family, uniformly (Auto-Keras's `transform` draws the operation, then where to apply it).
 * Drawing among all candidates alike would give the pairs of layers a skip can join (their number grows with the
 * square of the depth) and the convolutions a branch can split most of the draws.
 */
export function takeByFamily(options: MorphCandidate[], rng: SeededRandom): MorphCandidate {
  if (!options.length) throw new MorphError('No morphism left to draw.');
  const families = [...new Set(options.map((o) => morphFamily(o.op)))];
  const family = families[rng.int(families.length)];
  const members = options.flatMap((o, i) => (morphFamily(o.op) === family ? [i] : []));
  return options.splice(members[rng.int(members.length)], 1)[0];
}

export function applicableMorphs(state: ModelState): MorphCandidate[] {
  const g = state.graph;
  const shapes = shapesOf(g);
  const order = topologicalOrder(g);
  const out: MorphCandidate[] = [];
  const reluMaps = order.filter((l) => shapes.get(l.id)!.length === 3 && l.type === 'activation' && l.params.fn === 'relu');
  for (const l of reluMaps) {
    for (const k of [3, 5] as const) out.push({ op: 'deeper-conv', describe: `Conv${k}-BN-ReLU after ${l.id}`, apply: () => deeperConvBlock(state, l.id, k) });
    out.push({ op: 'deeper-sepconv', describe: `SepConv3-BN-ReLU after ${l.id}`, apply: () => deeperConvBlock(state, l.id, 3, true) });
  }
  for (const l of order) {
    const shape = shapes.get(l.id)!;
    if (shape.length === 1 && l.id !== g.output && l.type !== 'input') out.push({ op: 'deeper-dense', describe: `identity dense after ${l.id}`, apply: () => deeperDense(state, l.id) });
    if (CHANNEL_PRODUCERS.has(l.type) && l.id !== g.output) {
      const width = shape[shape.length - 1];
      out.push({ op: 'wider', describe: `widen ${l.id} from ${width}`, apply: (rng) => net2wider(state, l.id, width * (rng.next() < 0.5 ? 2 : 1) + (rng.next() < 0.5 ? 0 : Math.max(1, Math.round(width / 2))), rng) });
    }
    if ((l.type === 'conv2d' || l.type === 'separableConv2d') && l.params.padding === 'same' && l.params.kernelSize[0] < 7 && l.params.kernelSize.every((k) => k % 2 === 1) && l.params.dilation.every((d) => d === 1)) {
      out.push({ op: 'widen-kernel', describe: `kernel of ${l.id} +2`, apply: () => widenKernel(state, l.id) });
    }
    if (l.type === 'conv2d' && l.params.filters >= 2) out.push({ op: 'branch', describe: `branch ${l.id}`, apply: () => branchConv(state, l.id) });
  }
  for (let i = 0; i < reluMaps.length; i++) {
    for (let j = i + 1; j < reluMaps.length; j++) {
      const a = reluMaps[i].id;
      const b = reluMaps[j].id;
      const [ha] = shapes.get(a)!;
      const [hb] = shapes.get(b)!;
      if (ha < hb) continue;
      out.push({ op: 'skip-add', describe: `add skip ${a} → ${b}`, apply: () => addSkip(state, a, b) });
      out.push({ op: 'skip-concat', describe: `concat skip ${a} → ${b}`, apply: () => concatSkip(state, a, b) });
    }
  }
  return out;
}

/** A k×k convolution from cin to cout channels has more weights than its separable version. */
function separableIsSmaller(taps: number, cin: number, cout: number): boolean {
  return taps * cin * cout > taps * cin + cin * cout;
}

/** Every shrinking operator (engine/morph/shrink.ts) that applies to a network. */
export function applicableShrinks(state: ModelState): MorphCandidate[] {
  const g = state.graph;
  const shapes = shapesOf(g);
  const out: MorphCandidate[] = [];
  for (const l of topologicalOrder(g)) {
    if (canRemoveLayer(state, l.id)) out.push({ op: 'remove-layer', describe: `remove ${l.id}`, apply: () => removeLayer(state, l.id) });
    if ((l.type === 'add' || l.type === 'concat') && l.inputs.length >= 2) {
      l.inputs.forEach((input, k) => out.push({ op: 'remove-input', describe: `remove ${input} from ${l.id}`, apply: () => removeMergeInput(state, l.id, k) }));
    }
    if (CHANNEL_PRODUCERS.has(l.type) && l.id !== g.output) {
      const width = shapes.get(l.id)!.at(-1)!;
      if (width >= 2) out.push({ op: 'narrow', describe: `narrow ${l.id} from ${width}`, apply: (rng) => narrowLayer(state, l.id, narrowerWidth(width, rng.next() < 0.5)) });
    }
    if (l.type === 'conv2d' && separableIsSmaller(l.params.kernelSize[0] * l.params.kernelSize[1], shapes.get(l.inputs[0])!.at(-1)!, l.params.filters)) out.push({ op: 'sepconv', describe: `${l.id} as a separable convolution`, apply: () => separableFromConv(state, l.id) });
  }
  return out;
}

/**
 * Applies one of `candidates` chosen uniformly at random; those that turn out not to apply are skipped. Throws a
 * MorphError saying `noneApplies` when none does.
 */
export function applyRandomCandidate(candidates: readonly MorphCandidate[], rng: SeededRandom, noneApplies: string): MorphResult {
  const left = [...candidates];
  while (left.length) {
    const [pick] = left.splice(rng.int(left.length), 1);
    try {
      return pick.apply(rng);
    } catch (e) {
      if (!(e instanceof MorphError)) throw e;
    }
  }
  throw new MorphError(noneApplies);
}

/** Applies one applicable shrinking operator chosen uniformly at random (those that turn out not to apply are skipped). */
export function randomShrink(state: ModelState, rng: SeededRandom): MorphResult {
  return applyRandomCandidate(applicableShrinks(state), rng, 'No shrinking operator applies to this network.');
}

/** Applies one applicable morphism chosen uniformly at random; morphisms that turn out not to apply are skipped. */
export function randomMorph(state: ModelState, rng: SeededRandom, ops?: Set<string>): MorphResult {
  return applyRandomCandidate(applicableMorphs(state).filter((c) => !ops || ops.has(c.op)), rng, 'No morphism applies to this network.');
}

/** Re-applies a recorded morphism or shrinking operator (same graph; Net2Wider draws its replicated channels from `rng` again). */
export function applyRecord(state: ModelState, record: MorphRecord, rng: SeededRandom): MorphResult {
  const r = record as Record<string, unknown>;
  switch (record.op) {
    case 'deeper-conv':
      return deeperConvBlock(state, String(r.after), r.kernel as 3 | 5);
    case 'deeper-sepconv':
      return deeperConvBlock(state, String(r.after), r.kernel as 3 | 5, true);
    case 'deeper-dense':
      return deeperDense(state, String(r.after));
    case 'wider':
      return net2wider(state, String(r.layer), Number(r.to), rng);
    case 'skip-add':
      return addSkip(state, String(r.from), String(r.to));
    case 'skip-concat':
      return concatSkip(state, String(r.from), String(r.to));
    case 'widen-kernel':
      return widenKernel(state, String(r.layer), (Number(r.to) - Number(r.from)) / 2);
    case 'branch':
      return branchConv(state, String(r.layer));
    case 'remove-layer':
      return removeLayer(state, String(r.layer));
    case 'remove-input':
      return removeMergeInput(state, String(r.layer), Number(r.index));
    case 'narrow':
      return narrowLayer(state, String(r.layer), Number(r.to));
    case 'sepconv':
      return separableFromConv(state, String(r.layer));
    default:
      throw new MorphError(`Unknown morphism "${record.op}".`);
  }
}
