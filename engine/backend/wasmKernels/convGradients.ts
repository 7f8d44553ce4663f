/**
 * Convolution gradients for the WASM backend.
 *
 * With NetSprout's SIMD kernels (simd/kernels.c; on unless NETSPROUT_SIMD_KERNELS=off): the filter gradient is one
 * direct kernel for every stride, dilation and padding (conv2dFilterGradientSimd), and the input gradient at
 * stride 1 a convolution of padded dy with the flipped filter on the kernel that also runs Conv2D
 * (conv2dStride1Simd). Otherwise, and for the input gradient at larger strides, forward convolutions that XNNPACK
 * runs:
 *
 * Filter gradient of y = conv(x, W) (stride s, dilation d, padding p):
 *   dW[i,j,c,o] = Σ_{b,p,q} xpad[b, p·s + i·d, q·s + j·d, c] · dy[b,p,q,o]
 * which is itself a convolution: transpose xpad to [c, H, W, b] (the batch becomes the channel axis), use dy
 * transposed to [oh, ow, b, o] as the filter, and swap the roles of stride and dilation. The result [c, kh, kw, o]
 * is transposed back to [kh, kw, c, o].
 *
 * Input gradient: insert s−1 zeros between the rows and columns of dy, pad it, and correlate it with the
 * spatially flipped filter whose in/out channels are swapped (a stride-1 convolution with dilation d).
 *
 * Depthwise variants pair channel c of x with channel c of dy. The filter gradient, with the SIMD kernels and a
 * channel multiplier of 1 (what separable convolutions use), is one direct kernel (depthwise_filter_grad); otherwise
 * it runs one grouped convolution over [1, H, W, c·b] with a [oh, ow, c·b, m] filter and sums over b, which XNNPACK
 * runs about ten times slower per multiply-add than a 3×3 depthwise convolution (its filter is the size of the
 * image). The input gradient runs a depthwise convolution with the flipped filter and sums over the channel
 * multiplier.
 */
import { backend_util, type KernelBackend, type TensorInfo } from '@tensorflow/tfjs-core';
import { KernelRunner } from './kernelRunner.js';
import { address, runSimd, simdKernels, simdThreads } from './simdKernels.js';
import { chunkRanges } from './simdThreads.js';

/** Image chunks of the SIMD filter gradient (each a partial sum). */
const FILTER_GRAD_CHUNKS = 8;

type Conv2DInfo = backend_util.Conv2DInfo;

function stridesDilations(info: Conv2DInfo): { sh: number; sw: number; dh: number; dw: number } {
  return { sh: info.strideHeight, sw: info.strideWidth, dh: info.dilationHeight, dw: info.dilationWidth };
}

/**
 * x zero-padded (and cropped) by SIMD kernel to the [b, needH, needW, c] that a convolution reads (its padding before,
 * whatever it reads after); x itself where that is x.
 */
function paddedForConv(r: KernelRunner, x: TensorInfo, info: Conv2DInfo, needH: number, needW: number): TensorInfo {
  const [b, h, w, c] = x.shape;
  const { top, left } = info.padInfo;
  if (top === 0 && left === 0 && needH === h && needW === w) return x;
  const be = r.backend;
  const xp = r.allocate([b, needH, needW, c]);
  runSimd(be, 'pad_nhwc', [address(be, x), address(be, xp), h, w, c, needH, needW, top, left], b * needH, 4 * simdThreads(be));
  return xp;
}

/** dW for a regular 2-D convolution. x: [b, h, w, c] (NHWC), dy: [b, oh, ow, o]. Returns [kh, kw, c, o]. */
export function conv2dFilterGradient(r: KernelRunner, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { sh, sw, dh, dw } = stridesDilations(info);
  const { top, left } = info.padInfo;
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [oh, ow] = [info.outHeight, info.outWidth];
  // Rows of xpad that the forward pass reads: (oh−1)·s + (kh−1)·d + 1.
  const needH = (oh - 1) * sh + (kh - 1) * dh + 1;
  const needW = (ow - 1) * sw + (kw - 1) * dw + 1;
  if (x.dtype === 'float32' && dy.dtype === 'float32' && simdKernels(r.backend)) {
    // Short output rows (the deep, small layers) make the direct kernel's inner loop short; there the transposed
    // convolution below, whose Conv2D is then NetSprout's SIMD kernel with long contiguous reductions over the
    // batch, costs less (single-thread CPU time for [64,7,7,64]→128: 20.6 ms, transposes included, against 28.3).
    const small = info.outWidth <= SHORT_ROWS && sh === 1 && sw === 1 && dh === 1 && dw === 1 && info.batchSize >= 4;
    if (!small) return conv2dFilterGradientSimd(r, x, dy, info, needH, needW);
  } else {
    if (info.inChannels <= FEW_INPUT_CHANNELS) return conv2dFilterGradientIm2col(r, x, dy, info, needH, needW);
    const swapped = conv2dFilterGradientSwapped(r, x, dy, info);
    if (swapped) return swapped;
  }
  const xT = r.transpose(x, [3, 1, 2, 0]); // [c, h, w, b]
  const xPad = r.padOrCrop(xT, [
    [0, 0],
    [top, needH - top - info.inHeight],
    [left, needW - left - info.inWidth],
    [0, 0],
  ]);
  const dyT = r.transpose(dy, [1, 2, 0, 3]); // [oh, ow, b, o]
  let g: TensorInfo;
  if ((sh === 1 && sw === 1) || (dh === 1 && dw === 1)) {
    g = r.run('Conv2D', { x: xPad, filter: dyT }, { strides: [dh, dw], pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw] });
  } else {
    // Stride and dilation both above one: one tap of the kernel at a time.
    g = conv2dFilterGradientByTaps(r, xPad, dyT, info);
  }
  return r.transpose(g, [1, 2, 0, 3]); // [kh, kw, c, o]
}

/**
 * The filter gradient as NetSprout's own SIMD kernel (simd/kernels.c, conv2d_filter_grad): x is zero-padded (and
 * cropped to the rows and columns the convolution reads) into [b, needH, needW, c], then every row (tap, channel) of
 * dW is the sum over output positions of the tap's input value times dy's row, in register tiles of 4 rows by 8
 * output channels, the rows shared between the kernel threads. About twice as fast as the convolutions below,
 * which pay for transposes and for packing a filter operand as large as the activations.
 */
function conv2dFilterGradientSimd(r: KernelRunner, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo, needH: number, needW: number): TensorInfo {
  const { sh, sw, dh, dw } = stridesDilations(info);
  const [b, , , c] = x.shape;
  const [kh, kw, o] = [info.filterHeight, info.filterWidth, info.outChannels];
  const be = r.backend;
  const xp = paddedForConv(r, x, info, needH, needW);
  const size = kh * kw * c * o;
  // A fixed number of image chunks, each summed into its own part, the parts then added in order: the same bits on
  // any number of threads, and enough chunks for the threads to balance.
  const { count } = chunkRanges(b, FILTER_GRAD_CHUNKS);
  const out = r.allocate([kh, kw, c, o]);
  const parts = count > 1 ? r.allocate([count, size]) : out;
  const args = [address(be, xp), address(be, dy), address(be, parts), needH, needW, c, info.outHeight, info.outWidth, o, kw, sh, sw, dh, dw, kh * kw * c, size];
  runSimd(be, 'conv2d_filter_grad', args, b, FILTER_GRAD_CHUNKS);
  if (count > 1) runSimd(be, 'sum_parts', [address(be, parts), address(be, out), count, size], size, 4);
  return out;
}

/**
 * The same sum with the roles of the operands swapped, for stride 1: dy transposed to [o, oh, ow, b] is the input
 * and x transposed to [h, w, b, c] the filter, so the output [o, kh, kw, c] holds dW with the kernel flipped:
 *   g[o, i', j', c] = Σ_{u,v,b} dypad[o, i'·d + u, j'·d + v, b] · x[b, u, v, c],  dW[i, j] = g[kh−1−i, kw−1−j]
 * with dy padded by (k−1)·d − top before and h − oh + top after (as the convolution's own padding, no copy); the
 * dilation becomes the stride. XNNPACK packs the filter operand afresh on every call, and packing costs far more
 * than its size suggests when that operand is large: x is the smaller of the two when c < o, and the packing of
 * dy ([oh, ow, b, o], a row stride of oh·ow·b floats, a large power of two for batch 64) was the main cost of the
 * layer [64,14,14,32]→64. Returns null where the swap does not apply (stride > 1, c ≥ o, a negative padding, or
 * x much larger than dy, e.g. 'valid' with a large kernel, where the swap would multiply by zeros).
 */
function conv2dFilterGradientSwapped(r: KernelRunner, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo | null {
  const { sh, sw, dh, dw } = stridesDilations(info);
  const [kh, kw, c, o] = [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels];
  const [h, w, oh, ow] = [info.inHeight, info.inWidth, info.outHeight, info.outWidth];
  if (sh !== 1 || sw !== 1 || c >= o || h * w > 1.25 * oh * ow) return null;
  const { top, left } = info.padInfo;
  const pads = [(kh - 1) * dh - top, h - oh + top, (kw - 1) * dw - left, w - ow + left];
  if (pads.some((p) => p < 0)) return null;
  const xT = r.transpose(x, [1, 2, 0, 3]); // [h, w, b, c]
  const dyT = r.transpose(dy, [3, 1, 2, 0]); // [o, oh, ow, b]
  const g = r.run('Conv2D', { x: dyT, filter: xT }, {
    strides: [dh, dw],
    pad: [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]],
    dataFormat: 'NHWC',
    dilations: [1, 1],
  }); // [o, kh, kw, c]
  return r.transpose(r.reverse(g, [1, 2]), [1, 2, 3, 0]);
}

/** Output rows at most this wide take the transposed convolution when the SIMD kernels are on. */
const SHORT_ROWS = 8;

/** At most this many input channels (a network's first layer), the filter gradient is an im2col and one matmul. */
const FEW_INPUT_CHANNELS = 4;

/**
 * dW = colsᵀ · dy with cols the im2col of x, for layers with few input channels: the convolution above would run
 * with a kernel as large as the image and only c·b input channels, which XNNPACK handles poorly, while cols is
 * small here (kh·kw·c rows). cols is built already transposed, [kh·kw·c, b·oh·ow], from one strided slice of the
 * padded, transposed input per kernel tap, so the matmul needs no transposed operand.
 */
function conv2dFilterGradientIm2col(r: KernelRunner, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo, needH: number, needW: number): TensorInfo {
  const { sh, sw, dh, dw } = stridesDilations(info);
  const [kh, kw, c, o] = [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels];
  const [b, oh, ow] = [info.batchSize, info.outHeight, info.outWidth];
  const xPad = r.padOrCrop(r.transpose(x, [3, 0, 1, 2]), [
    [0, 0],
    [0, 0],
    [info.padInfo.top, needH - info.padInfo.top - info.inHeight],
    [info.padInfo.left, needW - info.padInfo.left - info.inWidth],
  ]); // [c, b, H', W']
  const taps: TensorInfo[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const begin = [0, 0, i * dh, j * dw];
      taps.push(
        sh === 1 && sw === 1
          ? r.slice(xPad, begin, [c, b, oh, ow])
          : r.run('StridedSlice', { x: xPad }, { begin, end: [c, b, begin[2] + (oh - 1) * sh + 1, begin[3] + (ow - 1) * sw + 1], strides: [1, 1, sh, sw], beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 }),
      );
    }
  }
  const cols = r.reshape(taps.length === 1 ? taps[0] : r.concat(taps, 0), [1, kh * kw * c, b * oh * ow]);
  const g = r.run('BatchMatMul', { a: cols, b: r.reshape(dy, [1, b * oh * ow, o]) }, { transposeA: false, transposeB: false });
  return r.reshape(g, [kh, kw, c, o]);
}

/** Fallback when stride and dilation are both > 1: kh·kw strided convolutions of size 1 in the kernel. */
function conv2dFilterGradientByTaps(r: KernelRunner, xPad: TensorInfo, dyT: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { sh, sw, dh, dw } = stridesDilations(info);
  const [c, , , b] = xPad.shape;
  const o = dyT.shape[3];
  const taps: TensorInfo[] = [];
  for (let i = 0; i < info.filterHeight; i++) {
    for (let j = 0; j < info.filterWidth; j++) {
      const window = r.slice(xPad, [0, i * dh, j * dw, 0], [c, (info.outHeight - 1) * sh + 1, (info.outWidth - 1) * sw + 1, b]);
      const t = r.run('Conv2D', { x: window, filter: dyT }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw] });
      taps.push(r.reshape(t, [c, 1, 1, o]));
    }
  }
  const rows: TensorInfo[] = [];
  for (let i = 0; i < info.filterHeight; i++) {
    rows.push(r.concat(taps.slice(i * info.filterWidth, (i + 1) * info.filterWidth), 2));
  }
  return r.concat(rows, 1);
}

/**
 * dy with s−1 zeros inserted between rows and columns, then padded/cropped so that a valid convolution with a
 * (kh, kw) kernel at dilation d yields exactly the input's height and width.
 */
function dilateAndPad(r: KernelRunner, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { sh, sw, dh, dw } = stridesDilations(info);
  const [b, oh, ow, o] = dy.shape;
  let z = dy;
  if (sh > 1 || sw > 1) {
    const r6 = r.reshape(dy, [b, oh, 1, ow, 1, o]);
    const spread = r.padOrCrop(r6, [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    z = r.reshape(spread, [b, oh * sh, ow * sw, o]);
  }
  const lenH = oh * sh;
  const lenW = ow * sw;
  const beforeH = (info.filterHeight - 1) * dh - info.padInfo.top;
  const beforeW = (info.filterWidth - 1) * dw - info.padInfo.left;
  const totalH = info.inHeight + (info.filterHeight - 1) * dh;
  const totalW = info.inWidth + (info.filterWidth - 1) * dw;
  return r.padOrCrop(z, [
    [0, 0],
    [beforeH, totalH - beforeH - lenH],
    [beforeW, totalW - beforeW - lenW],
    [0, 0],
  ]);
}

/**
 * A stride-1 convolution as NetSprout's SIMD kernel (simd/kernels.c, conv2d_packed) of `input` ([b, ·, ·, kc]), placed
 * at (top, left) in a zero-padded copy of height oh + (kh−1)·dh and width ow + (kw−1)·dw, with `filter` packed in
 * blocks of 8 output channels (flip: the input gradient's flipped, transposed filter). The output rows are shared
 * between the kernel threads. Returns [b, oh, ow, qc].
 */
export function conv2dStride1Simd(
  r: KernelRunner, input: TensorInfo, filter: TensorInfo, flip: boolean,
  out: { oh: number; ow: number; top: number; left: number; dh: number; dw: number },
): TensorInfo {
  const be = r.backend;
  const [kh, kw, c, o] = filter.shape;
  const [kc, qc] = flip ? [o, c] : [c, o];
  const [b, h, w] = input.shape;
  const hp = out.oh + (kh - 1) * out.dh;
  const wp = out.ow + (kw - 1) * out.dw;
  let padded = input;
  if (out.top !== 0 || out.left !== 0 || hp !== h || wp !== w) {
    padded = r.allocate([b, hp, wp, kc]);
    runSimd(be, 'pad_nhwc', [address(be, input), address(be, padded), h, w, kc, hp, wp, out.top, out.left], b * hp, 4 * simdThreads(be));
  }
  const blocks = Math.ceil(qc / 8);
  const packed = r.allocate([blocks * kh * kw * kc * 8]);
  runSimd(be, 'pack_filter', [address(be, filter), address(be, packed), kh, kw, c, o, flip ? 1 : 0], blocks, 4 * simdThreads(be));
  const result = r.allocate([b, out.oh, out.ow, qc]);
  const args = [address(be, padded), address(be, packed), address(be, result), hp, wp, kc, out.oh, out.ow, qc, kh, kw, out.dh, out.dw];
  runSimd(be, 'conv2d_packed', args, b * out.oh, 8 * simdThreads(be));
  return result;
}

/** dx at stride 1 with the SIMD kernel: dy padded by the filter's reach minus the forward padding, the filter flipped. */
function conv2dInputGradientSimd(r: KernelRunner, dy: TensorInfo, filter: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { dh, dw } = stridesDilations(info);
  const top = (info.filterHeight - 1) * dh - info.padInfo.top;
  const left = (info.filterWidth - 1) * dw - info.padInfo.left;
  return conv2dStride1Simd(r, dy, filter, true, { oh: info.inHeight, ow: info.inWidth, top, left, dh, dw });
}

/** dx for a regular 2-D convolution. filter: [kh, kw, c, o]. Returns [b, h, w, c]. */
export function conv2dInputGradient(r: KernelRunner, dy: TensorInfo, filter: TensorInfo, info: Conv2DInfo): TensorInfo {
  // Fewer than 4 input channels waste most of the kernel's 8-channel blocks (the first layer, whose dx is rarely needed).
  if (info.strideHeight === 1 && info.strideWidth === 1 && info.inChannels >= 4 && dy.dtype === 'float32' && filter.dtype === 'float32' && simdKernels(r.backend)) {
    return conv2dInputGradientSimd(r, dy, filter, info);
  }
  const z = dilateAndPad(r, dy, info);
  const flipped = r.transpose(r.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [kh, kw, o, c]
  return r.run('Conv2D', { x: z, filter: flipped }, {
    strides: [1, 1],
    pad: 'valid',
    dataFormat: 'NHWC',
    dilations: [info.dilationHeight, info.dilationWidth],
  });
}

/** dW for a depthwise convolution. x: [b, h, w, c], dy: [b, oh, ow, c·m]. Returns [kh, kw, c, m]. */
export function depthwiseFilterGradient(r: KernelRunner, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { sh, sw, dh, dw } = stridesDilations(info);
  const [b, , , c] = x.shape;
  const m = info.outChannels / info.inChannels;
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [oh, ow] = [info.outHeight, info.outWidth];
  const needH = (oh - 1) * sh + (kh - 1) * dh + 1;
  const needW = (ow - 1) * sw + (kw - 1) * dw + 1;
  if (m === 1 && x.dtype === 'float32' && dy.dtype === 'float32' && simdKernels(r.backend)) return depthwiseFilterGradientSimd(r, x, dy, info, needH, needW);
  // Input [1, H, W, c·b]: channel index c·b + batch.
  const xT = r.transpose(x, [1, 2, 3, 0]);
  const xPad = r.padOrCrop(xT, [
    [info.padInfo.top, needH - info.padInfo.top - info.inHeight],
    [info.padInfo.left, needW - info.padInfo.left - info.inWidth],
    [0, 0],
    [0, 0],
  ]);
  const xIn = r.reshape(xPad, [1, needH, needW, c * b]);
  // Filter [oh, ow, c·b, m]: dy [b, oh, ow, c, m] → [oh, ow, c, b, m].
  const dy5 = r.reshape(dy, [b, oh, ow, c, m]);
  const f = r.reshape(r.transpose(dy5, [1, 2, 3, 0, 4]), [oh, ow, c * b, m]);
  let g: TensorInfo;
  if ((sh === 1 && sw === 1) || (dh === 1 && dw === 1)) {
    g = r.run('DepthwiseConv2dNative', { x: xIn, filter: f }, { strides: [dh, dw], pad: 'valid', dilations: [sh, sw], dataFormat: 'NHWC' });
  } else {
    const rows: TensorInfo[] = [];
    for (let i = 0; i < kh; i++) {
      const cols: TensorInfo[] = [];
      for (let j = 0; j < kw; j++) {
        const win = r.slice(xIn, [0, i * dh, j * dw, 0], [1, (oh - 1) * sh + 1, (ow - 1) * sw + 1, c * b]);
        cols.push(r.run('DepthwiseConv2dNative', { x: win, filter: f }, { strides: [1, 1], pad: 'valid', dilations: [sh, sw], dataFormat: 'NHWC' }));
      }
      rows.push(r.concat(cols, 2));
    }
    g = r.concat(rows, 1);
  }
  // g: [1, ≥kh, ≥kw, c·b·m] → crop → [kh, kw, c, b, m] → sum over b.
  const cropped = r.slice(g, [0, 0, 0, 0], [1, kh, kw, c * b * m]);
  return r.sum(r.reshape(cropped, [kh, kw, c, b, m]), [3]);
}

/**
 * The depthwise filter gradient (channel multiplier 1) as NetSprout's SIMD kernel: x zero-padded and cropped to
 * [b, needH, needW, c] as for conv2dFilterGradientSimd, then each image chunk sums its taps into a part of its own and
 * the parts are added in order (the same bits on any number of threads). [64,28,28,16] with a 3×3 filter: 7.2M
 * multiply-adds, 4.5 ms here where the grouped convolution took 75 ms (both measured on a loaded machine).
 */
function depthwiseFilterGradientSimd(r: KernelRunner, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo, needH: number, needW: number): TensorInfo {
  const { sh, sw, dh, dw } = stridesDilations(info);
  const [b, , , c] = x.shape;
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const be = r.backend;
  const xp = paddedForConv(r, x, info, needH, needW);
  const size = kh * kw * c;
  const { count } = chunkRanges(b, FILTER_GRAD_CHUNKS);
  const out = r.allocate([kh, kw, c, 1]);
  const parts = count > 1 ? r.allocate([count, size]) : out;
  const args = [address(be, xp), address(be, dy), address(be, parts), needH, needW, c, info.outHeight, info.outWidth, kh, kw, sh, sw, dh, dw, size];
  runSimd(be, 'depthwise_filter_grad', args, b, FILTER_GRAD_CHUNKS);
  if (count > 1) runSimd(be, 'sum_parts', [address(be, parts), address(be, out), count, size], size, 4);
  return out;
}

/**
 * A depthwise convolution with channel multiplier 1 (float32, NHWC) as NetSprout's SIMD kernel (depthwise_conv2d),
 * for every stride, dilation and padding: x zero-padded and cropped to the rows and columns it reads, the output rows
 * shared between the kernel threads. It runs the forward pass of separable convolutions and, through the registered
 * DepthwiseConv2dNative, their input gradient. Against XNNPACK, batch 64, 3×3: as fast at 28×28×16, 1.6 times as fast
 * at 14×14×32 and 2.7 times at 7×7×64; and it needs no operator built for every new filter.
 */
export function depthwiseConv2dSimd(r: KernelRunner, x: TensorInfo, filter: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { sh, sw, dh, dw } = stridesDilations(info);
  const [b, , , c] = x.shape;
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [oh, ow] = [info.outHeight, info.outWidth];
  const needH = (oh - 1) * sh + (kh - 1) * dh + 1;
  const needW = (ow - 1) * sw + (kw - 1) * dw + 1;
  const be = r.backend;
  const xp = paddedForConv(r, x, info, needH, needW);
  const y = r.allocate([b, oh, ow, c]);
  if (b * oh > 0) runSimd(be, 'depthwise_conv2d', [address(be, xp), address(be, filter), address(be, y), needH, needW, c, oh, ow, kh, kw, sh, sw, dh, dw], b * oh, 4 * simdThreads(be));
  return y;
}

/** dx for a depthwise convolution. filter: [kh, kw, c, m]. Returns [b, h, w, c]. */
export function depthwiseInputGradient(r: KernelRunner, dy: TensorInfo, filter: TensorInfo, info: Conv2DInfo): TensorInfo {
  const [kh, kw, c, m] = filter.shape;
  if (m === 1 && info.strideHeight === 1 && info.strideWidth === 1 && dy.dtype === 'float32' && filter.dtype === 'float32' && simdKernels(r.backend)) {
    // Stride 1: dy padded as the correlation needs (by pad_nhwc inside the kernel's call, not the backend's PadV2,
    // which cost more than the convolution) and correlated with the flipped filter.
    const { dilationHeight: dh, dilationWidth: dw } = info;
    const beforeH = (kh - 1) * dh - info.padInfo.top;
    const beforeW = (kw - 1) * dw - info.padInfo.left;
    const afterH = info.inHeight + (kh - 1) * dh - beforeH - info.outHeight;
    const afterW = info.inWidth + (kw - 1) * dw - beforeW - info.outWidth;
    if (Math.min(beforeH, beforeW, afterH, afterW) >= 0) {
      const flipped = r.reverse(filter, [0, 1]);
      const pads: backend_util.ExplicitPadding = [[0, 0], [beforeH, afterH], [beforeW, afterW], [0, 0]];
      return depthwiseConv2dSimd(r, dy, flipped, convInfoFor(dy.shape, filter.shape, 1, [dh, dw], pads, undefined, true));
    }
  }
  const z = dilateAndPad(r, dy, info); // [b, H', W', c·m]
  const flipped = r.reshape(r.reverse(filter, [0, 1]), [kh, kw, c * m, 1]);
  const y = r.run('DepthwiseConv2dNative', { x: z, filter: flipped }, {
    strides: [1, 1],
    pad: 'valid',
    dilations: [info.dilationHeight, info.dilationWidth],
    dataFormat: 'NHWC',
  });
  if (m === 1) return y;
  const [b, h, w] = y.shape;
  return r.sum(r.reshape(y, [b, h, w, c, m]), [4]);
}

export function convInfoFor(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  dilations: number | [number, number],
  pad: backend_util.ExplicitPadding | 'same' | 'valid' | number,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean,
): Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad as 'same',
    dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}

export type { KernelBackend };
