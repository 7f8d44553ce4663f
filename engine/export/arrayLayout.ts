/**
 * Reordering the axes of weight arrays held as flat row-major Float32Arrays, and the kernel layouts the
 * exporters need: TensorFlow keeps convolution kernels spatial-first and channels-last (HWIO), ONNX wants
 * output-channel-first (OIHW).
 */

/** Row-major strides of a shape. */
function stridesOf(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** out has shape perm.map(p => shape[p]) and out[j0, j1, …] = data[i] with i_{perm[k]} = j_k (numpy's transpose). */
export function transposeArray(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new Error(`transposeArray: ${data.length} values for shape [${shape.join(', ')}]`);
  if (perm.length !== shape.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new Error(`transposeArray: [${perm.join(', ')}] is not a permutation of ${shape.length} axes`);
  }
  const outShape = perm.map((p) => shape[p]);
  const inStrides = stridesOf(shape);
  const stepIn = perm.map((p) => inStrides[p]);
  const out = new Float32Array(size);
  const index = new Array<number>(outShape.length).fill(0);
  let src = 0;
  for (let dst = 0; dst < size; dst++) {
    out[dst] = data[src];
    // Advance the output index like an odometer, moving the input offset along.
    for (let k = outShape.length - 1; k >= 0; k--) {
      index[k]++;
      src += stepIn[k];
      if (index[k] < outShape[k]) break;
      src -= stepIn[k] * outShape[k];
      index[k] = 0;
    }
  }
  return out;
}

/** A 2-D kernel [kh, kw, in, out] (HWIO) as [out, in, kh, kw] (OIHW). */
export function hwioToOihw(kernel: Float32Array, shape: [number, number, number, number]): Float32Array {
  return transposeArray(kernel, shape, [3, 2, 0, 1]);
}

/** A 1-D kernel [k, in, out] as [out, in, k]. */
export function kioToOik(kernel: Float32Array, shape: [number, number, number]): Float32Array {
  return transposeArray(kernel, shape, [2, 1, 0]);
}

/**
 * A depthwise kernel [kh, kw, in, mult] as the weight of a grouped convolution [in·mult, 1, kh, kw] (group = in).
 * TensorFlow numbers the output channels c·mult + m, which is the row-major order of the (in, mult) pair.
 */
export function depthwiseToGrouped(kernel: Float32Array, shape: [number, number, number, number]): Float32Array {
  const [kh, kw, cin, mult] = shape;
  return transposeArray(kernel, [kh, kw, cin * mult], [2, 0, 1]);
}

/** A dense kernel [in, units] as [units, in] (the weight of a 1×1 convolution, without its unit axes). */
export function denseToPointwise(kernel: Float32Array, shape: [number, number]): Float32Array {
  return transposeArray(kernel, shape, [1, 0]);
}
