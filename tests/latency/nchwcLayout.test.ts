import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../engine/graph/builder.js';
import { FEATURE_NAMES, describeArchitecture } from '../../engine/latency/architectureFeatures.js';
import { featureOptionsFor } from '../../engine/latency/deviceProfile.js';
import { nchwcBlockSize, nchwcFigures } from '../../engine/latency/nchwcLayout.js';

const head = (b: GraphBuilder, x: string) => b.build(b.dense(b.globalAvgPool(x), 10, 'softmax'));

describe("ONNX Runtime's blocked layout (NCHWc)", () => {
  it('blocks a first convolution of any width, pads its filters, and reorders before a pooling it cannot block', () => {
    const b = new GraphBuilder();
    const c = b.convBnRelu(b.input([28, 28, 1]), 25);
    const g = head(b, b.maxPool2d(c));
    const f = nchwcFigures(g, 16);
    // One input channel (read as NCHW directly), 25 filters computed as 32.
    expect(f.macsBlockedNchwInput).toBe(28 * 28 * 9 * 1 * 32);
    expect(f.macsBlocked + f.macsUnblocked).toBe(0);
    // The pooling of 25 channels runs in NCHW: the conv's output is reordered, and the pooling counted.
    expect(f).toMatchObject({ reorders: 1, reorderElements: 28 * 28 * 25, unblockedPoolElements: 28 * 28 * 25 + 14 * 14 * 25 });
  });

  it('keeps blocked layers blocked without reorders, down to the global pooling', () => {
    const b = new GraphBuilder();
    let x = b.convBnRelu(b.input([16, 16, 3]), 32);
    x = b.maxPool2d(b.convBnRelu(x, 32));
    const g = head(b, b.convBnRelu(x, 64, 1));
    const f = nchwcFigures(g, 16);
    expect(f.macsBlockedNchwInput).toBe(16 * 16 * 9 * 3 * 32);
    expect(f.macsBlocked).toBe(16 * 16 * 9 * 32 * 32);
    expect(f.macsBlockedPointwise).toBe(8 * 8 * 32 * 64);
    // Only the pooled vector goes back to NCHW for the dense layer.
    expect(f).toMatchObject({ reorders: 1, reorderElements: 64, unblockedPoolElements: 0, macsUnblocked: 0 });
  });

  it('leaves a convolution of 18 input channels (not a multiple of 4) in NCHW, and a separable one of 90 channels', () => {
    const b = new GraphBuilder();
    let x = b.convBnRelu(b.input([8, 8, 1]), 18);
    x = b.convBnRelu(x, 32);
    const g = head(b, b.separableConv2d(b.conv2d(x, 90, 1), 16));
    const f = nchwcFigures(g, 16);
    expect(f.macsUnblocked).toBe(8 * 8 * 9 * 18 * 32 + 8 * 8 * 90 * 16);
    expect(f.macsUnblockedDepthwise).toBe(8 * 8 * 9 * 90);
    // 18 channels back to NCHW for the unblocked conv, its 32 forward for the blocked 1×1, the 1×1's 90 back for the
    // unblocked depthwise, the separable's 16 forward for the (blocked) global pooling, and the pooled vector back.
    expect(f.reorderElements).toBe(8 * 8 * 18 + 8 * 8 * 32 + 8 * 8 * 90 + 8 * 8 * 16 + 16);
    expect(f.reorders).toBe(5);
  });

  it('blocks a concat only of blocked inputs whose channels fill whole blocks, and an add of blocked inputs', () => {
    const build = (second: number) => {
      const b = new GraphBuilder();
      const x = b.convBnRelu(b.input([8, 8, 16]), 16);
      const y = b.convBnRelu(x, second);
      const s = b.addLayers([b.convBnRelu(x, 16), x]);
      return head(b, b.convBnRelu(b.concat([s, y]), 32));
    };
    const whole = nchwcFigures(build(32), 16);
    expect(whole.reorders).toBe(2); // the input (16 channels: reordered for the first conv) and the pooled vector
    const partial = nchwcFigures(build(20), 16);
    // 20 channels: the concat runs in NCHW, so both its inputs go back, and its output forward again.
    expect(partial.reorderElements - whole.reorderElements).toBe(8 * 8 * 16 + 8 * 8 * 20 + 8 * 8 * 36);
  });

  it('applies only where the runtime blocks channels: ONNX Runtime on an x86-64 CPU, 16 floats with AVX-512F', () => {
    expect(nchwcBlockSize(['avx', 'avx2', 'avx512f'], 'x64')).toBe(16);
    expect(nchwcBlockSize(['avx', 'avx2'], 'x64')).toBe(8);
    expect(nchwcBlockSize(['neon', 'asimd'], 'arm64')).toBe(0);
    const machine = { cpu: { simd: ['avx2', 'avx512f'] }, os: { arch: 'x64' } };
    expect(featureOptionsFor({ name: 'onnx', backend: 'cpu' }, machine)).toEqual({ nchwcBlock: 16 });
    expect(featureOptionsFor({ name: 'tfjs', backend: 'wasm' }, machine)).toEqual({ nchwcBlock: 0 });
    const b = new GraphBuilder();
    const g = head(b, b.convBnRelu(b.input([8, 8, 1]), 25));
    const zero = describeArchitecture(g).features;
    const blocked = describeArchitecture(g, { nchwcBlock: 16 }).features;
    const i = FEATURE_NAMES.indexOf('nchwcMacsNchwInput');
    expect(zero[i]).toBe(0);
    expect(blocked[i]).toBe(8 * 8 * 9 * 32);
    expect(blocked.filter((_, j) => !FEATURE_NAMES[j].startsWith('nchwc'))).toEqual(zero.filter((_, j) => !FEATURE_NAMES[j].startsWith('nchwc')));
  });
});
