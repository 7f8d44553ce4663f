/**
 * Networks of neuro-cells (NeuNetS §4.1.1, Fig. 5): a stem, cells that share one structure separated by pooling,
 * and a head (global pooling, a hidden dense layer, the classifier). Every layer of cell k has an id
 * `cell<k>_<local>`; a mutation is drawn once, by local name, and applied to every cell, so that the cells stay
 * identical in structure (their widths follow their stage). All mutations are function-preserving.
 */
import { NetSproutError } from '../errors.js';
import { GraphBuilder } from '../graph/builder.js';
import { topologicalOrder } from '../graph/topology.js';
import type { Graph, Layer } from '../graph/types.js';
import { insertConv, insertResidualConv, isReluOutput, renameLayers, widenAnyKernel } from '../morph/cellMorphs.js';
import { branchConv } from '../morph/kernelMorphs.js';
import { MorphError, layerOf, type ModelState, type MorphRecord } from '../morph/modelState.js';
import { net2wider } from '../morph/net2wider.js';
import type { SeededRandom } from '../train/seededRandom.js';

const CELL = /^cell(\d+)_(.+)$/;

/** The kinds of mutation (NeuNetS: insert (separable) convolution, branch and insert, insert skip, alter filters, alter units, alter kernel size). */
export const CELL_MUTATIONS = ['insert-conv', 'branch-insert', 'insert-skip', 'alter-filters', 'alter-units', 'alter-kernel'] as const;
export type CellMutation = (typeof CELL_MUTATIONS)[number];

/**
 * The starting network for a dataset, from the job's seed graph (its input and classes): images get a 16-filter
 * stem and three cells of 16, 32 and 64 filters with max pooling between; text gets an embedding and two
 * conv1d cells. Every cell starts as one Conv-BN-ReLU ("a cell is identical to a convolutional layer").
 */
export function neuroCellTemplate(seed: Graph): Graph {
  const input = seed.layers.find((l) => l.type === 'input');
  const out = seed.layers.find((l) => l.id === seed.output);
  if (!input || input.type !== 'input' || !out || out.type !== 'dense') throw new NetSproutError('STRATEGY_SEED', 'The seed network has no input or dense classifier.', 'Use a preset seed network.');
  const classes = out.params.units;
  const shape = input.params.shape;
  const b = new GraphBuilder();
  if (shape.length === 3) {
    let x = b.input(shape);
    x = b.add('conv2d', { filters: 16, kernelSize: [3, 3], strides: [1, 1], padding: 'same', dilation: [1, 1], useBias: false, activation: 'linear' }, [x], 'stem_conv');
    x = b.add('batchNorm', { epsilon: 1e-3, momentum: 0.9 }, [x], 'stem_bn');
    x = b.add('activation', { fn: 'relu' }, [x], 'stem_relu');
    let side = Math.min(shape[0], shape[1]);
    [16, 32, 64].forEach((width, k) => {
      if (k > 0 && side >= 4) {
        x = b.add('maxPool2d', { poolSize: [2, 2], strides: [2, 2], padding: 'valid' }, [x], `pool${k}`);
        side = Math.floor(side / 2);
      }
      x = b.add('conv2d', { filters: width, kernelSize: [3, 3], strides: [1, 1], padding: 'same', dilation: [1, 1], useBias: false, activation: 'linear' }, [x], `cell${k}_conv`);
      x = b.add('batchNorm', { epsilon: 1e-3, momentum: 0.9 }, [x], `cell${k}_bn`);
      x = b.add('activation', { fn: 'relu' }, [x], `cell${k}_relu`);
    });
    x = b.add('globalAvgPool', {}, [x], 'head_pool');
    x = b.add('dense', { units: 64, useBias: true, activation: 'linear' }, [x], 'head_dense');
    x = b.add('activation', { fn: 'relu' }, [x], 'head_relu');
    return b.build(b.add('dense', { units: classes, useBias: true, activation: 'softmax' }, [x], 'classifier'));
  }
  const embedding = seed.layers.find((l) => l.type === 'embedding');
  if (shape.length === 1 && embedding?.type === 'embedding') {
    let x = b.input(shape, 'int32', input.id);
    x = b.add('embedding', { inputDim: embedding.params.inputDim, outputDim: 32 }, [x], 'stem_embedding');
    [64, 64].forEach((width, k) => {
      if (k > 0 && shape[0] >= 8) x = b.add('maxPool1d', { poolSize: 2, strides: 2, padding: 'valid' }, [x], `pool${k}`);
      x = b.add('conv1d', { filters: width, kernelSize: 3, strides: 1, padding: 'same', dilation: 1, useBias: false, activation: 'linear' }, [x], `cell${k}_conv`);
      x = b.add('batchNorm', { epsilon: 1e-3, momentum: 0.9 }, [x], `cell${k}_bn`);
      x = b.add('activation', { fn: 'relu' }, [x], `cell${k}_relu`);
    });
    x = b.add('globalMaxPool', {}, [x], 'head_pool');
    x = b.add('dense', { units: 32, useBias: true, activation: 'linear' }, [x], 'head_dense');
    x = b.add('activation', { fn: 'relu' }, [x], 'head_relu');
    return b.build(b.add('dense', { units: classes, useBias: true, activation: 'softmax' }, [x], 'classifier'));
  }
  throw new NetSproutError('STRATEGY_NOT_FOR_DATA', 'NCEvolve grows convolutional cells, for images and text; this data is a table.', 'Use --strategy hill, hyperband, eas or auto for tables.');
}

export function cellCount(graph: Graph): number {
  let n = 0;
  for (const l of graph.layers) {
    const m = CELL.exec(l.id);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

/** The layers of cell k in topological order. */
export function cellLayers(graph: Graph, k: number): Layer[] {
  return topologicalOrder(graph).filter((l) => CELL.exec(l.id)?.[1] === String(k));
}

function localName(id: string): string {
  return CELL.exec(id)?.[2] ?? id;
}

/**
 * The structure of cell k, independent of its index and its widths: each layer's local name, type, parameters
 * other than the number of filters, and inputs (local names; `IN` for the cell's input).
 */
export function cellSignature(graph: Graph, k: number): string {
  return JSON.stringify(
    cellLayers(graph, k).map((l) => {
      const { filters: _f, ...params } = l.params as Record<string, unknown>;
      return [localName(l.id), l.type, params, l.inputs.map((i) => (CELL.exec(i)?.[1] === String(k) ? localName(i) : 'IN'))];
    }),
  );
}

interface Target {
  kind: CellMutation;
  /** A local layer name inside the cells, or a layer id outside them. */
  at: string;
  inCells: boolean;
  kernel?: number;
  separable?: boolean;
  linear?: boolean;
  factor?: number;
  /** Branch and insert: the branch the new convolution goes into (0 the original, 1 the split-off half). */
  branch?: 0 | 1;
}

/** Every place a mutation of `kind` could go, in cell 0 (or outside the cells for alter-units and stem filters). */
function targets(graph: Graph, kind: CellMutation): Array<Omit<Target, 'kernel' | 'separable' | 'linear' | 'factor' | 'branch'>> {
  const cell = cellLayers(graph, 0);
  const isConv = (l: Layer) => l.type === 'conv2d' || l.type === 'separableConv2d' || l.type === 'conv1d';
  switch (kind) {
    case 'insert-conv':
      return cell.filter((l) => isReluOutput(l) || isConv(l)).map((l) => ({ kind, at: localName(l.id), inCells: true }));
    case 'insert-skip':
      return cell.filter(isReluOutput).map((l) => ({ kind, at: localName(l.id), inCells: true }));
    case 'branch-insert':
      return cell.filter((l) => (l.type === 'conv2d' || l.type === 'conv1d') && l.params.filters >= 2).map((l) => ({ kind, at: localName(l.id), inCells: true }));
    case 'alter-filters': {
      const inside = cell.filter(isConv).map((l) => ({ kind, at: localName(l.id), inCells: true }));
      const stem = graph.layers.filter((l) => l.id === 'stem_conv').map((l) => ({ kind, at: l.id, inCells: false }));
      return [...inside, ...stem];
    }
    case 'alter-units':
      return graph.layers.filter((l) => l.type === 'dense' && l.id !== graph.output).map((l) => ({ kind, at: l.id, inCells: false }));
    case 'alter-kernel':
      return cell
        .filter((l) => {
          if (l.type === 'conv1d') return l.params.padding === 'same' && l.params.kernelSize % 2 === 1 && l.params.kernelSize < 7 && l.params.dilation === 1;
          if (l.type === 'conv2d' || l.type === 'separableConv2d') return l.params.padding === 'same' && l.params.kernelSize[0] % 2 === 1 && l.params.kernelSize[0] < 7 && l.params.dilation.every((d) => d === 1);
          return false;
        })
        .map((l) => ({ kind, at: localName(l.id), inCells: true }));
  }
}

function widthOf(layer: Layer): number {
  if (layer.type === 'dense') return layer.params.units;
  if (layer.type === 'conv2d' || layer.type === 'separableConv2d' || layer.type === 'conv1d') return layer.params.filters;
  throw new MorphError(`Layer "${layer.id}" has no width.`);
}

/** A fresh local tag for the layers a mutation adds: m<n>, one more than any used so far. */
function nextTag(graph: Graph): number {
  let n = 0;
  for (const l of cellLayers(graph, 0)) {
    const m = /^m(\d+)_/.exec(localName(l.id));
    if (m) n = Math.max(n, Number(m[1]));
  }
  return n + 1;
}

/** Applies one morphism inside cell k and renames the layers it added to cell<k>_m<tag>_<j>. */
function inCell(state: ModelState, k: number, tag: number, apply: (s: ModelState, id: (local: string) => string) => { state: ModelState; added: string[] }): ModelState {
  const id = (local: string) => `cell${k}_${local}`;
  const r = apply(state, id);
  return renameLayers(r.state, new Map(r.added.map((a, j) => [a, id(`m${tag}_${j}`)])));
}

/** Applies a mutation drawn with `rng` to every cell; throws MorphError when it does not apply. */
export function applyCellMutation(parent: ModelState, target: Target, rng: SeededRandom): { state: ModelState; record: MorphRecord } {
  const cells = cellCount(parent.graph);
  const tag = nextTag(parent.graph);
  let state = parent;
  const kernel = target.kernel ?? 3;
  if (!target.inCells) {
    const layer = layerOf(state.graph, target.at);
    const from = widthOf(layer);
    const to = Math.max(from + 1, Math.round(from * (target.factor ?? 1.5)));
    const r = net2wider(state, target.at, to, rng);
    return { state: { graph: r.graph, weights: r.weights }, record: { op: `cell-${target.kind}`, layer: target.at, from, to, factor: target.factor } };
  }
  for (let k = 0; k < cells; k++) {
    state = inCell(state, k, tag, (s, id) => {
      const at = id(target.at);
      switch (target.kind) {
        case 'insert-conv': {
          const r = insertConv(s, at, kernel, target.separable ?? false, target.linear ?? false);
          return { state: r, added: r.record.layers as string[] };
        }
        case 'insert-skip': {
          const r = insertResidualConv(s, at, kernel, target.separable ?? false);
          return { state: r, added: r.record.layers as string[] };
        }
        case 'branch-insert': {
          const b = branchConv(s, at);
          const [other, cat] = b.record.layers as string[];
          const r = insertConv(b, target.branch === 1 ? other : at, kernel, target.separable ?? false, true);
          return { state: r, added: [other, cat, ...(r.record.layers as string[])] };
        }
        case 'alter-filters': {
          const from = widthOf(layerOf(s.graph, at));
          const r = net2wider(s, at, Math.max(from + 1, Math.round(from * (target.factor ?? 1.5))), rng);
          return { state: r, added: [] };
        }
        case 'alter-kernel': {
          const r = widenAnyKernel(s, at);
          return { state: r, added: [] };
        }
        default:
          throw new MorphError(`"${target.kind}" does not apply inside cells.`);
      }
    });
  }
  const { kind, at, kernel: k, separable, linear, factor, branch } = target;
  return { state, record: { op: `cell-${kind}`, at, cells, ...(k !== undefined && { kernel: k }), ...(separable !== undefined && { separable }), ...(linear !== undefined && { linear }), ...(factor !== undefined && { factor }), ...(branch !== undefined && { branch }) } };
}

/**
 * A random mutation (NeuNetS "Mutations"): the kind uniformly among those that apply, then its place and
 * parameters (insert: 3×3, separable at random in 2-D; filters: a factor uniform in [1.2, 2]; kernel: +2).
 */
export function randomCellMutation(parent: ModelState, rng: SeededRandom, fits: (g: Graph) => boolean = () => true): { state: ModelState; record: MorphRecord } {
  const dims: 1 | 2 = parent.graph.layers.some((l) => l.type === 'conv1d') ? 1 : 2;
  const kinds = [...CELL_MUTATIONS];
  while (kinds.length) {
    const [kind] = kinds.splice(rng.int(kinds.length), 1);
    const places = targets(parent.graph, kind);
    while (places.length) {
      const [place] = places.splice(rng.int(places.length), 1);
      const target: Target = { ...place };
      if (kind === 'insert-conv' || kind === 'insert-skip' || kind === 'branch-insert') {
        target.kernel = 3;
        target.separable = dims === 2 && rng.next() < 0.5;
      }
      if (kind === 'insert-conv') {
        const layer = layerOf(parent.graph, `cell0_${place.at}`);
        target.linear = !isReluOutput(layer);
      }
      if (kind === 'branch-insert') target.branch = rng.next() < 0.5 ? 0 : 1;
      if (kind === 'alter-filters' || kind === 'alter-units') target.factor = Number((1.2 + 0.8 * rng.next()).toFixed(3));
      try {
        const r = applyCellMutation(parent, target, rng);
        if (fits(r.state.graph)) return r;
      } catch (e) {
        if (!(e instanceof MorphError)) throw e;
      }
    }
  }
  throw new MorphError('No cell mutation applies to this network within the size limits.');
}
