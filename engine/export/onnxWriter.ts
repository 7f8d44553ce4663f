/**
 * ONNX export: lowers a graph of the IR with its weights to an ONNX model (IR version 8, opset 13) that ONNX
 * Runtime runs as it is, with the same numbers as the engine's forward pass (engine/train/graphModel.ts).
 *
 * The model takes the data as the user has it (see exportTypes.ts):
 * - images: float32 "images" [N, H, W, C] of raw 0–255 pixels; (x − mean[c]) / std[c] is the first step inside;
 * - text: int32 "token_ids" [N, L]; the embedding is a Gather;
 * - tables: float32 "features" [N, width].
 * It returns float32 "probabilities" [N, classes]. N is symbolic.
 *
 * Layouts. The IR is channels-last (NHWC, NLC) and ONNX's Conv, pooling and BatchNormalization are
 * channels-first (NCHW, NCL). Every IR tensor is tracked with the layout(s) it exists in; an operator asks for
 * the layout it needs and a Transpose is added only when that layout does not exist yet (then it is reused).
 * Element-wise layers, add and concat keep whatever layout their inputs have. Flatten always flattens in the
 * IR's channels-last order (transposing back first when there is more than one position), so the dense layer
 * after it sees its rows in Keras's order.
 *
 * Opset 13 because everything the IR needs has its current form there (Softmax on one axis, Clip with min/max
 * inputs, Gather/Concat/Reduce* as today), and it is the oldest such opset, so the file loads in the widest
 * range of runtimes and converters. Nothing added in 14–17 is needed (GELU is written with Erf).
 */
import { NetSproutError } from '../errors.js';
import type { PreprocessSpec } from '../data/preprocessSpec.js';
import { topologicalOrder } from '../graph/topology.js';
import type { ActivationFn, Graph, Layer, LayerOf, Padding, Shape } from '../graph/types.js';
import { validateGraph } from '../graph/validate.js';
import { weightSpecs } from '../graph/weightSpecs.js';
import { denseToPointwise, depthwiseToGrouped, hwioToOihw, kioToOik } from './arrayLayout.js';
import { exportedLayerWeights, type ExportInput } from './exportTypes.js';
import { floatAttr, intAttr, intsAttr, OnnxGraphBuilder } from './onnxGraphBuilder.js';

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 13;
export const ONNX_OUTPUT_NAME = 'probabilities';
export const ONNX_BATCH_DIM = 'N';
export const ONNX_INPUT_NAMES: Record<PreprocessSpec['kind'], string> = { images: 'images', text: 'token_ids', table: 'features' };
export const METADATA_CLASSES = 'netsprout.classes';
export const METADATA_PREPROCESS = 'netsprout.preprocess';
export const METADATA_INPUT = 'netsprout.input';

export interface OnnxWriteOptions {
  producerVersion?: string;
  /** Extra metadata_props; a key the writer sets itself is replaced by the value given here. */
  metadata?: Record<string, string>;
}

/** Selu's constants as TensorFlow has them (alpha = scale·alpha / scale). */
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_GAMMA = 1.0507009873554804934193349852946;
const LEAKY_RELU_DEFAULT_ALPHA = 0.2;

type Layout = 'channelsLast' | 'channelsFirst';

/**
 * One IR tensor in the ONNX graph. `rank` includes the batch axis. Tensors of rank ≤ 2 have one layout
 * (kept under channelsLast); others may exist in both, `produced` being the one their layer made.
 */
interface Value {
  rank: number;
  produced: Layout;
  names: Partial<Record<Layout, string>>;
}

function single(rank: number, layout: Layout, name: string): Value {
  const l: Layout = rank <= 2 ? 'channelsLast' : layout;
  return { rank, produced: l, names: { [l]: name } };
}

function unsupported(layer: Layer, what: string): NetSproutError {
  return new NetSproutError(
    'EXPORT_ONNX_UNSUPPORTED',
    `Layer "${layer.id}" (${layer.type}) cannot be written to ONNX: ${what}.`,
    'Export to .keras instead, or report the architecture so NetSprout can learn to write it.',
  );
}

function specMismatch(detail: string): NetSproutError {
  return new NetSproutError(
    'EXPORT_SPEC_MISMATCH',
    `The network does not fit its preprocessing: ${detail}.`,
    'Export the model together with the preprocessing it was trained with.',
  );
}

/**
 * Explicit pads [begin…, end…] for the spatial axes, as TensorFlow computes 'same' (the odd pixel at the end);
 * zeros for 'valid'.
 */
export function tfPads(sizes: number[], kernel: number[], strides: number[], dilation: number[], padding: Padding): number[] {
  if (padding === 'valid') return [...sizes.map(() => 0), ...sizes.map(() => 0)];
  const totals = sizes.map((n, i) => {
    const out = Math.ceil(n / strides[i]);
    return Math.max((out - 1) * strides[i] + (kernel[i] - 1) * dilation[i] + 1 - n, 0);
  });
  const begins = totals.map((t) => Math.floor(t / 2));
  return [...begins, ...totals.map((t, i) => t - begins[i])];
}

/** The perm that moves a channels-last tensor of `rank` to channels-first, or back. */
function permutation(rank: number, to: Layout): number[] {
  const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  return to === 'channelsFirst' ? [0, rank - 1, ...spatial] : [0, ...spatial.map((a) => a + 1), 1];
}

function channelAxis(rank: number, layout: Layout): number {
  return rank <= 2 || layout === 'channelsLast' ? rank - 1 : 1;
}

interface ConvGeometry {
  kernel: number[];
  strides: number[];
  dilation: number[];
  padding: Padding;
  group: number;
}

/** Lowers the layers of one graph onto an OnnxGraphBuilder. */
class OnnxLowering {
  private readonly values = new Map<string, Value>();

  constructor(
    private readonly b: OnnxGraphBuilder,
    private readonly shapes: Map<string, Shape>,
    private readonly weights: Map<string, Float32Array[]>,
    private readonly preprocess: PreprocessSpec,
  ) {}

  value(id: string): Value {
    const v = this.values.get(id);
    if (!v) throw new Error(`ONNX export: layer "${id}" used before it was lowered`);
    return v;
  }

  /** The tensor's name in `layout`, adding (once) the Transpose that makes it. */
  inLayout(v: Value, layout: Layout): string {
    if (v.rank <= 2) return v.names.channelsLast!;
    const have = v.names[layout];
    if (have) return have;
    const other: Layout = layout === 'channelsFirst' ? 'channelsLast' : 'channelsFirst';
    const source = v.names[other]!;
    const name = this.b.addNode('Transpose', [source], `${source}/${layout === 'channelsFirst' ? 'nchw' : 'nhwc'}`, [
      intsAttr('perm', permutation(v.rank, layout)),
    ]);
    v.names[layout] = name;
    return name;
  }

  /** The layout most of `vs` already exist in (channels-first on a tie: the convolutions want it). */
  commonLayout(vs: Value[]): Layout {
    const missing = (l: Layout) => vs.filter((v) => v.rank > 2 && !v.names[l]).length;
    return missing('channelsFirst') <= missing('channelsLast') ? 'channelsFirst' : 'channelsLast';
  }

  lower(layer: Layer): void {
    this.values.set(layer.id, this.lowerLayer(layer));
  }

  private lowerLayer(layer: Layer): Value {
    switch (layer.type) {
      case 'input':
        return this.lowerInput(layer);
      case 'conv2d':
        return this.lowerConv2d(layer);
      case 'depthwiseConv2d':
        return this.lowerDepthwise(layer);
      case 'separableConv2d':
        return this.lowerSeparable(layer);
      case 'conv1d':
        return this.lowerConv1d(layer);
      case 'dense':
        return this.lowerDense(layer);
      case 'batchNorm':
        return this.lowerBatchNorm(layer);
      case 'activation': {
        const x = this.value(layer.inputs[0]);
        const name = this.activation(layer.id, x.names[x.produced]!, layer.params.fn, layer.params.alpha, x.rank, x.produced);
        return single(x.rank, x.produced, name);
      }
      case 'maxPool2d':
      case 'avgPool2d':
        return this.lowerPool(layer, layer.params.poolSize, layer.params.strides, layer.params.padding);
      case 'maxPool1d':
      case 'avgPool1d':
        return this.lowerPool(layer, [layer.params.poolSize], [layer.params.strides], layer.params.padding);
      case 'globalAvgPool':
      case 'globalMaxPool':
        return this.lowerGlobalPool(layer);
      case 'flatten':
        return this.lowerFlatten(layer);
      case 'dropout':
        return this.value(layer.inputs[0]);
      case 'add':
      case 'concat':
        return this.lowerMerge(layer);
      case 'embedding':
        return this.lowerEmbedding(layer);
      default:
        throw unsupported(layer, 'this layer type is unknown to the ONNX writer');
    }
  }

  private inShape(layer: Layer, k = 0): Shape {
    return this.shapes.get(layer.inputs[k])!;
  }

  private outShape(layer: Layer): Shape {
    return this.shapes.get(layer.id)!;
  }

  private lowerInput(layer: LayerOf<'input'>): Value {
    const { shape, dtype } = layer.params;
    const name = this.b.addInput(ONNX_INPUT_NAMES[this.preprocess.kind], dtype, [ONNX_BATCH_DIM, ...shape]);
    if (this.preprocess.kind !== 'images') return single(shape.length + 1, 'channelsLast', name);
    const channels = shape[shape.length - 1];
    const mean = this.b.addInitializer('preprocess/mean', Float32Array.from(this.preprocess.mean), [channels]);
    const std = this.b.addInitializer('preprocess/std', Float32Array.from(this.preprocess.std), [channels]);
    const centred = this.b.addNode('Sub', [name, mean], 'preprocess/centred');
    return single(shape.length + 1, 'channelsLast', this.b.addNode('Div', [centred, std], 'preprocess/normalised'));
  }

  /** A Conv node on a channels-first input; `geometry` describes the spatial axes. */
  private conv(base: string, x: string, inSpatial: number[], w: string, bias: string | null, g: ConvGeometry): string {
    return this.b.addNode('Conv', bias ? [x, w, bias] : [x, w], base, [
      intsAttr('kernel_shape', g.kernel),
      intsAttr('strides', g.strides),
      intsAttr('dilations', g.dilation),
      intsAttr('pads', tfPads(inSpatial, g.kernel, g.strides, g.dilation, g.padding)),
      intAttr('group', g.group),
    ]);
  }

  private bias(layer: Layer, useBias: boolean, data: Float32Array | undefined): string | null {
    return useBias && data ? this.b.addInitializer(`${layer.id}/bias`, data, [data.length]) : null;
  }

  private lowerConv2d(layer: LayerOf<'conv2d'>): Value {
    const p = layer.params;
    const [h, w, cin] = this.inShape(layer);
    const [kh, kw] = p.kernelSize;
    const [kernel, biasData] = this.weightsOf(layer);
    const x = this.inLayout(this.value(layer.inputs[0]), 'channelsFirst');
    const W = this.b.addInitializer(`${layer.id}/kernel`, hwioToOihw(kernel, [kh, kw, cin, p.filters]), [p.filters, cin, kh, kw]);
    const geometry = { kernel: [kh, kw], strides: p.strides, dilation: p.dilation, padding: p.padding, group: 1 };
    const y = this.conv(layer.id, x, [h, w], W, this.bias(layer, p.useBias, biasData), geometry);
    return single(4, 'channelsFirst', this.activation(layer.id, y, p.activation, undefined, 4, 'channelsFirst'));
  }

  /** The depthwise part of a depthwise or separable convolution, as a grouped Conv. */
  private depthwise(layer: LayerOf<'depthwiseConv2d'> | LayerOf<'separableConv2d'>, kernel: Float32Array, bias: string | null): string {
    const p = layer.params;
    const [h, w, cin] = this.inShape(layer);
    const [kh, kw] = p.kernelSize;
    const m = p.depthMultiplier;
    const x = this.inLayout(this.value(layer.inputs[0]), 'channelsFirst');
    const name = layer.type === 'separableConv2d' ? 'depthwise_kernel' : 'kernel';
    const W = this.b.addInitializer(`${layer.id}/${name}`, depthwiseToGrouped(kernel, [kh, kw, cin, m]), [cin * m, 1, kh, kw]);
    const geometry = { kernel: [kh, kw], strides: p.strides, dilation: p.dilation, padding: p.padding, group: cin };
    return this.conv(layer.type === 'separableConv2d' ? `${layer.id}/depthwise` : layer.id, x, [h, w], W, bias, geometry);
  }

  private lowerDepthwise(layer: LayerOf<'depthwiseConv2d'>): Value {
    const [kernel, biasData] = this.weightsOf(layer);
    const y = this.depthwise(layer, kernel, this.bias(layer, layer.params.useBias, biasData));
    return single(4, 'channelsFirst', this.activation(layer.id, y, layer.params.activation, undefined, 4, 'channelsFirst'));
  }

  private lowerSeparable(layer: LayerOf<'separableConv2d'>): Value {
    const p = layer.params;
    const [, , cin] = this.inShape(layer);
    const [hOut, wOut] = this.outShape(layer);
    const mid = cin * p.depthMultiplier;
    const [depthKernel, pointKernel, biasData] = this.weightsOf(layer);
    const d = this.depthwise(layer, depthKernel, null);
    const W = this.b.addInitializer(`${layer.id}/pointwise_kernel`, hwioToOihw(pointKernel, [1, 1, mid, p.filters]), [p.filters, mid, 1, 1]);
    const pointwise = { kernel: [1, 1], strides: [1, 1], dilation: [1, 1], padding: 'valid' as const, group: 1 };
    const y = this.conv(layer.id, d, [hOut, wOut], W, this.bias(layer, p.useBias, biasData), pointwise);
    return single(4, 'channelsFirst', this.activation(layer.id, y, p.activation, undefined, 4, 'channelsFirst'));
  }

  private lowerConv1d(layer: LayerOf<'conv1d'>): Value {
    const p = layer.params;
    const [length, cin] = this.inShape(layer);
    const [kernel, biasData] = this.weightsOf(layer);
    const x = this.inLayout(this.value(layer.inputs[0]), 'channelsFirst');
    const W = this.b.addInitializer(`${layer.id}/kernel`, kioToOik(kernel, [p.kernelSize, cin, p.filters]), [p.filters, cin, p.kernelSize]);
    const geometry = { kernel: [p.kernelSize], strides: [p.strides], dilation: [p.dilation], padding: p.padding, group: 1 };
    const y = this.conv(layer.id, x, [length], W, this.bias(layer, p.useBias, biasData), geometry);
    return single(3, 'channelsFirst', this.activation(layer.id, y, p.activation, undefined, 3, 'channelsFirst'));
  }

  /**
   * Dense on the last axis: Gemm (or MatMul) on [N, in]; on a higher-rank tensor, MatMul + Add when it is
   * channels-last, or a 1×1 Conv (the same map on the channel axis) when it is channels-first.
   */
  private lowerDense(layer: LayerOf<'dense'>): Value {
    const p = layer.params;
    const inShape = this.inShape(layer);
    const cin = inShape[inShape.length - 1];
    const [kernel, biasData] = this.weightsOf(layer);
    const bias = this.bias(layer, p.useBias, biasData);
    const x = this.value(layer.inputs[0]);
    let y: string;
    let layout: Layout = 'channelsLast';
    if (x.rank > 2 && x.produced === 'channelsFirst') {
      const spatial = inShape.slice(0, -1);
      const ones = spatial.map(() => 1);
      const W = this.b.addInitializer(`${layer.id}/kernel`, denseToPointwise(kernel, [cin, p.units]), [p.units, cin, ...ones]);
      const geometry = { kernel: ones, strides: ones, dilation: ones, padding: 'valid' as const, group: 1 };
      y = this.conv(layer.id, this.inLayout(x, 'channelsFirst'), spatial, W, bias, geometry);
      layout = 'channelsFirst';
    } else {
      const W = this.b.addInitializer(`${layer.id}/kernel`, kernel, [cin, p.units]);
      const xs = this.inLayout(x, 'channelsLast');
      if (x.rank === 2 && bias) y = this.b.addNode('Gemm', [xs, W, bias], layer.id);
      else {
        y = this.b.addNode('MatMul', [xs, W], bias ? `${layer.id}/matmul` : layer.id);
        if (bias) y = this.b.addNode('Add', [y, bias], layer.id);
      }
    }
    return single(x.rank, layout, this.activation(layer.id, y, p.activation, undefined, x.rank, layout));
  }

  /** Inference-mode BatchNormalization (moving statistics) on the channel axis, epsilon as the IR has it. */
  private lowerBatchNorm(layer: LayerOf<'batchNorm'>): Value {
    const [gamma, beta, mean, variance] = this.weightsOf(layer);
    const c = gamma.length;
    const x = this.value(layer.inputs[0]);
    const xs = this.inLayout(x, 'channelsFirst');
    const stats = [
      this.b.addInitializer(`${layer.id}/gamma`, gamma, [c]),
      this.b.addInitializer(`${layer.id}/beta`, beta, [c]),
      this.b.addInitializer(`${layer.id}/moving_mean`, mean, [c]),
      this.b.addInitializer(`${layer.id}/moving_variance`, variance, [c]),
    ];
    const y = this.b.addNode('BatchNormalization', [xs, ...stats], layer.id, [floatAttr('epsilon', layer.params.epsilon)]);
    return single(x.rank, 'channelsFirst', y);
  }

  /** MaxPool (padding never wins the max) or AveragePool (padding excluded from the mean), as TF does. */
  private lowerPool(layer: Layer, poolSize: number[], strides: number[], padding: Padding): Value {
    const inShape = this.inShape(layer);
    const spatial = inShape.slice(0, -1);
    const x = this.value(layer.inputs[0]);
    const isMax = layer.type === 'maxPool2d' || layer.type === 'maxPool1d';
    const attrs = [
      intsAttr('kernel_shape', poolSize),
      intsAttr('strides', strides),
      intsAttr('pads', tfPads(spatial, poolSize, strides, poolSize.map(() => 1), padding)),
    ];
    if (!isMax) attrs.push(intAttr('count_include_pad', 0));
    const y = this.b.addNode(isMax ? 'MaxPool' : 'AveragePool', [this.inLayout(x, 'channelsFirst')], layer.id, attrs);
    return single(x.rank, 'channelsFirst', y);
  }

  /** Mean or max over the spatial axes → [N, C]. */
  private lowerGlobalPool(layer: Layer): Value {
    const x = this.value(layer.inputs[0]);
    const isMax = layer.type === 'globalMaxPool';
    if (x.names.channelsFirst) {
      const pooled = this.b.addNode(isMax ? 'GlobalMaxPool' : 'GlobalAveragePool', [x.names.channelsFirst], `${layer.id}/pooled`);
      return single(2, 'channelsLast', this.b.addNode('Flatten', [pooled], layer.id, [intAttr('axis', 1)]));
    }
    const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
    const y = this.b.addNode(isMax ? 'ReduceMax' : 'ReduceMean', [this.inLayout(x, 'channelsLast')], layer.id, [
      intsAttr('axes', axes),
      intAttr('keepdims', 0),
    ]);
    return single(2, 'channelsLast', y);
  }

  /** Flatten in the IR's channels-last order: index (y·W + x)·C + c. */
  private lowerFlatten(layer: Layer): Value {
    const x = this.value(layer.inputs[0]);
    if (x.rank <= 2) return x;
    const positions = this.inShape(layer).slice(0, -1).reduce((a, b) => a * b, 1);
    // With a single position both orders coincide, so no Transpose is needed.
    const source = positions === 1 ? x.names[x.produced]! : this.inLayout(x, 'channelsLast');
    return single(2, 'channelsLast', this.b.addNode('Flatten', [source], layer.id, [intAttr('axis', 1)]));
  }

  private lowerMerge(layer: LayerOf<'add'> | LayerOf<'concat'>): Value {
    const xs = layer.inputs.map((id) => this.value(id));
    const rank = xs[0].rank;
    const layout = this.commonLayout(xs);
    const names = xs.map((v) => this.inLayout(v, layout));
    let y: string;
    if (layer.type === 'concat') y = this.b.addNode('Concat', names, layer.id, [intAttr('axis', channelAxis(rank, layout))]);
    else y = this.b.addNode(names.length === 2 ? 'Add' : 'Sum', names, layer.id);
    return single(rank, layout, y);
  }

  private lowerEmbedding(layer: LayerOf<'embedding'>): Value {
    const { inputDim, outputDim } = layer.params;
    const [table] = this.weightsOf(layer);
    const ids = this.inLayout(this.value(layer.inputs[0]), 'channelsLast');
    const E = this.b.addInitializer(`${layer.id}/embeddings`, table, [inputDim, outputDim]);
    return single(3, 'channelsLast', this.b.addNode('Gather', [E, ids], layer.id, [intAttr('axis', 0)]));
  }

  /** An activation function applied to tensor `x` of the given rank and layout; 'linear' adds nothing. */
  activation(base: string, x: string, fn: ActivationFn, alpha: number | undefined, rank: number, layout: Layout): string {
    const b = this.b;
    const out = `${base}/${fn}`;
    switch (fn) {
      case 'linear':
        return x;
      case 'relu':
        return b.addNode('Relu', [x], out);
      case 'relu6':
        return b.addNode('Clip', [x, b.scalar(0), b.scalar(6)], out);
      case 'leakyRelu':
        return b.addNode('LeakyRelu', [x], out, [floatAttr('alpha', alpha ?? LEAKY_RELU_DEFAULT_ALPHA)]);
      case 'elu':
        return b.addNode('Elu', [x], out, [floatAttr('alpha', 1)]);
      case 'selu':
        return b.addNode('Selu', [x], out, [floatAttr('alpha', SELU_ALPHA), floatAttr('gamma', SELU_GAMMA)]);
      case 'sigmoid':
        return b.addNode('Sigmoid', [x], out);
      case 'tanh':
        return b.addNode('Tanh', [x], out);
      case 'swish':
        return b.addNode('Mul', [x, b.addNode('Sigmoid', [x], `${base}/sigmoid`)], out);
      case 'gelu': {
        // x · ½ · (1 + erf(x / √2)), the exact (erf) form.
        const erf = b.addNode('Erf', [b.addNode('Mul', [x, b.scalar(Math.SQRT1_2)], `${base}/scaled`)], `${base}/erf`);
        const gate = b.addNode('Add', [erf, b.scalar(1)], `${base}/gate`);
        return b.addNode('Mul', [b.addNode('Mul', [x, b.scalar(0.5)], `${base}/half`), gate], out);
      }
      case 'softmax':
        return b.addNode('Softmax', [x], out, [intAttr('axis', channelAxis(rank, layout))]);
    }
  }

  /** The layer's weight arrays in weightSpecs order, checked against the shapes the graph implies. */
  private weightsOf(layer: Layer): Float32Array[] {
    const specs = weightSpecs(layer, layer.inputs.map((id) => this.shapes.get(id)!));
    return exportedLayerWeights(layer.id, specs, this.weights.get(layer.id));
  }
}

/** The single input layer, checked against the kind, dtype and shape the preprocessing spec promises. */
function checkInput(graph: Graph, spec: PreprocessSpec): LayerOf<'input'> {
  const inputs = graph.layers.filter((l): l is LayerOf<'input'> => l.type === 'input');
  if (inputs.length !== 1) throw specMismatch(`it has ${inputs.length} input layers, and a preprocessing spec describes one input`);
  const { shape, dtype } = inputs[0].params;
  const same = (want: number[]) => want.length === shape.length && want.every((d, i) => d === shape[i]);
  const got = `[${shape.join(', ')}] ${dtype}`;
  if (spec.kind === 'images') {
    const want = [spec.height, spec.width, spec.channels];
    if (dtype !== 'float32' || !same(want)) throw specMismatch(`the images are [${want.join(', ')}] float32, the network takes ${got}`);
    if (spec.mean.length !== spec.channels || spec.std.length !== spec.channels || spec.std.some((s) => !(s > 0))) {
      throw specMismatch(`the image statistics need ${spec.channels} means and positive standard deviations`);
    }
  } else if (spec.kind === 'text') {
    if (dtype !== 'int32' || !same([spec.sequenceLength])) throw specMismatch(`texts are [${spec.sequenceLength}] int32 token ids, the network takes ${got}`);
  } else if (dtype !== 'float32' || !same([spec.width])) {
    throw specMismatch(`table rows are [${spec.width}] float32, the network takes ${got}`);
  }
  return inputs[0];
}

function inputDescription(spec: PreprocessSpec, shape: Shape): string {
  const input = ONNX_INPUT_NAMES[spec.kind];
  const dims = [ONNX_BATCH_DIM, ...shape].join(', ');
  const what =
    spec.kind === 'images'
      ? `float32 [${dims}] (NHWC) raw 0–255 pixel values; the model normalises them with the spec's mean and std`
      : spec.kind === 'text'
        ? `int32 [${dims}] token ids from the spec's vocabulary (tokenise as the spec says)`
        : `float32 [${dims}], each row encoded as the spec says (standardised numbers, one-hot categories)`;
  return `${input}: ${what}`;
}

/** The ONNX model (serialised ModelProto) for a graph, its weights and its preprocessing. */
export function writeOnnx(input: ExportInput, opts: OnnxWriteOptions = {}): Uint8Array {
  const { graph, weights, preprocess } = input;
  const shapes = validateGraph(graph);
  const inputLayer = checkInput(graph, preprocess);
  const builder = new OnnxGraphBuilder('netsprout');
  const lowering = new OnnxLowering(builder, shapes, weights, preprocess);
  for (const layer of topologicalOrder(graph)) lowering.lower(layer);

  const outShape = shapes.get(graph.output)!;
  const out = lowering.inLayout(lowering.value(graph.output), 'channelsLast');
  builder.addOutput(out, ONNX_OUTPUT_NAME, 'float32', [ONNX_BATCH_DIM, ...outShape]);

  const described = inputDescription(preprocess, inputLayer.params.shape);
  return builder.toModelBytes({
    irVersion: ONNX_IR_VERSION,
    opset: ONNX_OPSET,
    producerName: 'NetSprout',
    producerVersion: opts.producerVersion,
    docString: `NetSprout model. Input ${described}. Output ${ONNX_OUTPUT_NAME}: float32 [${[ONNX_BATCH_DIM, ...outShape].join(', ')}].`,
    metadata: {
      [METADATA_CLASSES]: JSON.stringify(preprocess.classes),
      [METADATA_PREPROCESS]: JSON.stringify(preprocess),
      [METADATA_INPUT]: described,
      ...opts.metadata,
    },
  });
}
