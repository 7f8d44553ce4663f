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
 */
import type { Graph } from '../graph/types.js';
import { measureBatch, type LatencyProtocol, type LatencyRuntime } from './latencyProtocol.js';
import { median } from './latencyStatistics.js';

/** A short protocol for the reference (a small network): one session, about 50 ms. */
export function referenceProtocol(protocol: LatencyProtocol): LatencyProtocol {
  return { ...protocol, batchSizes: [1], sessions: 1, warmupRuns: 5, warmupMs: 10, minRuns: 15, minTimedMs: 30 };
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
}

export class SpeedReference {
  readonly readings: number[] = [];
  readonly protocol: LatencyProtocol;

  constructor(
    private readonly runtime: LatencyRuntime,
    readonly graph: Graph,
    protocol: LatencyProtocol,
  ) {
    this.protocol = referenceProtocol(protocol);
  }

  /** Measures the reference once (batch 1, ms); `signal` stops it between runs. */
  async read(signal?: AbortSignal): Promise<number> {
    const m = await measureBatch(this.runtime, { graph: this.graph }, 1, this.protocol, signal);
    this.readings.push(m.medianMs);
    return m.medianMs;
  }

  /** The reference's latency at the machine's typical speed so far: the median of the readings. */
  typicalMs(): number {
    return median(this.readings);
  }
}

/** The speed factor of a measurement taken between two reference readings: above 1 when the machine ran slow. */
export function speedFactor(beforeMs: number, afterMs: number, typicalMs: number): number {
  return (beforeMs + afterMs) / 2 / typicalMs;
}
