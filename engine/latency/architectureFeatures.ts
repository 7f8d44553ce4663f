/**
 * What the latency predictors see of an architecture: one vector of whole-network features (multiply-accumulates
 * by kind of operation, parameters, memory traffic, numbers of layers and of element-wise operations, branching),
 * and the list of its layers as lookup-table keys. All figures are for one input (batch 1). On a runtime with a
 * blocked channel layout (ONNX Runtime on x86-64), which layers run blocked and the layout changes between them.
 */
import { inferShapes } from '../graph/shapes.js';
import { consumersOf, topologicalOrder } from '../graph/topology.js';
import type { Graph, Layer, Shape } from '../graph/types.js';
import { sizeOf, weightSpecs } from '../graph/weightSpecs.js';
import { layerMacs } from '../graph/metrics.js';
import { nchwcFigures } from './nchwcLayout.js';

export const FEATURE_NAMES = [
  'macsConvKxK',
  'macsConv1x1',
  'macsDepthwise',
  'macsDense',
  'im2colElements',
  'convOutputElements',
  'depthwiseChannels',
  'params',
  'elementwiseElements',
  'poolInputElements',
  'concatElements',
  'memoryTraffic',
  'layers',
  'convLayers',
  'elementwiseOps',
  'adds',
  'concats',
  'branchPoints',
  'inputElements',
  'maxActivationElements',
  'poolLayers',
  'denseLayers',
  'macsConvKxKPadded',
  'macsConv1x1Padded',
  'unfusedElementwiseElements',
  'unfusedElementwiseOps',
  // ONNX Runtime's blocked layout on x86-64 CPUs (nchwcLayout.ts): zero where the profile's runtime has none.
  'nchwcMacsKxK',
  'nchwcMacsNchwInput',
  'nchwcMacsPointwise',
  'nchwcMacsDepthwise',
  'nchwcMacsUnblocked',
  'nchwcMacsUnblockedDepthwise',
  'nchwcReorderElements',
  'nchwcReorders',
  'nchwcUnblockedPoolElements',
  // Convolutions' multiply-accumulates by where they run (CONV_MAP_POSITIONS × CONV_INPUT_CHANNELS) and by the size
  // of their weights (CONV_WEIGHT_ELEMENTS): a kernel's speed per multiply-accumulate depends on both (cache, blocking).
  'convMacsLargeMapCin4',
  'convMacsLargeMapCin32',
  'convMacsLargeMapCin96',
  'convMacsLargeMapCinMore',
  'convMacsMidMapCin4',
  'convMacsMidMapCin32',
  'convMacsMidMapCin96',
  'convMacsMidMapCinMore',
  'convMacsSmallMapCin4',
  'convMacsSmallMapCin32',
  'convMacsSmallMapCin96',
  'convMacsSmallMapCinMore',
  'convMacsWeightsUnder4k',
  'convMacsWeightsUnder16k',
  'convMacsWeightsUnder64k',
  'convMacsWeights64kUp',
] as const;

/**
 * The buckets of the convolution features: output positions (a large map from 700, as 28×28 and 32×32; a middle one
 * from 150, as 14×14 and 16×16; a small one below, as 7×7 and 8×8), input channels (up to 4, 32, 96, more) and
 * weight elements (under 4k, 16k, 64k floats, more). Chosen by 4-fold cross-validation on two profiles of the AMD EPYC
 * VM (465 and 449 architectures): ridge's share within ±10% went from 90.3% and 88.6% to 92.1% and 91.0%.
 */
const CONV_MAP_POSITIONS = [700, 150] as const;
const CONV_INPUT_CHANNELS = [4, 32, 96] as const;
const CONV_WEIGHT_ELEMENTS = [4096, 16384, 65536] as const;
const MAP_NAMES = ['Large', 'Mid', 'Small'] as const;
const CIN_NAMES = ['4', '32', '96', 'More'] as const;
const WEIGHT_NAMES = ['Under4k', 'Under16k', 'Under64k', '64kUp'] as const;

/** How a profile describes architectures: the NCHWc block size of its runtime (0: no blocked layout). */
export interface FeatureOptions {
  nchwcBlock: number;
}

export const NO_NCHWC: FeatureOptions = { nchwcBlock: 0 };

/**
 * CPU convolution kernels work on blocks of channels (ONNX Runtime's NCHWc layout: 8 floats with AVX2, 16 with
 * AVX-512), so a layer with 20 channels costs about as much as one with 32: the padded counts let a predictor see it.
 */
export const CHANNEL_BLOCK = 16;
const padded = (c: number) => (c <= 4 ? c : Math.ceil(c / CHANNEL_BLOCK) * CHANNEL_BLOCK);

export type FeatureName = (typeof FEATURE_NAMES)[number];

/** One layer as a lookup-table key: its type, the params that change its cost, and its input shapes. */
export interface LayerKey {
  key: string;
  type: Layer['type'];
  inputShapes: Shape[];
  outputShape: Shape;
  /** Multiply-accumulates plus output elements: how the table scales an entry to a layer it has not seen. */
  work: number;
}

export interface ArchitectureDescription {
  features: number[];
  layers: LayerKey[];
  inputShape: Shape;
  outputShape: Shape;
}

const ELEMENTWISE = new Set(['batchNorm', 'activation', 'add']);
const CONVS = new Set(['conv2d', 'depthwiseConv2d', 'separableConv2d', 'conv1d']);
/** Activations ONNX Runtime fuses into a convolution (FusedConv). */
const FUSABLE_ACTIVATIONS = new Set(['relu', 'leakyRelu', 'sigmoid', 'tanh']);

/**
 * The element-wise layers a runtime folds into the convolution before them, as nn-Meter's kernel detection does
 * for conv-bn-relu: a batch norm whose input is a convolution read by nothing else (folded into its weights), and
 * an activation after such a convolution or folded batch norm, also read by nothing else.
 */
export function fusedLayers(graph: Graph): Set<string> {
  const consumers = consumersOf(graph);
  const byId = new Map(graph.layers.map((l) => [l.id, l]));
  const fused = new Set<string>();
  const soleReader = (id: string) => (consumers.get(id)?.length ?? 0) === 1 && graph.output !== id;
  for (const l of topologicalOrder(graph)) {
    const src = byId.get(l.inputs[0] ?? '');
    if (!src || !soleReader(src.id)) continue;
    const afterConv = CONVS.has(src.type) || (src.type === 'batchNorm' && fused.has(src.id));
    if (l.type === 'batchNorm' && CONVS.has(src.type)) fused.add(l.id);
    else if (l.type === 'activation' && afterConv && FUSABLE_ACTIVATIONS.has(l.params.fn)) fused.add(l.id);
  }
  return fused;
}
const POOLS = new Set(['maxPool2d', 'avgPool2d', 'maxPool1d', 'avgPool1d', 'globalAvgPool', 'globalMaxPool']);

/** The params that matter for a layer's cost (batch-norm momentum or dropout rate do not). */
function costParams(layer: Layer): unknown {
  switch (layer.type) {
    case 'batchNorm':
    case 'dropout':
    case 'input':
      return {};
    default:
      return layer.params;
  }
}

export function layerKey(layer: Layer, inputShapes: Shape[], outputShape: Shape): LayerKey {
  const key = `${layer.type}|${JSON.stringify(costParams(layer))}|${inputShapes.map((s) => s.join('x')).join(',')}`;
  return { key, type: layer.type, inputShapes: inputShapes.map((s) => [...s]), outputShape: [...outputShape], work: layerMacs(layer, inputShapes, outputShape) + sizeOf(outputShape) };
}

export function describeArchitecture(graph: Graph, options: FeatureOptions = NO_NCHWC): ArchitectureDescription {
  const shapes = inferShapes(graph);
  const consumers = consumersOf(graph);
  const f = Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0])) as Record<FeatureName, number>;
  const layers: LayerKey[] = [];
  let inputShape: Shape = [];
  const fused = fusedLayers(graph);
  for (const layer of topologicalOrder(graph)) {
    const ins = layer.inputs.map((id) => shapes.get(id)!);
    const out = shapes.get(layer.id)!;
    const outElements = sizeOf(out);
    const inElements = ins.reduce((a, s) => a + sizeOf(s), 0);
    f.maxActivationElements = Math.max(f.maxActivationElements, outElements);
    if ((consumers.get(layer.id)?.length ?? 0) > 1) f.branchPoints++;
    if (layer.type === 'input') {
      inputShape = [...out];
      f.inputElements += outElements;
      continue;
    }
    layers.push(layerKey(layer, ins, out));
    f.layers++;
    let params = 0;
    for (const w of weightSpecs(layer, ins)) params += sizeOf(w.shape);
    f.params += params;
    f.memoryTraffic += inElements + outElements + params;
    const macs = layerMacs(layer, ins, out);
    const cin = ins[0] ? ins[0][ins[0].length - 1] : 0;
    switch (layer.type) {
      case 'conv2d': {
        const [kh, kw] = layer.params.kernelSize;
        const pad = out[0] * out[1] * kh * kw * padded(cin) * padded(out[2]);
        const map = MAP_NAMES[CONV_MAP_POSITIONS.filter((b) => out[0] * out[1] < b).length];
        const cinBucket = CIN_NAMES[CONV_INPUT_CHANNELS.filter((b) => cin > b).length];
        const weights = WEIGHT_NAMES[CONV_WEIGHT_ELEMENTS.filter((b) => kh * kw * cin * out[2] >= b).length];
        f[`convMacs${map}MapCin${cinBucket}`] += macs;
        f[`convMacsWeights${weights}`] += macs;
        if (kh * kw > 1) {
          f.macsConvKxK += macs;
          f.macsConvKxKPadded += pad;
          f.im2colElements += out[0] * out[1] * kh * kw * cin;
        } else {
          f.macsConv1x1 += macs;
          f.macsConv1x1Padded += pad;
        }
        f.convOutputElements += outElements;
        f.convLayers++;
        break;
      }
      case 'conv1d': {
        const k = layer.params.kernelSize;
        if (k > 1) {
          f.macsConvKxK += macs;
          f.im2colElements += out[0] * k * cin;
        } else f.macsConv1x1 += macs;
        f.convOutputElements += outElements;
        f.convLayers++;
        break;
      }
      case 'depthwiseConv2d':
        f.macsDepthwise += macs;
        f.depthwiseChannels += cin * layer.params.depthMultiplier;
        f.convOutputElements += outElements;
        f.convLayers++;
        break;
      case 'separableConv2d': {
        const p = layer.params;
        const mid = cin * p.depthMultiplier;
        const dw = out[0] * out[1] * mid * p.kernelSize[0] * p.kernelSize[1];
        f.macsDepthwise += dw;
        f.macsConv1x1 += macs - dw;
        f.macsConv1x1Padded += out[0] * out[1] * padded(mid) * padded(p.filters);
        f.depthwiseChannels += mid;
        f.convOutputElements += outElements + out[0] * out[1] * mid;
        f.convLayers++;
        break;
      }
      case 'dense':
        f.macsDense += macs;
        f.denseLayers++;
        break;
      case 'concat':
        f.concatElements += outElements;
        f.concats++;
        break;
      default:
        break;
    }
    if (ELEMENTWISE.has(layer.type) || (layer.type === 'dense' && layer.params.activation === 'softmax')) {
      f.elementwiseElements += outElements;
      f.elementwiseOps++;
      if (!fused.has(layer.id)) {
        f.unfusedElementwiseElements += outElements;
        f.unfusedElementwiseOps++;
      }
    }
    if (layer.type === 'add') f.adds++;
    if (POOLS.has(layer.type)) {
      f.poolInputElements += inElements;
      f.poolLayers++;
    }
  }
  const b = nchwcFigures(graph, options.nchwcBlock, shapes);
  f.nchwcMacsKxK = b.macsBlocked;
  f.nchwcMacsNchwInput = b.macsBlockedNchwInput;
  f.nchwcMacsPointwise = b.macsBlockedPointwise;
  f.nchwcMacsDepthwise = b.macsBlockedDepthwise;
  f.nchwcMacsUnblocked = b.macsUnblocked;
  f.nchwcMacsUnblockedDepthwise = b.macsUnblockedDepthwise;
  f.nchwcReorderElements = b.reorderElements;
  f.nchwcReorders = b.reorders;
  f.nchwcUnblockedPoolElements = b.unblockedPoolElements;
  return { features: FEATURE_NAMES.map((n) => f[n]), layers, inputShape, outputShape: [...shapes.get(graph.output)!] };
}
