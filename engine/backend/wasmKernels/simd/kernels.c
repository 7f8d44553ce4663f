/*
 * NetSprout's own training kernels for TensorFlow.js's WASM backend, in C with WebAssembly SIMD (128-bit).
 *
 * The module imports the backend's own memory (env.memory), so every pointer here is an address in the backend's
 * heap (a tensor's memoryOffset): nothing is copied in or out. It must own no memory itself: no static data, no
 * stack (build.sh checks both), since addresses it would use belong to the backend's allocator.
 *
 * Every kernel takes a range of its outermost loop ([from, to)) and the index of that range, so that several threads
 * can share one call; each range writes a disjoint part of the output. Kernels that sum over their range write the
 * range's sum to a slot of its own, which the caller adds up in a fixed order, so results never depend on which
 * thread ran which range.
 *
 * Rebuild: engine/backend/wasmKernels/simd/build.sh (clang and wasm-ld 14 or later, Debian: clang-14 lld-14).
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

typedef float f32;

/*
 * MaxPoolGrad for 2x2 windows at stride 2 that tile the input exactly (no padding): each output position sends its
 * gradient to the first maximum of its window in the order (0,0), (0,1), (1,0), (1,1), as TensorFlow does; every
 * input pixel is written once. x, dx: [b, 2*oh, 2*ow, c]; dy: [b, oh, ow, c]. Range: output rows b*oh.
 */
EXPORT(max_pool_grad_2x2)
void max_pool_grad_2x2(const f32* x, const f32* dy, f32* dx, int oh, int ow, int c, int row0, int row1, int part) {
  (void)oh;
  (void)part;
  const int rowStride = 2 * ow * c;
  for (int r = row0; r < row1; r++) {
    for (int ox = 0; ox < ow; ox++) {
      const int p00 = (2 * r * 2 * ow + 2 * ox) * c;
      const int p01 = p00 + c;
      const int p10 = p00 + rowStride;
      const int p11 = p10 + c;
      const int g0 = (r * ow + ox) * c;
      int k = 0;
      for (; k + 4 <= c; k += 4) {
        const v128_t a = wasm_v128_load(x + p00 + k);
        const v128_t b = wasm_v128_load(x + p01 + k);
        const v128_t cc = wasm_v128_load(x + p10 + k);
        const v128_t d = wasm_v128_load(x + p11 + k);
        const v128_t g = wasm_v128_load(dy + g0 + k);
        const v128_t gt1 = wasm_f32x4_gt(b, a);
        const v128_t m1 = wasm_v128_bitselect(b, a, gt1);
        const v128_t gt2 = wasm_f32x4_gt(cc, m1);
        const v128_t m2 = wasm_v128_bitselect(cc, m1, gt2);
        const v128_t gt3 = wasm_f32x4_gt(d, m2);
        const v128_t s2 = wasm_v128_andnot(gt2, gt3);
        const v128_t s1 = wasm_v128_andnot(wasm_v128_andnot(gt1, gt2), gt3);
        const v128_t any = wasm_v128_or(gt1, wasm_v128_or(gt2, gt3));
        wasm_v128_store(dx + p00 + k, wasm_v128_andnot(g, any));
        wasm_v128_store(dx + p01 + k, wasm_v128_and(g, s1));
        wasm_v128_store(dx + p10 + k, wasm_v128_and(g, s2));
        wasm_v128_store(dx + p11 + k, wasm_v128_and(g, gt3));
      }
      for (; k < c; k++) {
        const f32 a = x[p00 + k], b = x[p01 + k], cc = x[p10 + k], d = x[p11 + k];
        int at = 0;
        f32 m = a;
        if (b > m) { m = b; at = 1; }
        if (cc > m) { m = cc; at = 2; }
        if (d > m) at = 3;
        const f32 g = dy[g0 + k];
        dx[p00 + k] = at == 0 ? g : 0.0f;
        dx[p01 + k] = at == 1 ? g : 0.0f;
        dx[p10 + k] = at == 2 ? g : 0.0f;
        dx[p11 + k] = at == 3 ? g : 0.0f;
      }
    }
  }
}

/*
 * Filter gradient of a 2-D convolution over a zero-padded input, as the product of the implicit im2col of x
 * (transposed) with dy:
 *   dW[r, o] = sum over positions (n, p, q) of xp[base(n, p, q) + off(r)] * dy[n, p, q, o]
 * where r = (i*kw + j)*c + ch runs over the kh*kw*c rows of dW ([kh, kw, c, o]), base(n, p, q) =
 * ((n*hp + p*sh)*wp + q*sw)*c and off(r) = (i*dh*wp + j*dw)*c + ch. xp: [b, hp, wp, c], already padded so that every
 * tap of every position lies inside it; dy: [b, oh, ow, o].
 *
 * Register tile: 4 rows of dW by 8 output channels (8 accumulators of 4 lanes). Range: images [n0, n1), part
 * `part`: their sum is written to parts + part*partStride (the caller adds the parts up in order), taking the output
 * rows in chunks small enough to stay in cache while every tile walks them.
 */
INLINE int row_offset(int r, int kw, int c, int dh, int dw, int wp) {
  const int ch = r % c;
  const int tap = r / c;
  const int i = tap / kw, j = tap % kw;
  return (i * dh * wp + j * dw) * c + ch;
}

/* One tile: ROWS rows of dW (offsets off[0..ROWS)) by VEC*4 output channels starting at col. */
INLINE void filter_grad_tile(const f32* xp, const f32* dy, f32* dw, int ldw, const int ROWS, const int VEC, const int* off,
                             int n0, int n1, int hp, int wp, int c, int oh, int ow, int o, int sh, int sw, int col) {
  v128_t acc[4][2];
  for (int i = 0; i < ROWS; i++)
    for (int v = 0; v < VEC; v++) acc[i][v] = wasm_v128_load(dw + i * ldw + col + 4 * v);
  int of[4];
  for (int i = 0; i < ROWS; i++) of[i] = off[i];
  const int xStep = sw * c;
  /* Output row `row` = (n, p); its x row starts at ((n*hp + p*sh)*wp)*c, its dy row at row*ow*o. */
  int n = n0 / oh, p = n0 % oh;
  for (int row = n0; row < n1; row++) {
    {
      const f32* xr = xp + ((n * hp + p * sh) * wp) * c;
      const f32* g = dy + row * ow * o + col;
      if (++p == oh) {
        p = 0;
        n++;
      }
      for (int q = 0; q < ow; q++) {
        v128_t d[2];
        for (int v = 0; v < VEC; v++) d[v] = wasm_v128_load(g + 4 * v);
        for (int i = 0; i < ROWS; i++) {
          const v128_t s = wasm_v128_load32_splat(xr + of[i]);
          for (int v = 0; v < VEC; v++) acc[i][v] = wasm_f32x4_add(acc[i][v], wasm_f32x4_mul(s, d[v]));
        }
        xr += xStep;
        g += o;
      }
    }
  }
  for (int i = 0; i < ROWS; i++)
    for (int v = 0; v < VEC; v++) wasm_v128_store(dw + i * ldw + col + 4 * v, acc[i][v]);
}

/* Output channels left over from the 4-wide tiles (o not a multiple of 4): one row at a time, scalar. */
INLINE void filter_grad_scalar(const f32* xp, const f32* dy, f32* dw, int off, int n0, int n1, int hp, int wp, int c,
                               int oh, int ow, int o, int sh, int sw, int col0) {
  for (int row = n0; row < n1; row++) {
    const int n = row / oh, p = row % oh;
    {
      const f32* xr = xp + ((n * hp + p * sh) * wp) * c + off;
      const f32* g = dy + ((n * oh + p) * ow) * o;
      for (int q = 0; q < ow; q++) {
        const f32 s = xr[q * sw * c];
        for (int k = col0; k < o; k++) dw[k] += s * g[q * o + k];
      }
    }
  }
}

/* 8-wide column tiles, then 4-wide ones, then a scalar tail, for one block of ROWS rows. */
#define ROW_BLOCK(ROWS)                                                                                                \
  do {                                                                                                                 \
    int col = 0;                                                                                                       \
    for (; col + 8 <= o; col += 8) filter_grad_tile(xp, dy, dw + r * o, o, ROWS, 2, off, m0, m1, hp, wp, c, oh, ow, o, sh, sw, col); \
    for (; col + 4 <= o; col += 4) filter_grad_tile(xp, dy, dw + r * o, o, ROWS, 1, off, m0, m1, hp, wp, c, oh, ow, o, sh, sw, col); \
    if (col < o)                                                                                                       \
      for (int i = 0; i < ROWS; i++) filter_grad_scalar(xp, dy, dw + (r + i) * o, off[i], m0, m1, hp, wp, c, oh, ow, o, sh, sw, col); \
  } while (0)

#ifndef FG_POSITIONS
#define FG_POSITIONS 64
#endif

EXPORT(conv2d_filter_grad)
void conv2d_filter_grad(const f32* xp, const f32* dy, f32* parts, int hp, int wp, int c, int oh, int ow, int o, int kw,
                        int sh, int sw, int dh, int dwl, int rowsTotal, int partStride, int n0, int n1, int part) {
  f32* dw = parts + part * partStride;
  __builtin_memset(dw, 0, (unsigned long)(rowsTotal * o) * sizeof(f32));
  /* Output rows (n, p) in chunks of about FG_POSITIONS positions: their x and dy stay in cache while every tile walks them. */
  int chunk = FG_POSITIONS / (ow > 0 ? ow : 1);
  if (chunk < 1) chunk = 1;
  for (int m0 = n0 * oh; m0 < n1 * oh; m0 += chunk) {
    const int m1 = m0 + chunk < n1 * oh ? m0 + chunk : n1 * oh;
    for (int r = 0; r < rowsTotal; r += 4) {
      const int rows = rowsTotal - r < 4 ? rowsTotal - r : 4;
      int off[4];
      for (int i = 0; i < 4; i++) off[i] = row_offset(r + (i < rows ? i : 0), kw, c, dh, dwl, wp);
      switch (rows) {
        case 1: ROW_BLOCK(1); break;
        case 2: ROW_BLOCK(2); break;
        case 3: ROW_BLOCK(3); break;
        default: ROW_BLOCK(4); break;
      }
    }
  }
}

/*
 * Filter gradient of a depthwise convolution with channel multiplier 1:
 *   dW[i, j, ch] = sum over n, p, v of xp[n, p*sh + i*dh, v*sw + j*dw, ch] * dy[n, p, v, ch]
 * xp: [b, hp, wp, c], zero-padded (and cropped) to the rows and columns the convolution reads; dy: [b, oh, ow, c].
 * The range's sum, [kh, kw, c], goes to parts + part*partStride. For every output row (n, p) and tap (i, j), the
 * products along the row are summed in registers, 16 channels (four vectors, four independent chains) at a time,
 * then 4, then one by one. Range: images [n0, n1).
 */
EXPORT(depthwise_filter_grad)
void depthwise_filter_grad(const f32* xp, const f32* dy, f32* parts, int hp, int wp, int c, int oh, int ow, int kh, int kw,
                           int sh, int sw, int dh, int dwl, int partStride, int n0, int n1, int part) {
  f32* dw = parts + part * partStride;
  __builtin_memset(dw, 0, (unsigned long)(kh * kw * c) * sizeof(f32));
  const int xstep = sw * c; /* floats between the inputs of neighbouring outputs in a row */
  for (int n = n0; n < n1; n++) {
    for (int p = 0; p < oh; p++) {
      const f32* dyrow = dy + (long)((n * oh + p) * ow) * c;
      for (int i = 0; i < kh; i++) {
        const f32* xrow = xp + (long)((n * hp + p * sh + i * dh) * wp) * c;
        for (int j = 0; j < kw; j++) {
          const f32* xs = xrow + j * dwl * c;
          f32* acc = dw + (i * kw + j) * c;
          int ch = 0;
          for (; ch + 16 <= c; ch += 16) {
            v128_t a0 = wasm_v128_load(acc + ch), a1 = wasm_v128_load(acc + ch + 4);
            v128_t a2 = wasm_v128_load(acc + ch + 8), a3 = wasm_v128_load(acc + ch + 12);
            const f32* xv = xs + ch;
            const f32* dv = dyrow + ch;
            for (int v = 0; v < ow; v++, xv += xstep, dv += c) {
              a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(xv), wasm_v128_load(dv)));
              a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(xv + 4), wasm_v128_load(dv + 4)));
              a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(xv + 8), wasm_v128_load(dv + 8)));
              a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(xv + 12), wasm_v128_load(dv + 12)));
            }
            wasm_v128_store(acc + ch, a0);
            wasm_v128_store(acc + ch + 4, a1);
            wasm_v128_store(acc + ch + 8, a2);
            wasm_v128_store(acc + ch + 12, a3);
          }
          for (; ch + 4 <= c; ch += 4) {
            v128_t a = wasm_v128_load(acc + ch);
            const f32* xv = xs + ch;
            const f32* dv = dyrow + ch;
            for (int v = 0; v < ow; v++, xv += xstep, dv += c) a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(xv), wasm_v128_load(dv)));
            wasm_v128_store(acc + ch, a);
          }
          for (; ch < c; ch++) {
            f32 a = acc[ch];
            const f32* xv = xs + ch;
            const f32* dv = dyrow + ch;
            for (int v = 0; v < ow; v++, xv += xstep, dv += c) a += *xv * *dv;
            acc[ch] = a;
          }
        }
      }
    }
  }
}

/*
 * Depthwise convolution with channel multiplier 1:
 *   y[n, p, v, ch] = sum over i, j of xp[n, p*sh + i*dh, v*sw + j*dw, ch] * w[i, j, ch]
 * xp: [b, hp, wp, c], zero-padded (and cropped) to the rows and columns the convolution reads; w: [kh, kw, c];
 * y: [b, oh, ow, c]. Each output is summed over the taps in the order (i, j), in registers, 8 channels (two
 * independent chains) at a time, then 4, then one by one. Range: output rows (n, p) of b*oh.
 */
EXPORT(depthwise_conv2d)
void depthwise_conv2d(const f32* xp, const f32* w, f32* y, int hp, int wp, int c, int oh, int ow, int kh, int kw,
                      int sh, int sw, int dh, int dwl, int row0, int row1, int part) {
  (void)part;
  const int xrow = wp * c;  /* floats between input rows */
  const int tap = dwl * c;  /* floats between the inputs of neighbouring taps in a row */
  for (int row = row0; row < row1; row++) {
    const int n = row / oh, p = row - (row / oh) * oh;
    const f32* x0 = xp + (long)((n * hp + p * sh) * wp) * c;
    f32* yrow = y + (long)row * ow * c;
    for (int v = 0; v < ow; v++) {
      const f32* xv = x0 + v * sw * c;
      f32* yv = yrow + v * c;
      int ch = 0;
      for (; ch + 8 <= c; ch += 8) {
        v128_t a0 = wasm_f32x4_splat(0.0f), a1 = wasm_f32x4_splat(0.0f);
        for (int i = 0; i < kh; i++) {
          const f32* xi = xv + i * dh * xrow + ch;
          const f32* wi = w + i * kw * c + ch;
          for (int j = 0; j < kw; j++, xi += tap, wi += c) {
            a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(xi), wasm_v128_load(wi)));
            a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(xi + 4), wasm_v128_load(wi + 4)));
          }
        }
        wasm_v128_store(yv + ch, a0);
        wasm_v128_store(yv + ch + 4, a1);
      }
      for (; ch + 4 <= c; ch += 4) {
        v128_t a = wasm_f32x4_splat(0.0f);
        for (int i = 0; i < kh; i++) {
          const f32* xi = xv + i * dh * xrow + ch;
          const f32* wi = w + i * kw * c + ch;
          for (int j = 0; j < kw; j++, xi += tap, wi += c) a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(xi), wasm_v128_load(wi)));
        }
        wasm_v128_store(yv + ch, a);
      }
      for (; ch < c; ch++) {
        f32 a = 0.0f;
        for (int i = 0; i < kh; i++) {
          const f32* xi = xv + i * dh * xrow + ch;
          const f32* wi = w + i * kw * c + ch;
          for (int j = 0; j < kw; j++, xi += tap, wi += c) a += *xi * *wi;
        }
        yv[ch] = a;
      }
    }
  }
}

/* out[i] = sum over s < count of parts[s*stride + i]. Range: elements [from, to). */
EXPORT(sum_parts)
void sum_parts(const f32* parts, f32* out, int count, int stride, int from, int to, int part) {
  (void)part;
  int i = from;
  for (; i + 4 <= to; i += 4) {
    v128_t a = wasm_v128_load(parts + i);
    for (int s = 1; s < count; s++) a = wasm_f32x4_add(a, wasm_v128_load(parts + s * stride + i));
    wasm_v128_store(out + i, a);
  }
  for (; i < to; i++) {
    f32 a = parts[i];
    for (int s = 1; s < count; s++) a += parts[s * stride + i];
    out[i] = a;
  }
}


/*
 * Zero-padding (and cropping) of an NHWC tensor: out[n, y, x, :] = in[n, y - top, x - left, :] where that lies inside
 * in ([b, h, w, c]), else 0; out: [b, hp, wp, c]. Range: output rows b*hp.
 */
EXPORT(pad_nhwc)
void pad_nhwc(const f32* in, f32* out, int h, int w, int c, int hp, int wp, int top, int left, int row0, int row1, int part) {
  (void)part;
  const int x0 = left > 0 ? left : 0;                       /* first output column with data */
  const int x1 = w + left < wp ? w + left : wp;             /* one past the last */
  for (int r = row0; r < row1; r++) {
    const int n = r / hp, y = r % hp - top;
    f32* o = out + r * wp * c;
    if (y < 0 || y >= h || x1 <= x0) {
      __builtin_memset(o, 0, (unsigned long)(wp * c) * sizeof(f32));
      continue;
    }
    if (x0 > 0) __builtin_memset(o, 0, (unsigned long)(x0 * c) * sizeof(f32));
    __builtin_memcpy(o + x0 * c, in + ((n * h + y) * w + (x0 - left)) * c, (unsigned long)((x1 - x0) * c) * sizeof(f32));
    if (x1 < wp) __builtin_memset(o + x1 * c, 0, (unsigned long)((wp - x1) * c) * sizeof(f32));
  }
}

/*
 * Batch normalisation over the rows of x [rows, c] (all axes but the channels), in training: per-channel sums, the
 * normalisation (optionally followed by ReLU) and its gradient. Channels go in blocks of 16 (4 vectors), then 4,
 * then one at a time.
 */

/* Sum over rows [r0, r1) of x (CENTERED: of (x - mean)^2) for channels [k, k + 4*NV). */
INLINE void channel_sum_block(const f32* x, const f32* mean, f32* out, int c, int k, const int NV, const int CENTERED, int r0, int r1) {
  v128_t acc[4], m[4];
  for (int v = 0; v < NV; v++) {
    acc[v] = wasm_f32x4_splat(0.0f);
    m[v] = CENTERED ? wasm_v128_load(mean + k + 4 * v) : wasm_f32x4_splat(0.0f);
  }
  for (int r = r0; r < r1; r++) {
    const f32* row = x + r * c + k;
    for (int v = 0; v < NV; v++) {
      v128_t t = wasm_v128_load(row + 4 * v);
      if (CENTERED) {
        t = wasm_f32x4_sub(t, m[v]);
        t = wasm_f32x4_mul(t, t);
      }
      acc[v] = wasm_f32x4_add(acc[v], t);
    }
  }
  for (int v = 0; v < NV; v++) wasm_v128_store(out + k + 4 * v, acc[v]);
}

INLINE void channel_sum_all(const f32* x, const f32* mean, f32* out, int c, const int CENTERED, int r0, int r1) {
  int k = 0;
  for (; k + 16 <= c; k += 16) channel_sum_block(x, mean, out, c, k, 4, CENTERED, r0, r1);
  for (; k + 4 <= c; k += 4) channel_sum_block(x, mean, out, c, k, 1, CENTERED, r0, r1);
  for (; k < c; k++) {
    f32 a = 0.0f;
    const f32 mk = CENTERED ? mean[k] : 0.0f;
    for (int r = r0; r < r1; r++) {
      const f32 t = x[r * c + k] - mk;
      a += CENTERED ? t * t : t;
    }
    out[k] = a;
  }
}

/* Part `part` of the per-channel sums of x (centered != 0: of (x - mean)^2) over rows [r0, r1): parts + part*c. */
EXPORT(channel_sums)
void channel_sums(const f32* x, const f32* mean, f32* parts, int c, int centered, int r0, int r1, int part) {
  if (centered) channel_sum_all(x, mean, parts + part * c, c, 1, r0, r1);
  else channel_sum_all(x, mean, parts + part * c, c, 0, r0, r1);
}

/* y = (x - mean)*scale + shift per channel, then max(y, 0) where relu != 0. Range: rows [r0, r1). */
EXPORT(bn_apply)
void bn_apply(const f32* x, const f32* mean, const f32* scale, const f32* shift, f32* y, int c, int relu, int r0, int r1, int part) {
  (void)part;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int r = r0; r < r1; r++) {
    const f32* xr = x + r * c;
    f32* yr = y + r * c;
    int k = 0;
    for (; k + 4 <= c; k += 4) {
      v128_t t = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + k), wasm_v128_load(mean + k)), wasm_v128_load(scale + k)), wasm_v128_load(shift + k));
      if (relu) t = wasm_f32x4_pmax(t, zero);
      wasm_v128_store(yr + k, t);
    }
    for (; k < c; k++) {
      f32 t = (xr[k] - mean[k]) * scale[k] + shift[k];
      if (relu && t < 0.0f) t = 0.0f;
      yr[k] = t;
    }
  }
}

/* dz = dy, or dy where y > 0 (else 0) after a ReLU. */
INLINE v128_t masked(v128_t g, const f32* y, int relu) {
  return relu ? wasm_v128_and(g, wasm_f32x4_gt(wasm_v128_load(y), wasm_f32x4_splat(0.0f))) : g;
}

INLINE void bn_grad_sum_block(const f32* dy, const f32* x, const f32* y, const f32* mean, f32* out, int c, int k, const int NV, int relu, int r0, int r1) {
  v128_t sg[4], sgx[4], m[4];
  for (int v = 0; v < NV; v++) {
    sg[v] = wasm_f32x4_splat(0.0f);
    sgx[v] = wasm_f32x4_splat(0.0f);
    m[v] = wasm_v128_load(mean + k + 4 * v);
  }
  for (int r = r0; r < r1; r++) {
    const int at = r * c + k;
    for (int v = 0; v < NV; v++) {
      const v128_t g = masked(wasm_v128_load(dy + at + 4 * v), y + at + 4 * v, relu);
      sg[v] = wasm_f32x4_add(sg[v], g);
      sgx[v] = wasm_f32x4_add(sgx[v], wasm_f32x4_mul(g, wasm_f32x4_sub(wasm_v128_load(x + at + 4 * v), m[v])));
    }
  }
  for (int v = 0; v < NV; v++) {
    wasm_v128_store(out + k + 4 * v, sg[v]);
    wasm_v128_store(out + c + k + 4 * v, sgx[v]);
  }
}

/*
 * Part `part` of the sums the batch-norm gradient needs, over rows [r0, r1): parts + part*2c holds sum dz, then
 * sum dz*(x - mean), per channel; dz is dy, masked by y > 0 where relu != 0 (y the ReLU's output).
 */
EXPORT(bn_grad_sums)
void bn_grad_sums(const f32* dy, const f32* x, const f32* y, const f32* mean, f32* parts, int c, int relu, int r0, int r1, int part) {
  f32* out = parts + part * 2 * c;
  int k = 0;
  for (; k + 16 <= c; k += 16) bn_grad_sum_block(dy, x, y, mean, out, c, k, 4, relu, r0, r1);
  for (; k + 4 <= c; k += 4) bn_grad_sum_block(dy, x, y, mean, out, c, k, 1, relu, r0, r1);
  for (; k < c; k++) {
    f32 sg = 0.0f, sgx = 0.0f;
    for (int r = r0; r < r1; r++) {
      const int at = r * c + k;
      const f32 g = relu && !(y[at] > 0.0f) ? 0.0f : dy[at];
      sg += g;
      sgx += g * (x[at] - mean[k]);
    }
    out[k] = sg;
    out[c + k] = sgx;
  }
}

/* dx = a*dz + b*(x - mean) + cc per channel (coef: a, b, cc, each [c]). Range: rows [r0, r1). */
EXPORT(bn_grad_apply)
void bn_grad_apply(const f32* dy, const f32* x, const f32* y, const f32* mean, const f32* coef, f32* dx, int c, int relu, int r0, int r1, int part) {
  (void)part;
  const f32* a = coef;
  const f32* b = coef + c;
  const f32* cc = coef + 2 * c;
  for (int r = r0; r < r1; r++) {
    const int at = r * c;
    int k = 0;
    for (; k + 4 <= c; k += 4) {
      const v128_t g = masked(wasm_v128_load(dy + at + k), y + at + k, relu);
      const v128_t xc = wasm_f32x4_sub(wasm_v128_load(x + at + k), wasm_v128_load(mean + k));
      const v128_t t = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(a + k), g), wasm_f32x4_mul(wasm_v128_load(b + k), xc)), wasm_v128_load(cc + k));
      wasm_v128_store(dx + at + k, t);
    }
    for (; k < c; k++) {
      const f32 g = relu && !(y[at + k] > 0.0f) ? 0.0f : dy[at + k];
      dx[at + k] = a[k] * g + b[k] * (x[at + k] - mean[k]) + cc[k];
    }
  }
}

/* Rows of x picked by indices: out[i] = x[indices[i]], each row rowBytes long. Range: output rows [i0, i1). */
EXPORT(gather_rows)
void gather_rows(const unsigned char* x, const int* indices, unsigned char* out, int rowBytes, int i0, int i1, int part) {
  (void)part;
  for (int i = i0; i < i1; i++)
    __builtin_memcpy(out + (unsigned long)i * rowBytes, x + (unsigned long)indices[i] * rowBytes, (unsigned long)rowBytes);
}

/* Strided row copy (concat and slice along one axis): row i of src (rowBytes at i * srcStride) to dst at
   i * dstStride. Range: rows [i0, i1). */
EXPORT(copy_rows)
void copy_rows(const unsigned char* src, unsigned char* dst, int rowBytes, int srcStride, int dstStride, int i0, int i1, int part) {
  (void)part;
  if (rowBytes > 256) {
    for (int i = i0; i < i1; i++)
      __builtin_memcpy(dst + (unsigned long)i * dstStride, src + (unsigned long)i * srcStride, (unsigned long)rowBytes);
    return;
  }
  /* Short rows (the channels of one pixel): 16-byte vectors, then bytes; a bulk copy per row costs more than this. */
  for (int i = i0; i < i1; i++) {
    const unsigned char* s = src + (unsigned long)i * srcStride;
    unsigned char* d = dst + (unsigned long)i * dstStride;
    int k = 0;
    for (; k + 16 <= rowBytes; k += 16) wasm_v128_store(d + k, wasm_v128_load(s + k));
    for (; k < rowBytes; k++) d[k] = s[k];
  }
}

/* Global average pooling: y[n, k] = mean over s of x[n, s, k] (x: [b, s, c]). Range: images [n0, n1). */
EXPORT(global_avg_pool)
void global_avg_pool(const f32* x, f32* y, int s, int c, int n0, int n1, int part) {
  (void)part;
  const f32 inv = 1.0f / (f32)s;
  for (int n = n0; n < n1; n++) {
    const f32* xn = x + n * s * c;
    f32* yn = y + n * c;
    int k = 0;
    for (; k + 4 <= c; k += 4) {
      v128_t a = wasm_f32x4_splat(0.0f);
      for (int i = 0; i < s; i++) a = wasm_f32x4_add(a, wasm_v128_load(xn + i * c + k));
      wasm_v128_store(yn + k, wasm_f32x4_mul(a, wasm_f32x4_splat(inv)));
    }
    for (; k < c; k++) {
      f32 a = 0.0f;
      for (int i = 0; i < s; i++) a += xn[i * c + k];
      yn[k] = a * inv;
    }
  }
}

/* Its gradient: dx[n, i, k] = dy[n, k] / s. Range: images [n0, n1). */
EXPORT(global_avg_pool_grad)
void global_avg_pool_grad(const f32* dy, f32* dx, int s, int c, int n0, int n1, int part) {
  (void)part;
  const f32 inv = 1.0f / (f32)s;
  for (int n = n0; n < n1; n++) {
    const f32* g = dy + n * c;
    f32* d = dx + n * s * c;
    for (int i = 0; i < s; i++) {
      int k = 0;
      for (; k + 4 <= c; k += 4) wasm_v128_store(d + i * c + k, wasm_f32x4_mul(wasm_v128_load(g + k), wasm_f32x4_splat(inv)));
      for (; k < c; k++) d[i * c + k] = g[k] * inv;
    }
  }
}

/*
 * One step of SGD with momentum and L2 weight decay, for the elements [i0, i1) of a variable:
 *   g' = g + wd*v,  vel' = momentum*vel + g',  v' = v - lr*(nesterov ? g' + momentum*vel' : vel')
 * (the same order of operations as the tf ops it replaces).
 */
EXPORT(sgd_step)
void sgd_step(const f32* v, const f32* vel, const f32* g, f32* vOut, f32* velOut, f32 lr, f32 momentum, f32 wd, int nesterov, int i0, int i1) {
  const v128_t vlr = wasm_f32x4_splat(lr), vm = wasm_f32x4_splat(momentum), vwd = wasm_f32x4_splat(wd);
  int i = i0;
  for (; i + 4 <= i1; i += 4) {
    const v128_t x = wasm_v128_load(v + i);
    v128_t gg = wasm_v128_load(g + i);
    if (wd != 0.0f) gg = wasm_f32x4_add(gg, wasm_f32x4_mul(x, vwd));
    const v128_t nv = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(vel + i), vm), gg);
    const v128_t step = nesterov ? wasm_f32x4_add(gg, wasm_f32x4_mul(nv, vm)) : nv;
    wasm_v128_store(velOut + i, nv);
    wasm_v128_store(vOut + i, wasm_f32x4_sub(x, wasm_f32x4_mul(step, vlr)));
  }
  for (; i < i1; i++) {
    f32 gg = g[i];
    if (wd != 0.0f) gg = gg + v[i] * wd;
    const f32 nv = vel[i] * momentum + gg;
    const f32 step = nesterov ? gg + nv * momentum : nv;
    velOut[i] = nv;
    vOut[i] = v[i] - step * lr;
  }
}

/*
 * A 2-D convolution at stride 1 (any dilation) of an already zero-padded input with a packed filter, which serves
 * both the forward convolution and its input gradient:
 *   out[n, y, x, q] = sum over (i, j, k) of in[n, y + i*dh, x + j*dw, k] * wp[q/8][i][j][k][q%8]
 * in: [b, hp, wpd, kc] (hp = oh + (kh-1)*dh, wpd = ow + (kw-1)*dw); out: [b, oh, ow, qc].
 * pack_filter lays out the filter W [kh, kw, c, o] in blocks of 8 output channels (zero past the last):
 *   forward (flip = 0):         k = c, q = o, wp[q/8][i][j][k][q%8] = W[i, j, k, q]
 *   input gradient (flip = 1):  k = o, q = c, wp[q/8][i][j][k][q%8] = W[kh-1-i, kw-1-j, q, k]
 * (for the input gradient, `in` is dy padded by (kh-1)*dh - top rows and (kw-1)*dw - left columns before).
 * Register tile: 4 neighbouring positions of a row by 8 output channels, the reduction running along contiguous
 * channels. Range: output rows (n, y), b*oh of them.
 */
EXPORT(pack_filter)
void pack_filter(const f32* w, f32* wp, int kh, int kw, int c, int o, int flip, int blk0, int blk1, int part) {
  (void)part;
  const int kc = flip ? o : c, qc = flip ? c : o;
  for (int blk = blk0; blk < blk1; blk++)
    for (int i = 0; i < kh; i++)
      for (int j = 0; j < kw; j++)
        for (int k = 0; k < kc; k++)
          for (int t = 0; t < 8; t++) {
            const int q = blk * 8 + t;
            f32 v = 0.0f;
            if (q < qc) v = flip ? w[(((kh - 1 - i) * kw + (kw - 1 - j)) * c + q) * o + k] : w[((i * kw + j) * c + k) * o + q];
            wp[(((blk * kh + i) * kw + j) * kc + k) * 8 + t] = v;
          }
}

INLINE void store_cols(f32* out, v128_t a, v128_t b, int cols) {
  if (cols >= 8) {
    wasm_v128_store(out, a);
    wasm_v128_store(out + 4, b);
    return;
  }
  if (cols > 0) out[0] = wasm_f32x4_extract_lane(a, 0);
  if (cols > 1) out[1] = wasm_f32x4_extract_lane(a, 1);
  if (cols > 2) out[2] = wasm_f32x4_extract_lane(a, 2);
  if (cols > 3) out[3] = wasm_f32x4_extract_lane(a, 3);
  if (cols > 4) out[4] = wasm_f32x4_extract_lane(b, 0);
  if (cols > 5) out[5] = wasm_f32x4_extract_lane(b, 1);
  if (cols > 6) out[6] = wasm_f32x4_extract_lane(b, 2);
}

INLINE void input_grad_tile(const f32* row, const f32* wb, f32* out, const int P, int x0, int wpd, int o, int c, int kh, int kw,
                            int dh, int dwl, int cols) {
  v128_t acc[4][2];
  for (int p = 0; p < P; p++) acc[p][0] = acc[p][1] = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < kh; i++) {
    for (int j = 0; j < kw; j++) {
      const f32* d = row + ((i * dh) * wpd + x0 + j * dwl) * o;
      const f32* wr = wb + (i * kw + j) * o * 8;
      for (int k = 0; k < o; k++) {
        const v128_t w0 = wasm_v128_load(wr + k * 8), w1 = wasm_v128_load(wr + k * 8 + 4);
        for (int p = 0; p < P; p++) {
          const v128_t s = wasm_v128_load32_splat(d + p * o + k);
          acc[p][0] = wasm_f32x4_add(acc[p][0], wasm_f32x4_mul(s, w0));
          acc[p][1] = wasm_f32x4_add(acc[p][1], wasm_f32x4_mul(s, w1));
        }
      }
    }
  }
  for (int p = 0; p < P; p++) store_cols(out + (x0 + p) * c, acc[p][0], acc[p][1], cols);
}

EXPORT(conv2d_packed)
void conv2d_packed(const f32* dyp, const f32* wp, f32* dx, int hp, int wpd, int o, int h, int w, int c, int kh, int kw,
                   int dh, int dwl, int u0, int u1, int part) {
  /* Names as for the input gradient: dyp the padded input, o its channels, (h, w, c) the output's. */
  (void)part;
  const int blocks = (c + 7) / 8;
  for (int u = u0; u < u1; u++) {
    const int n = u / h, y = u % h;
    const f32* row = dyp + ((n * hp + y) * wpd) * o;
    f32* out = dx + ((n * h + y) * w) * c;
    for (int cb = 0; cb < blocks; cb++) {
      const f32* wb = wp + cb * kh * kw * o * 8;
      const int cols = c - cb * 8 < 8 ? c - cb * 8 : 8;
      int x0 = 0;
      for (; x0 + 4 <= w; x0 += 4) input_grad_tile(row, wb, out + cb * 8, 4, x0, wpd, o, c, kh, kw, dh, dwl, cols);
      switch (w - x0) {
        case 3: input_grad_tile(row, wb, out + cb * 8, 3, x0, wpd, o, c, kh, kw, dh, dwl, cols); break;
        case 2: input_grad_tile(row, wb, out + cb * 8, 2, x0, wpd, o, c, kh, kw, dh, dwl, cols); break;
        case 1: input_grad_tile(row, wb, out + cb * 8, 1, x0, wpd, o, c, kh, kw, dh, dwl, cols); break;
        default: break;
      }
    }
  }
}

/* Max pooling over 2x2 windows at stride 2 that tile the input exactly: x [b, 2*oh, 2*ow, c] -> y [b, oh, ow, c]. Range: output rows b*oh. */
EXPORT(max_pool_2x2)
void max_pool_2x2(const f32* x, f32* y, int oh, int ow, int c, int row0, int row1, int part) {
  (void)oh;
  (void)part;
  const int rowStride = 2 * ow * c;
  for (int r = row0; r < row1; r++) {
    for (int ox = 0; ox < ow; ox++) {
      const f32* a = x + (2 * r * 2 * ow + 2 * ox) * c;
      f32* out = y + (r * ow + ox) * c;
      int k = 0;
      for (; k + 4 <= c; k += 4) {
        const v128_t m0 = wasm_f32x4_max(wasm_v128_load(a + k), wasm_v128_load(a + c + k));
        const v128_t m1 = wasm_f32x4_max(wasm_v128_load(a + rowStride + k), wasm_v128_load(a + rowStride + c + k));
        wasm_v128_store(out + k, wasm_f32x4_max(m0, m1));
      }
      for (; k < c; k++) {
        f32 m = a[k];
        if (a[c + k] > m) m = a[c + k];
        if (a[rowStride + k] > m) m = a[rowStride + k];
        if (a[rowStride + c + k] > m) m = a[rowStride + c + k];
        out[k] = m;
      }
    }
  }
}
