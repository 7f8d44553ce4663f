/**
 * A pause or cancel takes effect between the steps of every long phase of a job, not only between training batches:
 * reading and decoding the data, measuring latencies (target profile, front verification), and the TAPAS probe.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/backend/ladder.js';
import { mapLimit } from '../engine/data/fileWalk.js';
import { prepareData } from '../engine/data/prepareData.js';
import { smallCnn } from '../engine/graph/presets.js';
import { defaultProtocol, measureLatency, type LatencyRuntime } from '../engine/hardware/latencyProtocol.js';
import { buildProfile, type LoadedProfile } from '../engine/latency/deviceProfile.js';
import { verifyFront } from '../engine/search/frontVerification.js';
import { STOPPED_CODE, isStopped, throwIfStopped } from '../engine/stopSignal.js';
import { measureDifficulty } from '../engine/tapas/datasetDifficulty.js';
import { quadrantImageFolder, tempDir } from './helpers/appFixtures.js';
import { quadrantData } from './helpers/syntheticData.js';

const stopped = () => {
  const c = new AbortController();
  c.abort();
  return c.signal;
};

/** A runtime whose runs cost nothing, counting what it is asked to do. */
function countingRuntime(onRun: () => void = () => undefined) {
  const counts = { prepared: 0, released: 0, runs: 0 };
  const runtime: LatencyRuntime = {
    info: { name: 'onnx', library: 'test', version: '0', backend: 'cpu', threads: 1, settings: {} },
    async prepare() {
      counts.prepared++;
      return {
        run: async () => {
          counts.runs++;
          onRun();
        },
        release: async () => void counts.released++,
      };
    },
  };
  return { runtime, counts };
}

describe('stopping long work', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('throws the resumable stop error, and only once the signal has fired', () => {
    const c = new AbortController();
    expect(() => throwIfStopped(c.signal, 'reading')).not.toThrow();
    expect(() => throwIfStopped(undefined, 'reading')).not.toThrow();
    c.abort();
    let error: unknown;
    try {
      throwIfStopped(c.signal, 'reading the data');
    } catch (e) {
      error = e;
    }
    expect(isStopped(error)).toBe(true);
    expect(error).toMatchObject({ code: STOPPED_CODE, message: 'Stopped while reading the data.' });
  });

  it('starts no further file once the signal fires', async () => {
    const c = new AbortController();
    let started = 0;
    const run = mapLimit(Array.from({ length: 100 }, (_, i) => i), 2, async (i) => {
      started++;
      if (i === 5) c.abort();
      await new Promise((r) => setImmediate(r));
      return i;
    }, c.signal);
    await expect(run).rejects.toMatchObject({ code: STOPPED_CODE });
    expect(started).toBeLessThanOrEqual(7);
  });

  it('stops reading images and texts', async () => {
    const images = await quadrantImageFolder(24, 21);
    await expect(prepareData(images, { signal: stopped() })).rejects.toMatchObject({ code: STOPPED_CODE, message: 'Stopped while reading the data.' });
    const texts = await tempDir('texts');
    for (const label of ['good', 'bad']) {
      await mkdir(path.join(texts, label));
      for (let i = 0; i < 6; i++) await writeFile(path.join(texts, label, `${i}.txt`), `a ${label} text number ${i}`);
    }
    await expect(prepareData(texts, { signal: stopped() })).rejects.toMatchObject({ code: STOPPED_CODE });
  });

  it('stops a latency measurement between runs and releases its session', async () => {
    const c = new AbortController();
    const { runtime, counts } = countingRuntime(() => {
      if (counts.runs === 3) c.abort();
    });
    const protocol = defaultProtocol({ warmupRuns: 10, minRuns: 50, batchSizes: [1], sessions: 3 });
    await expect(measureLatency(runtime, { graph: smallCnn([8, 8, 1], 2) }, protocol, c.signal)).rejects.toMatchObject({ code: STOPPED_CODE, message: 'Stopped while measuring latency.' });
    expect(counts).toEqual({ prepared: 1, released: 1, runs: 3 });
  });

  it('stops verifying the front and profiling a device before measuring anything', async () => {
    const { runtime, counts } = countingRuntime();
    const profile = { profile: { protocol: defaultProtocol(), runtime: runtime.info } } as unknown as LoadedProfile;
    const graph = smallCnn([8, 8, 1], 2);
    const front = [{ id: 'a', accuracy: 0.9, params: 10, sizeBytes: 40, latencyPredictedMs: 1 }];
    const verifying = verifyFront(front, front, { profile, names: ['error', 'latency'], measureHere: true, runtime, loadState: async () => ({ graph, weights: new Map() }), signal: stopped() });
    await expect(verifying).rejects.toMatchObject({ code: STOPPED_CODE });
    expect(counts.prepared).toBe(0);
    await expect(buildProfile({ runtime: 'onnx', samples: 50, seconds: 60, minSamples: 12, signal: stopped() })).rejects.toMatchObject({ code: STOPPED_CODE, message: 'Stopped while measuring the target device.' });
  });

  it('stops the TAPAS probe and gives no difficulty for it', async () => {
    const data = quadrantData(200, 12, 3);
    const facts = { kind: 'images' as const, inputShape: [12, 12, 1], classes: 4, train: data, validation: quadrantData(40, 12, 4) };
    await expect(measureDifficulty(facts, { epochs: 3, signal: stopped() })).rejects.toMatchObject({ code: STOPPED_CODE });
  });
});
