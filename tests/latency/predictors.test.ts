import { describe, expect, it } from 'vitest';
import { predictorAccuracy } from '../../engine/latency/accuracyMetrics.js';
import { FEATURE_NAMES, describeArchitecture, type ArchitectureDescription } from '../../engine/latency/architectureFeatures.js';
import { sampleArchitecture } from '../../engine/latency/architectureSampler.js';
import type { LatencyObservation, LayerTimes } from '../../engine/latency/latencyPredictor.js';
import { LookupTablePredictor } from '../../engine/latency/lookupTablePredictor.js';
import { MlpPredictor } from '../../engine/latency/mlpPredictor.js';
import { loadPredictor } from '../../engine/latency/predictorRegistry.js';
import { RandomForestPredictor } from '../../engine/latency/randomForestPredictor.js';
import { RidgeForestPredictor } from '../../engine/latency/ridgeForestPredictor.js';
import { RidgePredictor } from '../../engine/latency/ridgePredictor.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

const feature = (d: ArchitectureDescription, name: (typeof FEATURE_NAMES)[number]) => d.features[FEATURE_NAMES.indexOf(name)];

/** A known latency function of the features: ms = 0.02 + per-MAC costs + per-element costs + per-layer overhead. */
function syntheticMs(d: ArchitectureDescription): number {
  return (
    0.02 +
    feature(d, 'macsConvKxK') * 1.2e-8 +
    feature(d, 'macsConv1x1') * 2e-8 +
    feature(d, 'macsDepthwise') * 6e-8 +
    feature(d, 'macsDense') * 3e-8 +
    feature(d, 'elementwiseElements') * 4e-8 +
    feature(d, 'layers') * 0.003
  );
}

const rng = makeRandom(11);
const descriptions = Array.from({ length: 160 }, () => describeArchitecture(sampleArchitecture(rng).graph));
const all: LatencyObservation[] = descriptions.map((d) => ({ description: d, ms: syntheticMs(d) }));
const fit = all.slice(0, 120);
const held = all.slice(120);

function heldOutAccuracy(predict: (d: ArchitectureDescription) => number) {
  return predictorAccuracy(held.map((o) => o.ms), held.map((o) => predict(o.description)));
}

describe('latency predictors recover a known latency function', () => {
  it('the sampled architectures vary in latency (more than 10× between fastest and slowest)', () => {
    const ms = all.map((o) => o.ms).sort((a, b) => a - b);
    expect(ms[ms.length - 1] / ms[0]).toBeGreaterThan(10);
  });

  it('ridge regression recovers a linear function of the features exactly', () => {
    const p = new RidgePredictor();
    p.fit({ observations: fit });
    const a = heldOutAccuracy((d) => p.predict(d));
    expect(a.within10).toBe(1);
    expect(a.kendallTau).toBeGreaterThan(0.99);
    expect(a.mape).toBeLessThan(0.01);
    const again = loadPredictor('ridge', JSON.parse(JSON.stringify(p.toJSON())));
    for (const o of held) expect(again.predict(o.description)).toBe(p.predict(o.description));
  });

  it('the MLP recovers it closely', () => {
    const p = new MlpPredictor({ epochs: 800 });
    p.fit({ observations: fit, seed: 1 });
    const a = heldOutAccuracy((d) => p.predict(d));
    expect(a.kendallTau).toBeGreaterThan(0.9);
    expect(a.within10).toBeGreaterThanOrEqual(0.75);
    expect(a.mape).toBeLessThan(0.1);
    const again = loadPredictor('mlp', JSON.parse(JSON.stringify(p.toJSON())));
    for (const o of held) expect(again.predict(o.description)).toBeCloseTo(p.predict(o.description), 10);
  });

  it('the random forest ranks the held-out architectures well', () => {
    const p = new RandomForestPredictor();
    p.fit({ observations: fit, seed: 1 });
    const a = heldOutAccuracy((d) => p.predict(d));
    expect(a.kendallTau).toBeGreaterThan(0.8);
    expect(a.mape).toBeLessThan(0.25);
    const again = loadPredictor('random-forest', JSON.parse(JSON.stringify(p.toJSON())));
    for (const o of held) expect(again.predict(o.description)).toBeCloseTo(p.predict(o.description), 10);
  });

  it('ridge corrected by a forest learns a multiplicative effect that ridge alone misses, and keeps a linear function', () => {
    // Networks whose largest activation outgrows a cache run 40% slower per unit of work: not linear in the features.
    const big = [...all.map((o) => feature(o.description, 'maxActivationElements'))].sort((a, b) => a - b)[Math.floor(all.length / 2)];
    const slowed = (d: ArchitectureDescription) => syntheticMs(d) * (feature(d, 'maxActivationElements') > big ? 1.4 : 1);
    const fitSlowed = fit.map((o) => ({ description: o.description, ms: slowed(o.description) }));
    const accuracyOn = (predict: (d: ArchitectureDescription) => number) => predictorAccuracy(held.map((o) => slowed(o.description)), held.map((o) => predict(o.description)));
    const ridge = new RidgePredictor();
    ridge.fit({ observations: fitSlowed });
    const corrected = new RidgeForestPredictor();
    corrected.fit({ observations: fitSlowed, seed: 1 });
    const r = accuracyOn((d) => ridge.predict(d));
    const c = accuracyOn((d) => corrected.predict(d));
    expect(c.within10).toBeGreaterThan(r.within10 + 0.15);
    expect(c.mape).toBeLessThan(r.mape);
    const again = loadPredictor('ridge-forest', JSON.parse(JSON.stringify(corrected.toJSON())));
    for (const o of held) expect(again.predict(o.description)).toBeCloseTo(corrected.predict(o.description), 10);
    // On the linear function ridge fits exactly, the correction stays near zero.
    const onLinear = new RidgeForestPredictor();
    onLinear.fit({ observations: fit, seed: 1 });
    expect(heldOutAccuracy((d) => onLinear.predict(d)).within10).toBeGreaterThanOrEqual(0.95);
  });

  it('the lookup table sums its layer entries and the pass-through cost; unseen layers scale the nearest entry', () => {
    // Synthetic per-layer costs proportional to work, plus 0.01 ms to take the input and return the output.
    const layerTimes: LayerTimes = { layers: {}, passThrough: {} };
    const cost = (work: number) => 1e-8 * work + 0.001;
    for (const o of all) {
      for (const l of o.description.layers) layerTimes.layers[l.key] = cost(l.work);
      layerTimes.passThrough[o.description.inputShape.join('x')] = 0.01;
    }
    const truth = (d: ArchitectureDescription) => 0.01 + d.layers.reduce((s, l) => s + cost(l.work), 0);
    const p = new LookupTablePredictor();
    p.fit({ observations: fit, layerTimes });
    for (const o of held) expect(p.predict(o.description)).toBeCloseTo(truth(o.description), 10);
    // A table without the held-out architectures' own layers falls back on the nearest entry of the same type.
    const partial: LayerTimes = { layers: {}, passThrough: layerTimes.passThrough };
    for (const o of fit) for (const l of o.description.layers) partial.layers[l.key] = layerTimes.layers[l.key];
    const q = new LookupTablePredictor();
    q.fit({ observations: fit, layerTimes: partial });
    const a = heldOutAccuracy((d) => q.predict(d));
    expect(a.kendallTau).toBeGreaterThan(0.8);
    const again = loadPredictor('lookup-table', JSON.parse(JSON.stringify(q.toJSON())));
    for (const o of held) expect(again.predict(o.description)).toBe(q.predict(o.description));
  });

  it('an unknown predictor name is a NetSproutError', () => {
    expect(() => loadPredictor('magic', {}, 'device.json')).toThrow(expect.objectContaining({ code: 'PROFILE_PREDICTOR', files: ['device.json'] }));
  });
});

describe('architecture features', () => {
  it('count what a runtime fuses: batch norm and ReLU after a convolution read by nothing else', async () => {
    const { GraphBuilder } = await import('../../engine/graph/builder.js');
    const { fusedLayers } = await import('../../engine/latency/architectureFeatures.js');
    const b = new GraphBuilder();
    let x = b.input([8, 8, 3]);
    x = b.convBnRelu(x, 8); // conv2d_1 → batchNorm_1 → activation_1: both fused
    const skip = x;
    x = b.convBnRelu(x, 8); // conv2d_2 → batchNorm_2 → activation_2: both fused
    x = b.activation(b.addLayers([x, skip]), 'relu'); // activation_3 after an add: not fused
    x = b.batchNorm(x); // batch norm after an activation: not fused
    const g = b.build(b.dense(b.globalAvgPool(x), 2, 'softmax'));
    expect([...fusedLayers(g)].sort()).toEqual(['activation_1', 'activation_2', 'batchNorm_1', 'batchNorm_2']);
    const d = describeArchitecture(g);
    const f = (n: (typeof FEATURE_NAMES)[number]) => d.features[FEATURE_NAMES.indexOf(n)];
    expect(f('elementwiseOps')).toBe(8); // 3 BN, 3 ReLU, 1 add, softmax of the dense layer
    expect(f('unfusedElementwiseOps')).toBe(4); // add, ReLU after it, BN after that, softmax
    expect(f('adds')).toBe(1);
    expect(f('branchPoints')).toBe(1);
    expect(f('macsConvKxK')).toBe(8 * 8 * 8 * 9 * 3 + 8 * 8 * 8 * 9 * 8);
    // 3 input channels stay 3; 8 output channels pad to a block of 16.
    expect(f('macsConvKxKPadded')).toBe(8 * 8 * 16 * 9 * 3 + 8 * 8 * 16 * 9 * 16);
    expect(f('layers')).toBe(g.layers.length - 1);
  });

  it('split convolutions\' multiply-accumulates by map size, input channels and weight size', async () => {
    const { GraphBuilder } = await import('../../engine/graph/builder.js');
    const b = new GraphBuilder();
    let x = b.input([32, 32, 3]);
    x = b.convBnRelu(x, 16); // 1,024 positions, 3 channels in, 3·3·3·16 = 432 weights
    x = b.maxPool2d(x, 2);
    x = b.convBnRelu(x, 64); // 256 positions, 16 in, 9,216 weights
    x = b.maxPool2d(x, 2);
    x = b.convBnRelu(x, 128); // 64 positions, 64 in, 73,728 weights
    const g = b.build(b.dense(b.globalAvgPool(x), 2, 'softmax'));
    const d = describeArchitecture(g);
    const f = (n: (typeof FEATURE_NAMES)[number]) => d.features[FEATURE_NAMES.indexOf(n)];
    const [m1, m2, m3] = [1024 * 432, 256 * 9216, 64 * 73728];
    expect(f('convMacsLargeMapCin4')).toBe(m1);
    expect(f('convMacsMidMapCin32')).toBe(m2);
    expect(f('convMacsSmallMapCin96')).toBe(m3);
    expect(f('convMacsWeightsUnder4k')).toBe(m1);
    expect(f('convMacsWeightsUnder16k')).toBe(m2);
    expect(f('convMacsWeights64kUp')).toBe(m3);
    // Each split accounts for every convolution once.
    const sum = (prefix: string, not?: string) => FEATURE_NAMES.filter((n) => n.startsWith(prefix) && !(not && n.startsWith(not))).reduce((a, n) => a + f(n), 0);
    expect(sum('convMacs', 'convMacsWeights')).toBe(f('macsConvKxK'));
    expect(sum('convMacsWeights')).toBe(f('macsConvKxK'));
  });
});
