import { describe, expect, it } from 'vitest';
import { defaultProtocol, type LatencyRuntime } from '../../engine/hardware/latencyProtocol.js';
import { smallCnn } from '../../engine/graph/presets.js';
import { referenceAround, SpeedReference, speedFactor } from '../../engine/hardware/speedReference.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

describe('speed reference', () => {
  // A machine whose speed drifts slowly (20% over a minute) read by a reference whose single readings are noisy
  // (up to ±15%, as one short reading on a virtual machine is): a reading every half second for two minutes.
  const rng = makeRandom(4);
  const drift = (t: number) => 1 + 0.2 * Math.sin((t / 60_000) * 2 * Math.PI);
  const times = Array.from({ length: 240 }, (_, i) => i * 500);
  const readings = times.map((t) => 2 * drift(t) * (1 + 0.3 * (rng.next() - 0.5)));

  it('follows the drift with the readings around a moment, not the noise of the nearest two', () => {
    const errors = (window: number) =>
      times.slice(20, -20).map((t) => {
        const at = t + 250;
        return Math.abs(speedFactor(referenceAround(readings, times, at, window), 2) / drift(at) - 1);
      });
    const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(0.9 * (xs.length - 1))];
    // Only the two readings around each moment: their noise is the factor's (p90 of the error about 11%).
    const nearest = p90(errors(0));
    expect(nearest).toBeGreaterThan(0.09);
    // Within ±5 s (21 readings): the noise mostly averaged out, the drift (slow against 5 s) kept.
    expect(p90(errors(5))).toBeLessThan(0.7 * nearest);
    // A window as long as the drift loses it.
    expect(p90(errors(60))).toBeGreaterThan(1.5 * nearest);
  });

  it('takes the readings just before and after when none is within the window', () => {
    expect(referenceAround([1, 2, 4, 8], [0, 10_000, 20_000, 30_000], 15_000, 1)).toBe(3);
    expect(referenceAround([1, 2, 4, 8], [0, 10_000, 20_000, 30_000], 35_000, 1)).toBe(8);
    expect(referenceAround([1, 2, 4, 8], [0, 10_000, 20_000, 30_000], 10_500, 1)).toBe(2);
  });

  it('calls a measurement disturbed when a slow reading sits next to more than half of its sessions', () => {
    const unused = {} as LatencyRuntime;
    const reference = new SpeedReference(unused, smallCnn([8, 8, 1], 2), defaultProtocol());
    // A reading every second (ms 0, 1000, …, 9000), 1 ms typically; the ones at 4 s and 5 s ran 1.6 ms.
    for (let k = 0; k < 10; k++) {
      reference.readings.push(k === 4 || k === 5 ? 1.6 : 1);
      reference.times.push(k * 1000);
    }
    const session = (startMs: number) => ({ startMs, endMs: startMs + 200 });
    // Three sessions a second apart: only the middle one is next to a slow reading.
    expect(reference.disturbed([session(2100), session(3100), session(6100)])).toBe(false);
    // Two of three are (between 4 s and 5 s, and between 5 s and 6 s).
    expect(reference.disturbed([session(2100), session(4100), session(5100)])).toBe(true);
    // One session alone, just before the slow reading.
    expect(reference.disturbed([session(3700)])).toBe(true);
    expect(reference.disturbed([session(7100)])).toBe(false);
  });

  it('settles: reads the reference until its readings agree, and no longer than the most it may', async () => {
    // The first `slow` readings of a process run slow and uneven (0.5 and 0.9 ms in turn), the rest at 0.2 ms.
    const uneven = (slow: number) => {
      const runtime: LatencyRuntime & { opened: number } = {
        opened: 0,
        info: { name: 'onnx', library: 'fake', version: '0', backend: 'cpu', threads: 1, settings: {} },
        async prepare() {
          const n = ++runtime.opened;
          const ms = n <= slow ? 0.5 + 0.4 * (n % 2) : 0.2;
          return {
            run: async () => {
              const end = performance.now() + ms;
              while (performance.now() < end);
            },
            release: async () => undefined,
          };
        },
      };
      return runtime;
    };
    const settling = uneven(12);
    const reference = new SpeedReference(settling, smallCnn([8, 8, 1], 2), defaultProtocol());
    await reference.settle(undefined, { minMs: 0, maxMs: 60_000 });
    // Twelve slow readings, then eight that agree; none kept.
    expect(settling.opened).toBe(20);
    expect(reference.readings).toEqual([]);
    // Never settling: stops at the most it may take.
    const never = uneven(Infinity);
    const seconds = await new SpeedReference(never, smallCnn([8, 8, 1], 2), defaultProtocol()).settle(undefined, { minMs: 0, maxMs: 400 });
    expect(seconds).toBeGreaterThanOrEqual(0.4);
    expect(seconds).toBeLessThan(2);
    expect(never.opened).toBeGreaterThan(1);
  });
});
