import { NetSproutError } from '../errors.js';
import type { Graph, Layer } from './types.js';

/** Layers by id; throws on duplicate ids. */
export function layerIndex(graph: Graph): Map<string, Layer> {
  const byId = new Map<string, Layer>();
  for (const layer of graph.layers) {
    if (byId.has(layer.id)) {
      throw new NetSproutError('GRAPH_DUPLICATE_ID', `Two layers share the id "${layer.id}".`, 'Give every layer a unique id.');
    }
    byId.set(layer.id, layer);
  }
  return byId;
}

/**
 * Kahn's topological sort. Ties are broken by the order of `graph.layers`, so the order is stable for a
 * given graph. Throws GRAPH_DANGLING_INPUT for an input id that names no layer and GRAPH_CYCLE for a cycle.
 */
export function topologicalOrder(graph: Graph): Layer[] {
  const byId = layerIndex(graph);
  const position = new Map(graph.layers.map((l, i) => [l.id, i]));
  const indegree = new Map<string, number>();
  const consumers = new Map<string, string[]>();
  for (const layer of graph.layers) {
    indegree.set(layer.id, layer.inputs.length);
    for (const src of layer.inputs) {
      if (!byId.has(src)) {
        throw new NetSproutError(
          'GRAPH_DANGLING_INPUT',
          `Layer "${layer.id}" takes its input from "${src}", which is not a layer of this network.`,
          'Connect the layer to an existing layer id.',
        );
      }
      const list = consumers.get(src) ?? [];
      list.push(layer.id);
      consumers.set(src, list);
    }
  }
  const ready: string[] = graph.layers.filter((l) => l.inputs.length === 0).map((l) => l.id);
  const order: Layer[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => position.get(a)! - position.get(b)!);
    const id = ready.shift()!;
    order.push(byId.get(id)!);
    for (const c of consumers.get(id) ?? []) {
      const d = indegree.get(c)! - 1;
      indegree.set(c, d);
      if (d === 0) ready.push(c);
    }
  }
  if (order.length !== graph.layers.length) {
    const stuck = graph.layers.filter((l) => indegree.get(l.id)! > 0).map((l) => l.id);
    throw new NetSproutError(
      'GRAPH_CYCLE',
      `The network has a cycle through layers ${stuck.map((s) => `"${s}"`).join(', ')}.`,
      'A network must be a directed acyclic graph: remove the connection that loops back.',
    );
  }
  return order;
}

/** Map from layer id to the ids of the layers that read its output. */
export function consumersOf(graph: Graph): Map<string, string[]> {
  const out = new Map<string, string[]>(graph.layers.map((l) => [l.id, []]));
  for (const layer of graph.layers) for (const src of layer.inputs) out.get(src)?.push(layer.id);
  return out;
}

export function inputLayers(graph: Graph): Layer[] {
  return graph.layers.filter((l) => l.type === 'input');
}
