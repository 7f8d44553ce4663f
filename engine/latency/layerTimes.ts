/**
 * The lookup table's data: every distinct layer of the fitting architectures measured on its own (a network of
 * just its input and that layer), minus the cost of a network that only passes its input through, which is
 * measured once per input shape.
 */
import type { Graph, Layer } from '../graph/types.js';
import { measureLatency, type LatencyProtocol, type LatencyRuntime } from '../hardware/latencyProtocol.js';
import { isStopped, throwIfStopped } from '../stopSignal.js';
import type { LayerKey } from './architectureFeatures.js';
import type { LayerTimes } from './latencyPredictor.js';

/** A network of one input of `shape` and a dropout (an identity at inference) as its output. */
export function passThroughGraph(shape: number[]): Graph {
  return {
    version: 1,
    layers: [
      { id: 'input', type: 'input', params: { shape: [...shape], dtype: 'float32' }, inputs: [] },
      { id: 'identity', type: 'dropout', params: { rate: 0 }, inputs: ['input'] },
    ],
    output: 'identity',
  };
}

/** A network of one input and `layer` (several-input layers read that input several times). */
export function singleLayerGraph(layer: Layer, key: LayerKey): Graph {
  const shape = key.inputShapes[0];
  const inputs = layer.inputs.map(() => 'input');
  const l = { ...structuredClone(layer), id: 'layer', inputs } as Layer;
  if (l.type === 'concat') l.inputs = key.inputShapes.map(() => 'input');
  return { version: 1, layers: [{ id: 'input', type: 'input', params: { shape: [...shape], dtype: 'float32' }, inputs: [] }, l], output: 'layer' };
}

export interface LayerToMeasure {
  key: LayerKey;
  layer: Layer;
}

/**
 * Measures layers (most frequent first) until `deadline` (performance.now() ms). Layers whose input is not a
 * float tensor (embeddings) or whose single-layer network cannot be written are skipped. `signal` (pause or cancel)
 * stops it between runs.
 */
export async function measureLayerTimes(runtime: LatencyRuntime, layers: LayerToMeasure[], protocol: LatencyProtocol, deadline: number, signal?: AbortSignal): Promise<LayerTimes & { skipped: number }> {
  const out: LayerTimes & { skipped: number } = { layers: {}, passThrough: {}, skipped: 0 };
  const passThrough = async (shape: number[]): Promise<number> => {
    const k = shape.join('x');
    if (out.passThrough[k] === undefined) out.passThrough[k] = (await measureLatency(runtime, { graph: passThroughGraph(shape) }, protocol, signal)).batch1Ms;
    return out.passThrough[k];
  };
  for (const { key, layer } of layers) {
    if (performance.now() > deadline) break;
    throwIfStopped(signal, 'measuring layer latencies');
    if (out.layers[key.key] !== undefined) continue;
    if (layer.type === 'embedding' || layer.type === 'input') {
      out.skipped++;
      continue;
    }
    try {
      const base = await passThrough(key.inputShapes[0]);
      const m = await measureLatency(runtime, { graph: singleLayerGraph(layer, key) }, protocol, signal);
      out.layers[key.key] = Math.max(0, m.batch1Ms - base);
    } catch (e) {
      if (isStopped(e)) throw e;
      out.skipped++;
    }
  }
  return out;
}
