/**
 * The common baseline (FBNet, ProxylessNAS, OFA): every layer measured on its own, the network's latency the sum
 * of its layers' entries plus the cost of taking the input and returning the output. It ignores what the runtime
 * fuses (conv + batch norm + ReLU run as one kernel in ONNX Runtime) and what layers cost together, which is why
 * the thesis finds it poor (Kendall τ ≈ 0.45 on its benchmarks). A layer not in the table is estimated from the
 * entry of the same type nearest in work (multiply-accumulates + output elements), scaled by the ratio of work.
 */
import type { ArchitectureDescription } from './architectureFeatures.js';
import { MIN_PREDICTION_MS, type FitData, type LatencyPredictor, type LayerTimes } from './latencyPredictor.js';

interface TypedEntry {
  work: number;
  ms: number;
}

export interface LookupTableParams {
  layers: Record<string, number>;
  passThrough: Record<string, number>;
  /** Per type, (work, ms) of the measured layers, for layers not in the table. */
  byType: Record<string, TypedEntry[]>;
}

export class LookupTablePredictor implements LatencyPredictor {
  readonly name = 'lookup-table' as const;
  private params: LookupTableParams = { layers: {}, passThrough: {}, byType: {} };

  fit(data: FitData): void {
    if (!data.layerTimes) throw new Error('The lookup table needs layers measured on their own (layerTimes).');
    const byType: Record<string, TypedEntry[]> = {};
    const seen = new Set<string>();
    for (const o of data.observations) {
      for (const l of o.description.layers) {
        const ms = data.layerTimes.layers[l.key];
        if (ms === undefined || seen.has(l.key)) continue;
        seen.add(l.key);
        (byType[l.type] ??= []).push({ work: l.work, ms });
      }
    }
    for (const list of Object.values(byType)) list.sort((a, b) => a.work - b.work);
    this.params = { layers: { ...data.layerTimes.layers }, passThrough: { ...data.layerTimes.passThrough }, byType };
  }

  static fromParams(params: LookupTableParams): LookupTablePredictor {
    const p = new LookupTablePredictor();
    p.params = params;
    return p;
  }

  private estimate(type: string, work: number): number {
    const list = this.params.byType[type];
    if (!list?.length) return 0;
    let best = list[0];
    for (const e of list) if (Math.abs(Math.log1p(e.work) - Math.log1p(work)) < Math.abs(Math.log1p(best.work) - Math.log1p(work))) best = e;
    return best.work > 0 ? (best.ms * work) / best.work : best.ms;
  }

  private passThroughMs(shape: number[]): number {
    const exact = this.params.passThrough[shape.join('x')];
    if (exact !== undefined) return exact;
    const values = Object.values(this.params.passThrough);
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
  }

  predict(d: ArchitectureDescription): number {
    let ms = this.passThroughMs(d.inputShape);
    for (const l of d.layers) ms += this.params.layers[l.key] ?? this.estimate(l.type, l.work);
    return Math.max(MIN_PREDICTION_MS, ms);
  }

  toJSON(): LookupTableParams {
    return this.params;
  }
}

export type { LayerTimes };
