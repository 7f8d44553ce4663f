import { readFileSync } from 'node:fs';
import { describeArchitecture } from '../engine/latency/architectureFeatures.js';
import { nchwcFigures } from '../engine/latency/nchwcLayout.js';
import { createPredictor } from '../engine/latency/predictorRegistry.js';
import { predictorAccuracy } from '../engine/latency/accuracyMetrics.js';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const block = Number(process.argv[3] ?? 16);
const obs = p.samples.map((s: any) => {
  const d = describeArchitecture(s.graph);
  if (block) { const f = nchwcFigures(s.graph, block); d.features = [...d.features, ...Object.values(f)]; }
  return { description: d, ms: s.ms, split: s.split, s };
});
const fit = obs.filter((o: any) => o.split === 'fit');
const held = obs.filter((o: any) => o.split === 'heldOut');
for (const name of ['ridge', 'random-forest', 'mlp']) {
  const pr = createPredictor(name as any);
  pr.fit({ observations: fit, layerTimes: p.layerTimes, seed: 0 });
  const pred = held.map((o: any) => pr.predict(o.description));
  const a = predictorAccuracy(held.map((o: any) => o.ms), pred);
  console.log(block, name, 'tau', a.kendallTau.toFixed(3), 'mape', a.mape.toFixed(3), 'within10', a.within10.toFixed(3));
}
{
  const pr = createPredictor('ridge');
  pr.fit({ observations: fit, layerTimes: p.layerTimes, seed: 0 });
  for (const o of held) {
    const e = pr.predict(o.description) / o.ms - 1;
    if (Math.abs(e) < 0.12) continue;
    const f = nchwcFigures(o.s.graph, block);
    console.log((e * 100).toFixed(1), o.ms.toFixed(3), JSON.stringify(f), o.s.graph.layers.filter((l: any) => l.type !== 'input').map((l: any) => l.type.replace('conv2d', 'c').replace('batchNorm', 'bn').replace('activation', 'a') + (l.params.kernelSize ? l.params.kernelSize[0] : '') + (l.params.filters ?? l.params.units ?? '') + (l.params.dilation && l.params.dilation[0] > 1 ? 'd' + l.params.dilation[0] : '') + (l.params.strides && l.params.strides[0] > 1 ? 's' + l.params.strides[0] : '')).join(' '));
  }
}
