import { describe, expect, it } from 'vitest';
import { NetSproutError } from '../../engine/errors.js';
import { GraphBuilder } from '../../engine/graph/builder.js';
import { activationBytes, graphMetrics } from '../../engine/graph/metrics.js';
import { referenceCnn, smallCnn, textCnn, mlp } from '../../engine/graph/presets.js';
import { graphFromJSON, graphHash, graphToJSON } from '../../engine/graph/serialize.js';
import { inferShapes } from '../../engine/graph/shapes.js';
import type { Graph } from '../../engine/graph/types.js';
import { validateGraph } from '../../engine/graph/validate.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof NetSproutError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'no error';
}

describe('shape inference', () => {
  it('infers every layer type', () => {
    const b = new GraphBuilder();
    const img = b.input([32, 30, 3]);
    const c1 = b.conv2d(img, 8, 3, { strides: [2, 2], padding: 'same' }); // [16, 15, 8]
    const c2 = b.conv2d(img, 8, 5, { padding: 'valid', dilation: [2, 2] }); // 32-8=24, 30-8=22
    const s = b.separableConv2d(c1, 12, 3, { depthMultiplier: 2 }); // [16, 15, 12]
    const d = b.depthwiseConv2d(s, 3, { depthMultiplier: 3, strides: [2, 2], padding: 'valid' }); // [7, 7, 36]
    const mp = b.maxPool2d(c1, 2); // [8, 7, 8]
    const ap = b.avgPool2d(c1, 3, 2, 'same'); // [8, 8, 8]
    const gap = b.globalAvgPool(d);
    const gmp = b.globalMaxPool(c2);
    const fl = b.flatten(mp);
    const cat = b.concat([gap, gmp, fl]);
    const out = b.dense(b.dropout(cat, 0.5), 5, 'softmax');
    const g = b.build(out);
    g.layers.push({ id: 'unused_pool', type: 'avgPool2d', params: { poolSize: [2, 2], strides: [2, 2], padding: 'valid' }, inputs: [ap] });
    const shapes = inferShapes(g);
    expect(shapes.get(c1)).toEqual([16, 15, 8]);
    expect(shapes.get(c2)).toEqual([24, 22, 8]);
    expect(shapes.get(s)).toEqual([16, 15, 12]);
    expect(shapes.get(d)).toEqual([7, 7, 36]);
    expect(shapes.get(mp)).toEqual([8, 7, 8]);
    expect(shapes.get(ap)).toEqual([8, 8, 8]);
    expect(shapes.get(gap)).toEqual([36]);
    expect(shapes.get(fl)).toEqual([8 * 7 * 8]);
    expect(shapes.get(cat)).toEqual([36 + 8 + 448]);
    expect(shapes.get(out)).toEqual([5]);
  });

  it('infers text and table layers', () => {
    const t = textCnn(50, 1000, 4);
    const shapes = inferShapes(t);
    expect(shapes.get('embedding_1')).toEqual([50, 64]);
    expect(shapes.get('conv1d_1')).toEqual([50, 64]);
    expect(shapes.get('globalMaxPool_1')).toEqual([64]);
    const b = new GraphBuilder();
    const seq = b.input([20, 6]);
    const p = b.maxPool1d(b.conv1d(seq, 10, 3, { padding: 'valid' }), 2); // 18 → 9
    const a = b.avgPool1d(p, 3, 1, 'same');
    const g = b.build(b.dense(b.globalAvgPool(a), 2, 'softmax'));
    expect(inferShapes(g).get(a)).toEqual([9, 10]);
    expect(inferShapes(mlp([13], 3)).get('dense_3')).toEqual([3]);
  });
});

describe('validation names the problem and the layer', () => {
  const base = (): Graph => smallCnn([8, 8, 1], 2);
  it('cycle', () => {
    const g = base();
    g.layers.find((l) => l.id === 'conv2d_1')!.inputs = ['activation_2'];
    expect(codeOf(() => validateGraph(g))).toMatch(/^GRAPH_CYCLE: .*"conv2d_1"/);
  });
  it('dangling input', () => {
    const g = base();
    g.layers.find((l) => l.id === 'batchNorm_1')!.inputs = ['nowhere'];
    expect(codeOf(() => validateGraph(g))).toBe('GRAPH_DANGLING_INPUT: Layer "batchNorm_1" takes its input from "nowhere", which is not a layer of this network.');
  });
  it('shape mismatch at the layer', () => {
    const b = new GraphBuilder();
    const x = b.input([8, 8, 1]);
    const a = b.conv2d(x, 4);
    const c = b.conv2d(x, 6);
    const g = b.build(b.dense(b.globalAvgPool(b.addLayers([a, c])), 2));
    expect(codeOf(() => validateGraph(g))).toMatch(/^GRAPH_SHAPE_MISMATCH: Shape mismatch at layer "add_1" \(add\): add needs equal shapes, got \[8, 8, 4\] and \[8, 8, 6\]/);
  });
  it('a conv on a flat tensor', () => {
    const b = new GraphBuilder();
    const g = b.build(b.conv2d(b.input([10]), 3));
    expect(codeOf(() => validateGraph(g))).toMatch(/^GRAPH_SHAPE_MISMATCH: Shape mismatch at layer "conv2d_1"/);
  });
  it('a valid conv larger than its input', () => {
    const b = new GraphBuilder();
    const g = b.build(b.conv2d(b.input([2, 2, 1]), 3, 5, { padding: 'valid' }));
    expect(codeOf(() => validateGraph(g))).toMatch(/^GRAPH_SHAPE_MISMATCH: .*"conv2d_1".*empty dimension/);
  });
  it('duplicate ids, unused layers, missing output, bad params, embedding without int input', () => {
    let g = base();
    g.layers[2].id = g.layers[1].id;
    expect(codeOf(() => validateGraph(g))).toMatch(/^GRAPH_DUPLICATE_ID/);
    g = base();
    g.layers.push({ id: 'lonely', type: 'flatten', params: {}, inputs: ['input'] });
    expect(codeOf(() => validateGraph(g))).toMatch(/^GRAPH_UNUSED_LAYER: Layer "lonely"/);
    g = base();
    g.output = 'missing';
    expect(codeOf(() => validateGraph(g))).toMatch(/^GRAPH_OUTPUT_MISSING/);
    g = base();
    (g.layers.find((l) => l.type === 'conv2d')!.params as { filters: number }).filters = 0;
    expect(codeOf(() => validateGraph(g))).toMatch(/^GRAPH_BAD_PARAM: Layer "conv2d_1" \(conv2d\) has an invalid parameter: filters/);
    const b = new GraphBuilder();
    const e = b.build(b.dense(b.flatten(b.embedding(b.input([5]), 10, 4)), 2));
    expect(codeOf(() => validateGraph(e))).toMatch(/^GRAPH_DTYPE/);
  });
});

describe('counts', () => {
  it('parameters, MACs, bytes and activation memory of the reference CNN, by hand', () => {
    const m = graphMetrics(referenceCnn());
    // conv 3·3·1·32 + BN 4·32; conv 3·3·32·64 + BN 4·64; conv 3·3·64·128 + BN 4·128; dense 128·10 + 10.
    const params = 288 + 128 + 18432 + 256 + 73728 + 512 + 1290;
    expect(m.params).toBe(params);
    expect(m.trainableParams).toBe(params - 2 * (32 + 64 + 128));
    expect(m.weightBytes).toBe(params * 4);
    expect(m.macs).toBe(28 * 28 * 32 * 9 + 14 * 14 * 64 * 9 * 32 + 7 * 7 * 128 * 9 * 64 + 128 * 10);
    const perSample = 784 + 3 * 28 * 28 * 32 + 14 * 14 * 32 + 3 * 14 * 14 * 64 + 7 * 7 * 64 + 3 * 7 * 7 * 128 + 128 + 10;
    expect(m.activationElements).toBe(perSample);
    expect(activationBytes(referenceCnn(), 32)).toBe(perSample * 32 * 4);
  });
  it('separable and depthwise convolutions and embeddings', () => {
    const b = new GraphBuilder();
    const x = b.input([10, 10, 4]);
    const s = b.separableConv2d(x, 8, 3, { depthMultiplier: 2, useBias: true });
    const d = b.depthwiseConv2d(s, 3, { useBias: false });
    const m = graphMetrics(b.build(d));
    expect(m.params).toBe(3 * 3 * 4 * 2 + 4 * 2 * 8 + 8 + 3 * 3 * 8);
    expect(m.macs).toBe(10 * 10 * (8 * 9 + 8 * 8) + 10 * 10 * 8 * 9);
    expect(graphMetrics(textCnn(50, 1000, 4)).params).toBe(1000 * 64 + 5 * 64 * 64 + 64 + 64 * 4 + 4);
  });
});

describe('serialisation', () => {
  it('round-trips through JSON and keeps the hash', () => {
    for (const g of [referenceCnn(), textCnn(), mlp([20], 3)]) {
      const back = graphFromJSON(graphToJSON(g));
      expect(back).toEqual(g);
      expect(graphHash(back)).toBe(graphHash(g));
    }
  });
  it('hash ignores key and layer order but sees every parameter', () => {
    const g = referenceCnn();
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverseKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)])) : v;
    const shuffled = { output: g.output, layers: reverseKeys([...g.layers].reverse()), version: 1 } as Graph;
    expect(JSON.stringify(shuffled)).not.toBe(JSON.stringify(g));
    expect(graphHash(shuffled)).toBe(graphHash(g));
    const wider = structuredClone(g);
    (wider.layers.find((l) => l.id === 'conv2d_2')!.params as { filters: number }).filters = 65;
    expect(graphHash(wider)).not.toBe(graphHash(g));
  });
  it('rejects files that are not architectures, naming the file', () => {
    expect(codeOf(() => graphFromJSON('{"version":1,', 'arch.json'))).toMatch(/^GRAPH_JSON: arch.json is not valid JSON/);
    expect(codeOf(() => graphFromJSON({ version: 1, layers: [{ id: 'a', type: 'warp', params: {}, inputs: [] }], output: 'a' }, 'arch.json'))).toMatch(
      /^GRAPH_SCHEMA: arch.json is not a NetSprout architecture/,
    );
  });
});
