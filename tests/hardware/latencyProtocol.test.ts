import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { smallCnn } from '../../engine/graph/presets.js';
import { defaultProtocol, measureLatencies, measureLatency, openRuntime, parseRuntimeName, type LatencyRuntime } from '../../engine/hardware/latencyProtocol.js';
import { initialWeights, measurementSpec, onnxBytesFor, randomInput } from '../../engine/hardware/measuredModel.js';
import { passThroughGraph, singleLayerGraph } from '../../engine/latency/layerTimes.js';
import { describeArchitecture } from '../../engine/latency/architectureFeatures.js';
import { GraphModel } from '../../engine/train/graphModel.js';

const quick = defaultProtocol({ warmupRuns: 3, warmupMs: 0, minRuns: 7, minTimedMs: 0, maxRuns: 50, batchSizes: [1, 4], sessions: 1 });

/** A runtime that records what the protocol does with it. */
function recordingRuntime(events: string[]): LatencyRuntime {
  return {
    info: { name: 'onnx', library: 'fake', version: '0', backend: 'cpu', threads: 1, settings: {} },
    async prepare(_model, batch) {
      events.push(`prepare ${batch}`);
      let runs = 0;
      return {
        async run() {
          runs++;
        },
        async release() {
          events.push(`release ${batch} after ${runs} runs`);
        },
      };
    },
  };
}

/** A runtime whose every third run is fast (0.1 ms) and the others slow (0.4 ms): its 10th percentile and median differ. */
function steppedRuntime(): LatencyRuntime {
  const busy = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };
  return {
    info: { name: 'onnx', library: 'fake', version: '0', backend: 'cpu', threads: 1, settings: {} },
    async prepare() {
      let k = 0;
      return { run: async () => busy(k++ % 3 === 0 ? 0.1 : 0.4), release: async () => {} };
    },
  };
}

describe('latency protocol', () => {
  it('measures every batch size in a fresh session, warms up, then times at least minRuns runs', async () => {
    const events: string[] = [];
    const m = await measureLatency(recordingRuntime(events), { graph: smallCnn([8, 8, 1], 2) }, quick);
    expect(events).toEqual(['prepare 1', 'release 1 after 10 runs', 'prepare 4', 'release 4 after 10 runs']);
    expect(m.batches.map((b) => [b.batchSize, b.warmupRuns, b.runs])).toEqual([
      [1, 3, 7],
      [4, 3, 7],
    ]);
    for (const b of m.batches) {
      expect(b.p10Ms).toBeLessThanOrEqual(b.medianMs);
      expect(b.medianMs).toBeLessThanOrEqual(b.p90Ms);
      expect(b.iqrMs).toBeCloseTo(b.q3Ms - b.q1Ms, 12);
      // The latency is the 10th percentile of the timed runs (other processes only ever lengthen a run).
      expect(b.statistic).toBe('p10');
      expect(b.latencyMs).toBe(b.p10Ms);
      expect(b.perInputMs).toBeCloseTo(b.p10Ms / b.batchSize, 12);
      expect(b.peakRssDeltaBytes).toBeGreaterThanOrEqual(0);
    }
    expect(m.batch1Ms).toBe(m.batches[0].p10Ms);
    expect(m.gcBetween).toBe(true);
  });

  it('takes the 10th percentile of the runs as the latency, or the median when the protocol says so or says nothing (profiles made before the statistic was recorded)', async () => {
    const graph = smallCnn([8, 8, 1], 2);
    const fast = await measureLatency(steppedRuntime(), { graph }, quick);
    for (const b of fast.batches) {
      expect(b.p10Ms).toBeLessThan(0.6 * b.medianMs);
      expect(b.latencyMs).toBe(b.p10Ms);
    }
    expect(fast.batch1Ms).toBe(fast.batches[0].p10Ms);
    const { statistic: _, ...unrecorded } = quick;
    for (const protocol of [{ ...quick, statistic: 'median' as const }, unrecorded]) {
      const m = await measureLatency(steppedRuntime(), { graph }, protocol);
      for (const b of m.batches) {
        expect(b.statistic).toBe('median');
        expect(b.p10Ms).toBeLessThan(0.6 * b.medianMs);
        expect(b.latencyMs).toBe(b.medianMs);
        expect(b.perInputMs).toBeCloseTo(b.medianMs / b.batchSize, 12);
      }
      expect(m.batch1Ms).toBe(m.batches[0].medianMs);
    }
  });

  it('measures batch 1 in several separate sessions and keeps the middle one', async () => {
    const events: string[] = [];
    const m = await measureLatency(recordingRuntime(events), { graph: smallCnn([8, 8, 1], 2) }, { ...quick, sessions: 3 });
    expect(events).toEqual(['prepare 1', 'release 1 after 10 runs', 'prepare 1', 'release 1 after 10 runs', 'prepare 1', 'release 1 after 10 runs', 'prepare 4', 'release 4 after 10 runs']);
    const b1 = m.batches[0];
    expect(b1.sessionMediansMs).toHaveLength(3);
    expect(b1.sessionLatenciesMs).toHaveLength(3);
    expect(m.batch1Ms).toBe([...b1.sessionLatenciesMs!].sort((a, b) => a - b)[1]);
    // The run statistics kept are the middle session's.
    expect(b1.p10Ms).toBe(m.batch1Ms);
    expect(b1.sessionMediansMs).toContain(b1.medianMs);
    expect(m.batches[1].sessionMediansMs).toBeUndefined();
  });

  it('measures several models with their batch-1 sessions in turn, so that a disturbance of a few sessions slows at most one of each and the median leaves it out', async () => {
    // Runs take 0.3 ms, except in the 2nd to 4th sessions opened, when another process takes the CPU: 3 ms.
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const disturbedRuntime = (order: string[]): LatencyRuntime => {
      let opened = 0;
      return {
        info: { name: 'onnx', library: 'fake', version: '0', backend: 'cpu', threads: 1, settings: {} },
        async prepare(model, batch) {
          opened++;
          order.push(`${graphs.indexOf(model.graph)}@${batch}`);
          const ms = opened >= 2 && opened <= 4 ? 3 : 0.3;
          return { run: async () => busy(ms), release: async () => {} };
        },
      };
    };
    const graphs = [0, 1, 2].map(() => smallCnn([8, 8, 1], 2));
    const protocol = { ...quick, sessions: 3, batchSizes: [1] };
    const order: string[] = [];
    let afterSession = 0;
    const together = await measureLatencies(disturbedRuntime(order), graphs.map((graph) => ({ graph })), protocol, { afterSession: async () => void afterSession++ });
    expect(order).toEqual(['0@1', '1@1', '2@1', '0@1', '1@1', '2@1', '0@1', '1@1', '2@1']);
    expect(afterSession).toBe(9);
    for (const { measurement, sessions } of together) {
      expect(measurement.batches[0].sessionLatenciesMs!.filter((ms) => ms >= 3)).toHaveLength(1);
      expect(measurement.batch1Ms).toBeLessThan(1.5);
      expect(sessions).toHaveLength(3);
      expect(sessions[0].endMs).toBeLessThanOrEqual(sessions[1].startMs);
    }
    // Back to back, the first model's second and third sessions both run slow, and so does its latency.
    const alone: number[] = [];
    const runtime = disturbedRuntime([]);
    for (const graph of graphs) alone.push((await measureLatency(runtime, { graph }, protocol)).batch1Ms);
    expect(alone[0]).toBeGreaterThanOrEqual(2.9);
  });

  it('releases the session when a run fails', async () => {
    const events: string[] = [];
    const failing: LatencyRuntime = {
      info: recordingRuntime(events).info,
      async prepare() {
        events.push('prepare');
        return {
          async run() {
            throw new Error('boom');
          },
          async release() {
            events.push('release');
          },
        };
      },
    };
    await expect(measureLatency(failing, { graph: smallCnn([8, 8, 1], 2) }, quick)).rejects.toThrow('boom');
    expect(events).toEqual(['prepare', 'release']);
  });

  it('runs in ONNX Runtime with fixed, recorded threads', async () => {
    const runtime = await openRuntime('onnx');
    expect(runtime.info).toMatchObject({ name: 'onnx', library: 'onnxruntime-node', backend: 'cpu', threads: 1, settings: { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' } });
    const m = await measureLatency(runtime, { graph: smallCnn([12, 12, 1], 3) }, quick);
    expect(m.batches).toHaveLength(2);
    for (const b of m.batches) {
      expect(b.medianMs).toBeGreaterThan(0);
      expect(b.minMs).toBeLessThanOrEqual(b.p10Ms);
      expect(b.p90Ms).toBeLessThanOrEqual(b.maxMs);
    }
  });

  it('runs in the engine\'s TF.js backend and reports the peak tensor bytes', async () => {
    const runtime = await openRuntime('tfjs', { backend: 'cpu' });
    expect(runtime.info).toMatchObject({ name: 'tfjs', backend: 'cpu', threads: 1 });
    const m = await measureLatency(runtime, { graph: smallCnn([12, 12, 1], 3) }, quick);
    expect(m.batches[0].peakTensorBytes).toBeGreaterThan(0);
    expect(m.batches[1].peakTensorBytes).toBeGreaterThan(m.batches[0].peakTensorBytes!);
    // A network that only passes its input through (the lookup table's baseline) returns the input tensor itself.
    const passThrough = await measureLatency(runtime, { graph: passThroughGraph([6, 6, 4]) }, quick);
    expect(passThrough.batch1Ms).toBeGreaterThan(0);
  });

  it('draws the same weights as GraphModel.create without a tensor backend', async () => {
    await openRuntime('tfjs', { backend: 'cpu' });
    const graph = smallCnn([12, 12, 1], 3);
    const model = GraphModel.create(graph, 5);
    const expected = model.allWeights();
    const got = initialWeights(graph, 5);
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, ws] of expected) ws.forEach((w, i) => expect(Array.from(got.get(id)![i])).toEqual(Array.from(w.data)));
    model.dispose();
  });

  it('writes single layers and pass-through networks that ONNX Runtime loads', async () => {
    const graph = smallCnn([12, 12, 1], 3);
    const d = describeArchitecture(graph);
    const conv = graph.layers.find((l) => l.type === 'conv2d' && l.inputs[0] !== 'input')!;
    const key = d.layers.find((k) => k.type === 'conv2d' && k.inputShapes[0][2] > 1)!;
    for (const g of [passThroughGraph([6, 6, 16]), singleLayerGraph(conv, key)]) {
      expect(measurementSpec(g).kind).toBe('images');
      const session = await ort.InferenceSession.create(onnxBytesFor(g));
      const x = randomInput(g, 2);
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data as Float32Array, x.shape) });
      expect(out[session.outputNames[0]].dims[0]).toBe(2);
      await session.release();
    }
  });

  it('names the runtimes it knows', () => {
    expect(parseRuntimeName('tfjs')).toBe('tfjs');
    expect(() => parseRuntimeName('tflite')).toThrow(expect.objectContaining({ code: 'RUNTIME_UNKNOWN' }));
  });
});
