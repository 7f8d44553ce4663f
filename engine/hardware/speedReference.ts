/**
 * The machine's speed at the moment of a measurement, from a fixed reference network measured just before and just
 * after it: a control variate for latency measurements.
 *
 * A virtual machine (other tenants on the same host) or a laptop (thermal throttling, power states) runs the same
 * network at speeds that drift by 10–30% within minutes. On this project's 2-core VM, one architecture measured in
 * consecutive sessions agreed within 1–2%, yet the same architectures measured again a minute later differed by a
 * median of 13%, and the drift was shared: the log-deviation of an architecture's measurement from its own median
 * correlated at 0.72 with that of the reference network measured beside it. No predictor can be within ±10% of
 * measurements that disagree with themselves by more than that.
 *
 * So every architecture of a profile is measured between two short measurements of the reference; their mean over
 * the median of all the profile's reference measurements is the machine's speed factor at that moment (1.2: running
 * 20% slow), and the latency the predictors learn is the measured one divided by it: the latency at the machine's
 * typical speed while it was profiled. The raw measurement is kept beside it. On that VM this cut the median
 * disagreement between two measurements of an architecture from 16% to 10% (pairs within ±10%: 36% → 50%).
 *
 * One short reading of the reference is itself noisy, and dividing by it added that noise to every sample: on the
 * AMD EPYC VM, quiet at the time, 40 architectures measured in three passes agreed within ±10% for 98% of pairs of
 * passes uncorrected (the 10th-percentile statistic), 61% divided by the readings just before and after, and 98%
 * divided by the median of the 17 readings around it (about ±5 s at that run's pace of 0.6 s an architecture). Drift takes tens of seconds to minutes, so the factor is the
 * median of the readings within `windowSeconds` of the measurement: it follows the drift and not a reading's noise.
 */
import type { Graph } from '../graph/types.js';
import { measureBatch, type LatencyProtocol, type LatencyRuntime, type SessionSpan } from './latencyProtocol.js';
import { median } from './latencyStatistics.js';

/** The readings within this many seconds either side of a measurement make its speed factor. */
export const SPEED_WINDOW_SECONDS = 5;

/**
 * A reading this much slower than the typical one marks the moment as disturbed. On the AMD EPYC VM the reference
 * ran 36–73% slow four times in 71 seconds, for a reading or two (about a second) each: too short for the window
 * to follow, long enough to slow every session of an architecture measured back to back (which is why a profile
 * interleaves architectures' sessions, and measures again one whose sessions were mostly disturbed). Of the 123 held-out
 * architectures of one profile, the 12 whose measurement disagreed with a second one by more than 10% included
 * the 9 that ridge regression predicted worst (20–42% off); measured again, those were within 7.1% of it.
 */
const DISTURBED_RATIO = 1.25;
/**
 * Before profiling, the reference is read until this many readings in a row agree within this ratio (settle). At
 * bench:latency on the AMD EPYC VM the first 9–12 architectures of one profile had speed factors of 1.2–1.6 and the
 * rest 0.97; 5 of its 13 held-out architectures predicted more than 10% off were among those first 12.
 */
const SETTLED_READINGS = 8;
const SETTLED_SPREAD = 1.1;
/** Readings needed before a disturbance can be told from the typical speed. */
const MIN_READINGS_FOR_DISTURBANCE = 5;

/** A short protocol for the reference (a small network): one session, about 50 ms. */
export function referenceProtocol(protocol: LatencyProtocol): LatencyProtocol {
  return { ...protocol, batchSizes: [1], sessions: 1, interleave: 1, warmupRuns: 5, warmupMs: 10, minRuns: 15, minTimedMs: 30 };
}

/** How a profile's latencies were brought to the machine's typical speed. */
export interface SpeedReferenceRecord {
  graph: Graph;
  protocol: LatencyProtocol;
  /** The median of every reference measurement of the profile (batch 1, ms). */
  typicalMs: number;
  readings: number;
  /** The 10th and 90th percentiles of the speed factors of the samples (how much the machine drifted). */
  factorP10: number;
  factorP90: number;
  /** The readings within this many seconds of a sample made its factor (absent: the two just around it). */
  windowSeconds?: number;
  /** How long the reference was read before profiling, until the machine's speed settled (absent: not at all). */
  settledSeconds?: number;
}

export class SpeedReference {
  /** The reference's latency (batch 1, ms, by the protocol's statistic), in the order measured. */
  readonly readings: number[] = [];
  /** When each reading was taken (performance.now(), ms, its middle). */
  readonly times: number[] = [];
  readonly protocol: LatencyProtocol;

  constructor(
    private readonly runtime: LatencyRuntime,
    readonly graph: Graph,
    protocol: LatencyProtocol,
  ) {
    this.protocol = referenceProtocol(protocol);
  }

  /**
   * Reads the reference, keeping nothing, until its last SETTLED_READINGS readings agree within SETTLED_SPREAD and
   * at least `minMs` have passed, or `maxMs` have: a process that has just started runs slow for a while (its code
   * compiled as it first runs, ONNX Runtime's first sessions, what the machine profile started), and the first
   * architectures measured then were brought to the machine's speed by readings of another speed. Returns the
   * seconds it took.
   */
  async settle(signal?: AbortSignal, { minMs = 2000, maxMs = 15_000 } = {}): Promise<number> {
    const start = performance.now();
    const recent: number[] = [];
    for (;;) {
      const m = await measureBatch(this.runtime, { graph: this.graph }, 1, this.protocol, signal);
      recent.push(m.latencyMs);
      const last = recent.slice(-SETTLED_READINGS);
      const settled = last.length === SETTLED_READINGS && Math.max(...last) <= SETTLED_SPREAD * Math.min(...last);
      const ms = performance.now() - start;
      if ((settled && ms >= minMs) || ms >= maxMs) return ms / 1000;
    }
  }

  /** Measures the reference once (batch 1, ms, by the protocol's statistic); `signal` stops it between runs. */
  async read(signal?: AbortSignal): Promise<number> {
    const t = performance.now();
    const m = await measureBatch(this.runtime, { graph: this.graph }, 1, this.protocol, signal);
    this.readings.push(m.latencyMs);
    this.times.push((t + performance.now()) / 2);
    return m.latencyMs;
  }

  /**
   * Whether a measurement was disturbed: more than half of its sessions have a reading just before or just after
   * them more than DISTURBED_RATIO times the typical one, so the median over its sessions could not leave the slow
   * ones out.
   */
  disturbed(sessions: readonly SessionSpan[]): boolean {
    if (this.readings.length < MIN_READINGS_FOR_DISTURBANCE) return false;
    const limit = DISTURBED_RATIO * this.typicalMs();
    const slow = (i: number) => i >= 0 && i < this.readings.length && this.readings[i] > limit;
    const hit = sessions.filter((s) => {
      const after = this.times.findIndex((t) => t >= s.endMs);
      const before = (after < 0 ? this.times.length : after) - 1;
      return (before >= 0 && this.times[before] <= s.startMs && slow(before)) || slow(after);
    }).length;
    return hit > sessions.length / 2;
  }

  /** The reference's latency around a moment (performance.now(), ms): see referenceAround. */
  around(atMs: number, windowSeconds = SPEED_WINDOW_SECONDS): number {
    return referenceAround(this.readings, this.times, atMs, windowSeconds);
  }

  /** The reference's latency at the machine's typical speed so far: the median of the readings. */
  typicalMs(): number {
    return median(this.readings);
  }
}

/**
 * The reference's latency around a moment (ms, on the clock of `timesMs`): the median of the readings within
 * `windowSeconds` of it, and at least of the one just before and the one just after it.
 */
export function referenceAround(readings: readonly number[], timesMs: readonly number[], atMs: number, windowSeconds: number): number {
  const near: number[] = [];
  let before = -1;
  let after = -1;
  timesMs.forEach((t, i) => {
    if (Math.abs(t - atMs) <= windowSeconds * 1000) near.push(readings[i]);
    else if (t <= atMs) before = i;
    else if (after < 0) after = i;
  });
  if (near.length < 2) for (const i of [before, after]) if (i >= 0) near.push(readings[i]);
  return near.length ? median(near) : median(readings);
}

/** The speed factor of a measurement from the reference's latency around it: above 1 when the machine ran slow. */
export function speedFactor(referenceMs: number, typicalMs: number): number {
  return referenceMs / typicalMs;
}
