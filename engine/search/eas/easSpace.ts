/**
 * EAS's view of a network (Cai et al. 2018): the sequence of its layers as tokens (kind, kernel size, width level),
 * which layers the Net2Wider actor may widen, and the blocks (separated by pooling) into which the Net2Deeper actor
 * inserts a layer. Widths move along the paper's discrete levels; a new layer after a dense layer or the global
 * pooling is dense, elsewhere a convolution (kernel 1, 3 or 5, stride 1), initialised to the identity.
 */
import { topologicalOrder } from '../../graph/topology.js';
import type { Graph, Layer } from '../../graph/types.js';
import { insertConv, isReluOutput } from '../../morph/cellMorphs.js';
import { deeperDense } from '../../morph/deeper.js';
import { MorphError, consumersOf, layerOf, type ModelState, type MorphResult } from '../../morph/modelState.js';
import { net2widerNoisy } from '../../morph/noisyWider.js';
import type { SeededRandom } from '../../train/seededRandom.js';

export const CONV_WIDTHS = [16, 32, 64, 96, 128, 192, 256, 320, 384, 448, 512];
export const DENSE_WIDTHS = [64, 128, 256, 384, 512, 640, 768, 896, 1024];
export const DEEPER_KERNELS = [1, 3, 5] as const;
export const MAX_BLOCKS = 5;
export const MAX_INDEX = 10;
const KINDS = ['conv', 'separable', 'conv1d', 'dense', 'pool', 'gap', 'output'] as const;
export const VOCABULARY = KINDS.length * 4 * 12;

export interface EasBlock {
  /** Layers after which a new layer can go (a ReLU of the block, or the global pooling before the dense block). */
  points: string[];
  dense: boolean;
}

export interface EasView {
  tokens: number[];
  /** Per token: the layer Net2Wider would widen (null: not widenable). */
  widen: Array<string | null>;
  blocks: EasBlock[];
}

export function nextWidth(width: number, dense: boolean): number | null {
  return (dense ? DENSE_WIDTHS : CONV_WIDTHS).find((w) => w > width) ?? null;
}

/** The ReLU that follows a layer through batch norm (the block's insertion point), if any. */
function reluAfter(graph: Graph, consumers: Map<string, string[]>, id: string): string | null {
  if (isReluOutput(layerOf(graph, id))) return id;
  let current = id;
  for (let hops = 0; hops < 2; hops++) {
    const next = consumers.get(current) ?? [];
    if (next.length !== 1) return null;
    current = next[0];
    const l = layerOf(graph, current);
    if (isReluOutput(l)) return current;
    if (l.type !== 'batchNorm') return null;
  }
  return null;
}

function token(kind: (typeof KINDS)[number], kernel: number, width: number, dense: boolean): number {
  const levels = dense ? DENSE_WIDTHS : CONV_WIDTHS;
  const level = Math.min(11, levels.filter((w) => w <= width).length);
  const k = Math.min(3, Math.floor(kernel / 2));
  return (KINDS.indexOf(kind) * 4 + k) * 12 + level;
}

export function easView(graph: Graph): EasView {
  const consumers = consumersOf(graph);
  const tokens: number[] = [];
  const widen: Array<string | null> = [];
  const blocks: EasBlock[] = [{ points: [], dense: false }];
  const current = () => blocks[blocks.length - 1];
  const push = (t: number, w: string | null) => {
    tokens.push(t);
    widen.push(w);
  };
  for (const l of topologicalOrder(graph) as Layer[]) {
    switch (l.type) {
      case 'conv2d':
      case 'separableConv2d':
      case 'conv1d': {
        const kernel = l.type === 'conv1d' ? l.params.kernelSize : l.params.kernelSize[0];
        const width = l.params.filters;
        push(token(l.type === 'conv2d' ? 'conv' : l.type === 'conv1d' ? 'conv1d' : 'separable', kernel, width, false), nextWidth(width, false) ? l.id : null);
        const relu = reluAfter(graph, consumers, l.id);
        if (relu) current().points.push(relu);
        break;
      }
      case 'dense': {
        const out = l.id === graph.output;
        push(token(out ? 'output' : 'dense', 1, l.params.units, true), !out && nextWidth(l.params.units, true) ? l.id : null);
        if (!out) {
          current().dense = true;
          const relu = reluAfter(graph, consumers, l.id);
          if (relu) current().points.push(relu);
        }
        break;
      }
      case 'maxPool2d':
      case 'avgPool2d':
      case 'maxPool1d':
      case 'avgPool1d':
        push(token('pool', 1, 0, false), null);
        blocks.push({ points: [], dense: false });
        break;
      case 'globalAvgPool':
      case 'globalMaxPool':
      case 'flatten':
        push(token('gap', 1, 0, false), null);
        blocks.push({ points: [l.id], dense: true });
        break;
      default:
        break;
    }
  }
  return { tokens, widen, blocks: blocks.filter((b) => b.points.length).slice(0, MAX_BLOCKS).map((b) => ({ ...b, points: b.points.slice(0, MAX_INDEX) })) };
}

/** Net2Wider action: every chosen layer to its next width level (with noise that keeps the function). */
export function applyWider(state: ModelState, view: EasView, decisions: boolean[], rng: SeededRandom): { state: ModelState; records: MorphResult['record'][] } {
  const records: MorphResult['record'][] = [];
  decisions.forEach((d, i) => {
    const id = view.widen[i];
    if (!d || !id) return;
    const layer = layerOf(state.graph, id);
    const dense = layer.type === 'dense';
    const width = layer.type === 'dense' ? layer.params.units : 'filters' in layer.params ? (layer.params as { filters: number }).filters : 0;
    const to = nextWidth(width, dense);
    if (!to) return;
    try {
      const r = net2widerNoisy(state, id, to, rng);
      state = { graph: r.graph, weights: r.weights };
      records.push(r.record);
    } catch (e) {
      if (!(e instanceof MorphError)) throw e;
    }
  });
  return { state, records };
}

/** Net2Deeper action: an identity layer after point `index` of block `block` (dense in a dense block, else a convolution). */
export function applyDeeper(state: ModelState, view: EasView, block: number, index: number, kernel: number): MorphResult {
  const b = view.blocks[block];
  if (!b || index >= b.points.length) throw new MorphError(`Block ${block} has no insertion point ${index}.`);
  const at = b.points[index];
  if (b.dense) return deeperDense(state, at);
  return insertConv(state, at, kernel, false, false);
}
