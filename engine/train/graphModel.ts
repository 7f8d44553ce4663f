/**
 * A trainable TensorFlow.js model built from the IR: one set of tf.Variables per layer id (in Keras's variable
 * order) and a forward pass that walks the graph in topological order. Batch norm uses batch statistics and updates
 * its moving averages when training, and its moving averages otherwise; dropout draws its masks from a seed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NetSproutError } from '../errors.js';
import { topologicalOrder } from '../graph/topology.js';
import type { ActivationFn, Graph, Layer, Shape } from '../graph/types.js';
import { validateGraph } from '../graph/validate.js';
import { weightSpecs, type WeightSpec } from '../graph/weightSpecs.js';
import { initialValue } from './initializers.js';
import { MOVING_AVERAGES } from '../backend/wasmKernels/batchNorm.js';
import { makeRandom } from './seededRandom.js';
import { batchNormInference, batchNormTraining, fusedBatchNormTraining, globalAveragePool, hasFusedTrainingKernels } from './trainingOps.js';

export interface LayerWeights {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface ForwardOptions {
  training: boolean;
  /** Seed for this call's dropout masks (training only). */
  dropoutSeed?: number;
  /** Return the output before a final softmax (for a numerically stable cross-entropy). */
  logits?: boolean;
}

export function applyActivation(x: tf.Tensor, fn: ActivationFn, alpha?: number): tf.Tensor {
  switch (fn) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, alpha ?? 0.2);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    case 'softmax':
      return tf.softmax(x);
  }
}

export class GraphModel {
  readonly graph: Graph;
  readonly order: Layer[];
  readonly shapes: Map<string, Shape>;
  readonly specs: Map<string, WeightSpec[]>;
  private readonly vars = new Map<string, tf.Variable[]>();
  /** Batch-norm layers whose only consumer is a ReLU activation (its id): fused with it in training where supported. */
  private readonly reluAfterBatchNorm = new Map<string, string>();
  private disposed = false;

  private constructor(graph: Graph) {
    this.graph = graph;
    this.shapes = validateGraph(graph);
    this.order = topologicalOrder(graph);
    this.specs = new Map(this.order.map((l) => [l.id, weightSpecs(l, l.inputs.map((i) => this.shapes.get(i)!))]));
    const consumers = new Map<string, Layer[]>();
    for (const l of this.order) for (const i of l.inputs) consumers.set(i, [...(consumers.get(i) ?? []), l]);
    for (const l of this.order) {
      const next = consumers.get(l.id) ?? [];
      const only = next[0];
      if (l.type === 'batchNorm' && l.id !== graph.output && next.length === 1 && only.type === 'activation' && only.params.fn === 'relu' && only.inputs.length === 1) {
        this.reluAfterBatchNorm.set(l.id, only.id);
      }
    }
  }

  /** A model with fresh Keras-default weights drawn from `seed`. */
  static create(graph: Graph, seed = 0): GraphModel {
    const model = new GraphModel(graph);
    const rng = makeRandom(seed);
    for (const layer of model.order) {
      const specs = model.specs.get(layer.id)!;
      if (specs.length === 0) continue;
      model.vars.set(
        layer.id,
        specs.map((s) => tf.variable(tf.tensor(initialValue(s, rng), s.shape, 'float32'), s.trainable)),
      );
    }
    return model;
  }

  /** A model whose weights are given per layer id; layers not in `weights` get fresh weights from `seed`. */
  static withWeights(graph: Graph, weights: Map<string, Float32Array[]>, seed = 0): GraphModel {
    const model = GraphModel.create(graph, seed);
    for (const [id, arrays] of weights) model.setLayerWeights(id, arrays);
    return model;
  }

  get inputIds(): string[] {
    return this.order.filter((l) => l.type === 'input').map((l) => l.id);
  }

  get outputShape(): Shape {
    return this.shapes.get(this.graph.output)!;
  }

  trainableVariables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const [id, vs] of this.vars) this.specs.get(id)!.forEach((s, i) => s.trainable && out.push(vs[i]));
    return out;
  }

  /** Variables subject to weight decay: kernels and embeddings (not biases or batch-norm parameters). */
  decayedVariables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const [id, vs] of this.vars) {
      this.specs.get(id)!.forEach((s, i) => /kernel|embeddings/.test(s.name) && out.push(vs[i]));
    }
    return out;
  }

  layerWeights(id: string): LayerWeights[] {
    const vs = this.vars.get(id) ?? [];
    return this.specs.get(id)!.map((s, i) => ({ name: s.name, shape: [...s.shape], data: vs[i].dataSync() as Float32Array }));
  }

  /** Every layer's weights, by layer id, in Keras variable order. */
  allWeights(): Map<string, LayerWeights[]> {
    const out = new Map<string, LayerWeights[]>();
    for (const id of this.vars.keys()) out.set(id, this.layerWeights(id));
    return out;
  }

  setLayerWeights(id: string, arrays: Float32Array[]): void {
    const specs = this.specs.get(id);
    const vs = this.vars.get(id);
    if (!specs || !vs) {
      throw new NetSproutError('WEIGHTS_UNKNOWN_LAYER', `The network has no layer "${id}" with weights.`, 'Check the layer id.');
    }
    if (arrays.length !== specs.length) {
      throw new NetSproutError(
        'WEIGHTS_COUNT',
        `Layer "${id}" has ${specs.length} weight arrays (${specs.map((s) => s.name).join(', ')}), got ${arrays.length}.`,
        'Give one array per variable in Keras order.',
      );
    }
    specs.forEach((s, i) => {
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (arrays[i].length !== n) {
        throw new NetSproutError(
          'WEIGHTS_SHAPE',
          `Weight "${s.name}" of layer "${id}" needs ${n} values (shape [${s.shape.join(', ')}]), got ${arrays[i].length}.`,
          'The weights do not belong to this architecture.',
        );
      }
      vs[i].assign(tf.tensor(arrays[i], s.shape, 'float32'));
    });
  }

  /**
   * Runs the network on a batch. `inputs` is one tensor (single-input graphs) or tensors by input layer id.
   * Must be called inside tf.tidy (or variableGrads) by the caller: intermediates are not disposed here.
   */
  forward(inputs: tf.Tensor | Record<string, tf.Tensor>, opts: ForwardOptions): tf.Tensor {
    if (this.disposed) throw new Error('GraphModel used after dispose()');
    const values = new Map<string, tf.Tensor>();
    const feed = inputs instanceof tf.Tensor ? { [this.inputIds[0]]: inputs } : inputs;
    let dropoutIndex = 0;
    // ReLU layers already applied by the batch-norm kernel before them.
    const applied = new Set<string>();
    const fuse = opts.training && this.reluAfterBatchNorm.size > 0 && hasFusedTrainingKernels();
    for (const layer of this.order) {
      const ins = layer.inputs.map((id) => values.get(id)!);
      const isOutput = layer.id === this.graph.output;
      let y: tf.Tensor;
      const relu = fuse && layer.type === 'batchNorm' ? this.reluAfterBatchNorm.get(layer.id) : undefined;
      if (relu !== undefined) {
        y = this.batchNormTrain(layer as Extract<Layer, { type: 'batchNorm' }>, ins[0], true);
        applied.add(relu);
      } else if (applied.has(layer.id)) {
        y = ins[0];
      } else if (layer.type === 'input') {
        const t = feed[layer.id];
        if (!t) throw new Error(`No tensor given for input layer "${layer.id}"`);
        y = t;
      } else if (layer.type === 'dropout') {
        y = ins[0];
        if (opts.training && layer.params.rate > 0) {
          const seed = ((opts.dropoutSeed ?? 0) + 7919 * ++dropoutIndex) >>> 0;
          const keep = tf.greaterEqual(tf.randomUniform(y.shape, 0, 1, 'float32', seed), layer.params.rate);
          y = tf.div(tf.mul(y, tf.cast(keep, 'float32')), 1 - layer.params.rate);
        }
      } else {
        y = this.apply(layer, ins, opts.training, isOutput && opts.logits === true);
      }
      values.set(layer.id, y);
    }
    return values.get(this.graph.output)!;
  }

  private apply(layer: Layer, ins: tf.Tensor[], training: boolean, skipSoftmax: boolean): tf.Tensor {
    const w = this.vars.get(layer.id) ?? [];
    const x = ins[0];
    const act = (t: tf.Tensor, fn: ActivationFn) => (skipSoftmax && fn === 'softmax' ? t : applyActivation(t, fn));
    switch (layer.type) {
      case 'conv2d': {
        const p = layer.params;
        let y: tf.Tensor = tf.conv2d(x as tf.Tensor4D, w[0] as tf.Tensor4D, p.strides, p.padding, 'NHWC', p.dilation);
        if (p.useBias) y = tf.add(y, w[1]);
        return act(y, p.activation);
      }
      case 'depthwiseConv2d': {
        const p = layer.params;
        let y: tf.Tensor = tf.depthwiseConv2d(x as tf.Tensor4D, w[0] as tf.Tensor4D, p.strides, p.padding, 'NHWC', p.dilation);
        if (p.useBias) y = tf.add(y, w[1]);
        return act(y, p.activation);
      }
      case 'separableConv2d': {
        const p = layer.params;
        const d = tf.depthwiseConv2d(x as tf.Tensor4D, w[0] as tf.Tensor4D, p.strides, p.padding, 'NHWC', p.dilation);
        let y: tf.Tensor = tf.conv2d(d, w[1] as tf.Tensor4D, 1, 'valid');
        if (p.useBias) y = tf.add(y, w[2]);
        return act(y, p.activation);
      }
      case 'conv1d': {
        const p = layer.params;
        let y: tf.Tensor = tf.conv1d(x as tf.Tensor3D, w[0] as tf.Tensor3D, p.strides, p.padding, 'NWC', p.dilation);
        if (p.useBias) y = tf.add(y, w[1]);
        return act(y, p.activation);
      }
      case 'dense': {
        const p = layer.params;
        const cin = x.shape[x.shape.length - 1];
        const flat = x.rank === 2 ? x : tf.reshape(x, [-1, cin]);
        let y: tf.Tensor = tf.matMul(flat as tf.Tensor2D, w[0] as tf.Tensor2D);
        if (p.useBias) y = tf.add(y, w[1]);
        if (x.rank !== 2) y = tf.reshape(y, [...x.shape.slice(0, -1), p.units]);
        return act(y, p.activation);
      }
      case 'batchNorm': {
        if (training) return this.batchNormTrain(layer, x, false);
        const [gamma, beta, movingMean, movingVar] = w as tf.Variable[];
        return batchNormInference(x, gamma, beta, movingMean, movingVar, layer.params.epsilon);
      }
      case 'activation':
        return skipSoftmax && layer.params.fn === 'softmax' ? x : applyActivation(x, layer.params.fn, layer.params.alpha);
      case 'maxPool2d':
      case 'avgPool2d': {
        const p = layer.params;
        const f = layer.type === 'maxPool2d' ? tf.maxPool : tf.avgPool;
        return f(x as tf.Tensor4D, p.poolSize, p.strides, p.padding);
      }
      case 'maxPool1d':
      case 'avgPool1d': {
        const p = layer.params;
        const f = layer.type === 'maxPool1d' ? tf.maxPool : tf.avgPool;
        const [b, l, c] = x.shape;
        const y = f(tf.reshape(x, [b, 1, l, c]) as tf.Tensor4D, [1, p.poolSize], [1, p.strides], p.padding);
        return tf.reshape(y, [b, y.shape[2], c]);
      }
      case 'globalAvgPool':
        return globalAveragePool(x);
      case 'globalMaxPool':
        return tf.max(x, x.shape.slice(1, -1).map((_, i) => i + 1));
      case 'flatten':
        return tf.reshape(x, [x.shape[0], -1]);
      case 'add':
        return ins.length === 2 ? tf.add(ins[0], ins[1]) : tf.addN(ins);
      case 'concat':
        return tf.concat(ins, -1);
      case 'embedding':
        return tf.gather(w[0], x as tf.Tensor, 0);
      case 'input':
      case 'dropout':
        return x;
    }
  }

  /** Batch norm in training (batch statistics), updating the moving averages; `relu` fuses the ReLU after it. */
  private batchNormTrain(layer: Extract<Layer, { type: 'batchNorm' }>, x: tf.Tensor, relu: boolean): tf.Tensor {
    const [gamma, beta, movingMean, movingVar] = this.vars.get(layer.id) as tf.Variable[];
    const { epsilon, momentum } = layer.params;
    const { y, mean, variance } = relu ? fusedBatchNormTraining(x, gamma, beta, epsilon, true) : batchNormTraining(x, gamma, beta, epsilon);
    tf.tidy(() => {
      if (hasFusedTrainingKernels()) {
        const inputs = { movingMean, movingVariance: movingVar, mean, variance };
        const [m, v] = tf.engine().runKernel(MOVING_AVERAGES, inputs, { momentum }) as tf.Tensor[];
        movingMean.assign(m);
        movingVar.assign(v);
      } else {
        movingMean.assign(tf.add(tf.mul(movingMean, momentum), tf.mul(mean, 1 - momentum)));
        movingVar.assign(tf.add(tf.mul(movingVar, momentum), tf.mul(variance, 1 - momentum)));
      }
    });
    tf.dispose([mean, variance]);
    return y;
  }

  /** Predictions (probabilities when the network ends in softmax) for a batch, in inference mode. */
  predict(inputs: tf.Tensor | Record<string, tf.Tensor>): tf.Tensor {
    return tf.tidy(() => this.forward(inputs, { training: false }));
  }

  dispose(): void {
    for (const vs of this.vars.values()) vs.forEach((v) => v.dispose());
    this.vars.clear();
    this.disposed = true;
  }
}
