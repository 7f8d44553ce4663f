import { readFileSync } from 'node:fs';
import { describeArchitecture } from '../engine/latency/architectureFeatures.js';
import { createPredictor } from '../engine/latency/predictorRegistry.js';
import { predictorAccuracy } from '../engine/latency/accuracyMetrics.js';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const obs = p.samples.map((s: any) => ({ description: describeArchitecture(s.graph), ms: s.ms, split: s.split, s }));
const fit = obs.filter((o: any) => o.split === 'fit');
const held = obs.filter((o: any) => o.split === 'heldOut');
for (const name of ['ridge', 'random-forest', 'mlp']) {
  const pr = createPredictor(name as any);
  pr.fit({ observations: fit, layerTimes: p.layerTimes, seed: 0 });
  const pred = held.map((o: any) => pr.predict(o.description));
  const a = predictorAccuracy(held.map((o: any) => o.ms), pred);
  console.log(name, JSON.stringify(a));
  if (name === 'ridge') {
    const rows = held.map((o: any, i: number) => [o.ms, pred[i] / o.ms - 1, o.description.layers.length, o.s.origin.seed, (o.s.origin.morphs ?? []).length]).sort((a: any, b: any) => a[0] - b[0]);
    for (const r of rows) console.log(r[0].toFixed(4), (r[1] * 100).toFixed(1) + '%', r[2], r[3], r[4]);
  }
}
{
  const pr = createPredictor('ridge');
  pr.fit({ observations: fit, layerTimes: p.layerTimes, seed: 0 });
  for (const o of held) {
    const e = pr.predict(o.description) / o.ms - 1;
    if (Math.abs(e) < 0.2) continue;
    console.log((e * 100).toFixed(1), o.ms.toFixed(3), o.s.graph.layers.filter((l: any) => l.type !== 'input').map((l: any) => l.type.replace('conv2d', 'c').replace('batchNorm', 'bn').replace('activation', 'a') + (l.params.kernelSize ? l.params.kernelSize[0] : '') + (l.params.filters ?? l.params.units ?? '') + (l.params.dilation && l.params.dilation[0] > 1 ? 'd' + l.params.dilation[0] : '') + (l.params.strides && l.params.strides[0] > 1 ? 's' + l.params.strides[0] : '')).join(' '));
  }
}
