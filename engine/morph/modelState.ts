/**
 * A network as the morphisms see it: the graph and its weights by layer id (Keras variable order), as plain arrays.
 * Morphisms never touch tensors; they return a new state and leave the parent's untouched.
 */
import { NetSproutError } from '../errors.js';
import { inferShapes } from '../graph/shapes.js';
import { consumersOf, layerIndex } from '../graph/topology.js';
import type { Graph, Layer, Shape } from '../graph/types.js';
import { validateGraph } from '../graph/validate.js';
import { weightSpecs } from '../graph/weightSpecs.js';

export type WeightMap = Map<string, Float32Array[]>;

export interface ModelState {
  graph: Graph;
  weights: WeightMap;
}

/** What a morphism did, for the job journal and the lineage view. */
export interface MorphRecord {
  op: string;
  [key: string]: unknown;
}

export interface MorphResult extends ModelState {
  record: MorphRecord;
}

export class MorphError extends NetSproutError {
  constructor(message: string) {
    super('MORPH_NOT_APPLICABLE', message, 'Choose another layer or another morphism.');
  }
}

export function cloneState(s: ModelState): ModelState {
  return { graph: structuredClone(s.graph), weights: new Map([...s.weights].map(([k, v]) => [k, v.map((a) => a.slice())])) };
}

/** A layer id not yet used in the graph: `<base>_<n>`. */
export function freshId(graph: Graph, base: string): string {
  const used = new Set(graph.layers.map((l) => l.id));
  for (let n = 1; ; n++) if (!used.has(`${base}_${n}`)) return `${base}_${n}`;
}

export function layerOf(graph: Graph, id: string): Layer {
  const l = layerIndex(graph).get(id);
  if (!l) throw new MorphError(`The network has no layer "${id}".`);
  return l;
}

/** Makes every reader of `from` (and the graph output) read `to` instead, except the layers in `except`. */
export function rewire(graph: Graph, from: string, to: string, except: Set<string>): void {
  for (const l of graph.layers) {
    if (except.has(l.id)) continue;
    l.inputs = l.inputs.map((i) => (i === from ? to : i));
  }
  if (graph.output === from) graph.output = to;
}

/** Inserts `layers` (a chain whose first reads `afterId`) after `afterId`, moving its readers to the chain's end. */
export function insertChainAfter(graph: Graph, afterId: string, layers: Layer[]): void {
  const ids = new Set(layers.map((l) => l.id));
  rewire(graph, afterId, layers[layers.length - 1].id, ids);
  const at = graph.layers.findIndex((l) => l.id === afterId);
  graph.layers.splice(at + 1, 0, ...layers);
}

export function shapesOf(graph: Graph): Map<string, Shape> {
  return inferShapes(graph);
}

export { consumersOf, validateGraph, weightSpecs };

/** Checks that the weights fit the graph exactly (every variable present, right sizes). */
export function checkState(s: ModelState): void {
  const shapes = validateGraph(s.graph);
  for (const l of s.graph.layers) {
    const specs = weightSpecs(l, l.inputs.map((i) => shapes.get(i)!));
    const w = s.weights.get(l.id) ?? [];
    if (specs.length !== w.length) throw new Error(`morph produced ${w.length} weight arrays for "${l.id}", expected ${specs.length}`);
    specs.forEach((sp, i) => {
      const n = sp.shape.reduce((a, b) => a * b, 1);
      if (w[i].length !== n) throw new Error(`morph produced ${w[i].length} values for ${l.id}/${sp.name}, expected ${n}`);
    });
  }
}
