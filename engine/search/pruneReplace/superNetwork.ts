/**
 * Prune and Replace's super-network (Laube, thesis ch. 4; DARTS, Liu et al. 2019): a stem, cells that share one
 * structure (three edges: x → n1, x → n2, n1 → n2; the cell's output is n2), with a 1×1 Conv-BN-ReLU (after 2×2 max
 * pooling where the images are large enough) between cells, and a global-average-pooling classifier. Every edge
 * holds a pool of candidate operations whose outputs are mixed by the softmax of the edge's architecture weights α
 * (eq. 4.1); the pool and α of an edge are shared by every cell, the operations' weights are each cell's own.
 *
 * The weights live in plain arrays between iterations (transformations and the job folder work on them); an
 * iteration makes TensorFlow.js variables of them, trains the weights on training batches and, after its grace
 * steps, α on validation batches (first-order DARTS, eqs. 4.2–4.3), and reads them back.
 *
 * TensorFlow.js has no gradient for dilated depthwise convolutions, so a kernel of size k with dilation d is used as
 * its zero-interleaved expansion to d(k − 1) + 1; the derived network gets that expanded kernel (dilation 1), which
 * is the same function and trains everywhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Graph, Layer } from '../../graph/types.js';
import { remapLastAxis, remapSecondLastAxis, copyCounts } from '../../morph/channelMap.js';
import type { ModelState } from '../../morph/modelState.js';
import { initialValue } from '../../train/initializers.js';
import { adam, sgd } from '../../train/optimizers.js';
import { makeRandom, type SeededRandom } from '../../train/seededRandom.js';
import { batchNormInference, batchNormTraining, globalAveragePool } from '../../train/trainingOps.js';
import { readBatch, type TrainData, type TrainProgress } from '../../train/trainer.js';
import { INITIAL_POOL, opKey, type CandidateOp, type Transformation } from './candidateOps.js';

export const EDGES = 3;
const EPSILON = 1e-3;
const MOMENTUM = 0.9;

/** One ReLU–SepConv–BN layer of a convolution candidate: depthwise [k, k, cin, 1], pointwise [1, 1, cin, cout], BN. */
export interface SepLayer {
  dw: Float32Array;
  pw: Float32Array;
  bn: Float32Array[];
}

export interface PoolEntry {
  op: CandidateOp;
  alpha: number;
  /** Per cell, the layers of the operation (empty for identity and pooling). */
  cells: SepLayer[][];
}

export interface SuperConfig {
  inputShape: number[];
  classes: number;
  /** Channels of each cell (the stem has the first). */
  widths: number[];
}

export interface SuperState {
  config: SuperConfig;
  stem: Float32Array[];
  /** Per cell after the first: the 1×1 convolution and its batch norm. */
  reductions: Float32Array[][];
  head: Float32Array[];
  pools: PoolEntry[][];
  /** Every operation key each pool has held (the thesis does not try a variation twice). */
  history: string[][];
}

const spec = (name: string, shape: number[]) => ({ name, shape, trainable: true });

function bnInit(c: number): Float32Array[] {
  return [new Float32Array(c).fill(1), new Float32Array(c), new Float32Array(c), new Float32Array(c).fill(1)];
}

/** Input channels of layer i of a convolution candidate at cell width c. */
function layerChannels(op: Extract<CandidateOp, { kind: 'sepConv' }>, c: number, i: number): { cin: number; cout: number } {
  return { cin: i === 0 ? c : c * op.widths[i - 1], cout: c * op.widths[i] };
}

export function initOpWeights(op: CandidateOp, c: number, rng: SeededRandom): SepLayer[] {
  if (op.kind !== 'sepConv') return [];
  return op.widths.map((_, i) => {
    const { cin, cout } = layerChannels(op, c, i);
    return { dw: initialValue(spec('depthwise_kernel', [op.k, op.k, cin, 1]), rng), pw: initialValue(spec('pointwise_kernel', [1, 1, cin, cout]), rng), bn: bnInit(cout) };
  });
}

/** Cells' sides after their reductions (2×2 pooling while the side is at least 4). */
function cellSides(config: SuperConfig): number[] {
  let side = Math.min(config.inputShape[0], config.inputShape[1]);
  return config.widths.map((_, k) => {
    if (k > 0 && side >= 4) side = Math.floor(side / 2);
    return side;
  });
}

export function initSuperState(config: SuperConfig, seed: number): SuperState {
  const rng = makeRandom(seed);
  const [c0] = config.widths;
  const cin = config.inputShape[2];
  return {
    config,
    stem: [initialValue(spec('kernel', [3, 3, cin, c0]), rng), ...bnInit(c0)],
    reductions: config.widths.slice(1).map((w, i) => [initialValue(spec('kernel', [1, 1, config.widths[i], w]), rng), ...bnInit(w)]),
    head: [initialValue(spec('kernel', [config.widths.at(-1)!, config.classes]), rng), new Float32Array(config.classes)],
    pools: Array.from({ length: EDGES }, () => INITIAL_POOL.map((op) => ({ op, alpha: 0, cells: config.widths.map((w) => initOpWeights(op, w, rng)) }))),
    history: Array.from({ length: EDGES }, () => INITIAL_POOL.map(opKey)),
  };
}

/** The kernel of size k with dilation d as its zero-interleaved expansion, [K, K, c, 1] with K = d(k − 1) + 1. */
function expandKernel(dw: tf.Tensor, k: number, d: number, c: number): tf.Tensor4D {
  if (d === 1) return dw as tf.Tensor4D;
  const big = d * (k - 1) + 1;
  const spaced = tf.pad(tf.reshape(dw, [k, 1, k, 1, c]), [[0, 0], [0, d - 1], [0, 0], [0, d - 1], [0, 0]]);
  return tf.reshape(tf.slice(tf.reshape(spaced, [k * d, k * d, c]), [0, 0, 0], [big, big, c]), [big, big, c, 1]) as tf.Tensor4D;
}

export function expandKernelValues(dw: Float32Array, k: number, d: number, c: number): Float32Array {
  if (d === 1) return dw;
  const big = d * (k - 1) + 1;
  const out = new Float32Array(big * big * c);
  for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) out.set(dw.subarray((y * k + x) * c, (y * k + x + 1) * c), (y * d * big + x * d) * c);
  return out;
}

interface BnVars {
  gamma: tf.Variable;
  beta: tf.Variable;
  mean: tf.Variable;
  variance: tf.Variable;
}

/** The super-network as TensorFlow.js variables, for one iteration's training. */
export class SuperNetwork {
  private readonly stem: { kernel: tf.Variable; bn: BnVars };
  private readonly reductions: Array<{ kernel: tf.Variable; bn: BnVars }>;
  private readonly head: { kernel: tf.Variable; bias: tf.Variable };
  private readonly ops: Array<Array<Array<Array<{ dw: tf.Variable; pw: tf.Variable; bn: BnVars }>>>>;
  readonly alphas: tf.Variable[];

  constructor(private readonly state: SuperState) {
    const bn = (a: Float32Array[]): BnVars => ({ gamma: tf.variable(tf.tensor1d(a[0])), beta: tf.variable(tf.tensor1d(a[1])), mean: tf.variable(tf.tensor1d(a[2]), false), variance: tf.variable(tf.tensor1d(a[3]), false) });
    const { config } = state;
    this.stem = { kernel: tf.variable(tf.tensor4d(state.stem[0], [3, 3, config.inputShape[2], config.widths[0]])), bn: bn(state.stem.slice(1)) };
    this.reductions = state.reductions.map((r, i) => ({ kernel: tf.variable(tf.tensor4d(r[0], [1, 1, config.widths[i], config.widths[i + 1]])), bn: bn(r.slice(1)) }));
    this.head = { kernel: tf.variable(tf.tensor2d(state.head[0], [config.widths.at(-1)!, config.classes])), bias: tf.variable(tf.tensor1d(state.head[1])) };
    this.ops = state.pools.map((pool) =>
      pool.map((entry) =>
        entry.cells.map((layers, k) =>
          layers.map((l, i) => {
            const op = entry.op as Extract<CandidateOp, { kind: 'sepConv' }>;
            const { cin, cout } = layerChannels(op, config.widths[k], i);
            return { dw: tf.variable(tf.tensor4d(l.dw, [op.k, op.k, cin, 1])), pw: tf.variable(tf.tensor4d(l.pw, [1, 1, cin, cout])), bn: bn(l.bn) };
          }),
        ),
      ),
    );
    this.alphas = state.pools.map((pool) => tf.variable(tf.tensor1d(pool.map((e) => e.alpha))));
  }

  /** The operation weights (θ): everything trainable but α. */
  weightVariables(): tf.Variable[] {
    const out: tf.Variable[] = [this.stem.kernel, this.stem.bn.gamma, this.stem.bn.beta, this.head.kernel, this.head.bias];
    for (const r of this.reductions) out.push(r.kernel, r.bn.gamma, r.bn.beta);
    for (const pool of this.ops) for (const entry of pool) for (const layers of entry) for (const l of layers) out.push(l.dw, l.pw, l.bn.gamma, l.bn.beta);
    return out;
  }

  decayedVariables(): tf.Variable[] {
    const out: tf.Variable[] = [this.stem.kernel, this.head.kernel, ...this.reductions.map((r) => r.kernel)];
    for (const pool of this.ops) for (const entry of pool) for (const layers of entry) for (const l of layers) out.push(l.dw, l.pw);
    return out;
  }

  private batchNorm(x: tf.Tensor, v: BnVars, training: boolean): tf.Tensor {
    if (!training) return batchNormInference(x, v.gamma, v.beta, v.mean, v.variance, EPSILON);
    const { y, mean, variance } = batchNormTraining(x, v.gamma, v.beta, EPSILON);
    tf.tidy(() => {
      v.mean.assign(tf.add(tf.mul(v.mean, MOMENTUM), tf.mul(mean, 1 - MOMENTUM)));
      v.variance.assign(tf.add(tf.mul(v.variance, MOMENTUM), tf.mul(variance, 1 - MOMENTUM)));
    });
    tf.dispose([mean, variance]);
    return y;
  }

  private op(x: tf.Tensor4D, edge: number, index: number, cell: number, training: boolean): tf.Tensor4D {
    const op = this.state.pools[edge][index].op;
    switch (op.kind) {
      case 'identity':
        return x;
      case 'maxPool':
        return tf.maxPool(x, 3, 1, 'same');
      case 'avgPool':
        return tf.avgPool(x, 3, 1, 'same');
      case 'sepConv': {
        let y: tf.Tensor4D = x;
        this.ops[edge][index][cell].forEach((l, i) => {
          const cin = i === 0 ? this.state.config.widths[cell] : this.state.config.widths[cell] * op.widths[i - 1];
          const d = tf.depthwiseConv2d(tf.relu(y), expandKernel(l.dw, op.k, op.d, cin), 1, 'same');
          y = this.batchNorm(tf.conv2d(d, l.pw as tf.Tensor4D, 1, 'valid'), l.bn, training) as tf.Tensor4D;
        });
        return y;
      }
    }
  }

  private mixed(x: tf.Tensor4D, edge: number, cell: number, training: boolean): tf.Tensor4D {
    const n = this.state.pools[edge].length;
    if (n === 1) return this.op(x, edge, 0, cell, training);
    const weights = tf.softmax(this.alphas[edge]);
    let sum: tf.Tensor4D | null = null;
    for (let i = 0; i < n; i++) {
      const term = tf.mul(this.op(x, edge, i, cell, training), tf.reshape(tf.slice(weights, [i], [1]), [])) as tf.Tensor4D;
      sum = sum ? (tf.add(sum, term) as tf.Tensor4D) : term;
    }
    return sum!;
  }

  /** Logits for a batch (call inside tf.tidy or variableGrads). */
  forward(x: tf.Tensor, training: boolean): tf.Tensor2D {
    let h = tf.relu(this.batchNorm(tf.conv2d(x as tf.Tensor4D, this.stem.kernel as tf.Tensor4D, 1, 'same'), this.stem.bn, training)) as tf.Tensor4D;
    let side = Math.min(this.state.config.inputShape[0], this.state.config.inputShape[1]);
    this.state.config.widths.forEach((_, k) => {
      if (k > 0) {
        if (side >= 4) {
          h = tf.maxPool(h, 2, 2, 'valid');
          side = Math.floor(side / 2);
        }
        const r = this.reductions[k - 1];
        h = tf.relu(this.batchNorm(tf.conv2d(h, r.kernel as tf.Tensor4D, 1, 'same'), r.bn, training)) as tf.Tensor4D;
      }
      const n1 = this.mixed(h, 0, k, training);
      h = tf.add(this.mixed(h, 1, k, training), this.mixed(n1, 2, k, training)) as tf.Tensor4D;
    });
    return tf.add(tf.matMul(globalAveragePool(h), this.head.kernel as tf.Tensor2D), this.head.bias) as tf.Tensor2D;
  }

  /** Writes the variables back into the state's arrays. */
  readBack(): void {
    const s = this.state;
    const bnValues = (v: BnVars) => [v.gamma, v.beta, v.mean, v.variance].map((t) => t.dataSync() as Float32Array);
    s.stem = [this.stem.kernel.dataSync() as Float32Array, ...bnValues(this.stem.bn)];
    s.reductions = this.reductions.map((r) => [r.kernel.dataSync() as Float32Array, ...bnValues(r.bn)]);
    s.head = [this.head.kernel.dataSync() as Float32Array, this.head.bias.dataSync() as Float32Array];
    s.pools.forEach((pool, e) => {
      const alpha = this.alphas[e].dataSync();
      pool.forEach((entry, i) => {
        entry.alpha = alpha[i];
        entry.cells = this.ops[e][i].map((layers) => layers.map((l) => ({ dw: l.dw.dataSync() as Float32Array, pw: l.pw.dataSync() as Float32Array, bn: bnValues(l.bn) })));
      });
    });
  }

  dispose(): void {
    const all: tf.Variable[] = [...this.weightVariables(), ...this.alphas, this.stem.bn.mean, this.stem.bn.variance, ...this.reductions.flatMap((r) => [r.bn.mean, r.bn.variance])];
    for (const pool of this.ops) for (const entry of pool) for (const layers of entry) for (const l of layers) all.push(l.bn.mean, l.bn.variance);
    tf.dispose(all);
  }
}

/** Float32 elements one sample keeps for the backward pass (every operation of every pool, every cell). */
export function superActivationElements(state: SuperState): number {
  const sides = cellSides(state.config);
  let total = 2 * state.config.inputShape[0] * state.config.inputShape[1] * state.config.widths[0];
  state.config.widths.forEach((c, k) => {
    const area = sides[k] * sides[k];
    total += 3 * area * c;
    for (const pool of state.pools) {
      for (const e of pool) total += area * c * (e.op.kind === 'sepConv' ? e.op.widths.reduce((a, w) => a + 4 * w, 0) : 1) + area * c;
    }
  });
  return total;
}

export function superWeightCount(state: SuperState): number {
  let n = state.stem.reduce((a, w) => a + w.length, 0) + state.head.reduce((a, w) => a + w.length, 0) + state.reductions.flat().reduce((a, w) => a + w.length, 0);
  for (const pool of state.pools) for (const e of pool) for (const layers of e.cells) for (const l of layers) n += l.dw.length + l.pw.length + 4 * l.bn[0].length;
  return n;
}

/**
 * The largest batch b_min + n·b_mult ≤ b_max whose training memory (activations and their gradients, four copies
 * of the weights) stays below 95% of the limit (thesis §4.3.4, from the memory model instead of measurements).
 */
export function fittingBatchSize(state: SuperState, memoryLimitBytes: number, bMin = 16, bMult = 8, bMax = 64): number {
  const perSample = 2 * 4 * superActivationElements(state);
  const fixed = 4 * 4 * superWeightCount(state);
  let b = bMin;
  while (b + bMult <= bMax && fixed + (b + bMult) * perSample <= 0.95 * memoryLimitBytes) b += bMult;
  return b;
}

export interface IterationOptions {
  train: TrainData;
  validation: TrainData;
  batchSize: number;
  /** Seconds of training (the cosine schedule runs over them), and at most `maxSteps` steps. */
  seconds: number;
  maxSteps?: number;
  /** Share of the iteration during which α stays fixed (the grace epochs). */
  grace: number;
  seed: number;
  /** performance.now() ms: stop there whatever the seconds. */
  deadline?: number;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  lrStart?: number;
  lrEnd?: number;
  alphaLr?: number;
}

/** One iteration of super-network training: SGD on θ (cosine over the iteration's time), Adam on α after the grace share. */
export async function trainIteration(state: SuperState, o: IterationOptions): Promise<{ steps: number; trainAccuracy: number }> {
  const net = new SuperNetwork(state);
  const rng = makeRandom(o.seed);
  const weights = net.weightVariables();
  const decayed = new Set(net.decayedVariables());
  const thetaOpt = sgd({ momentum: 0.9, nesterov: false, weightDecay: 3e-4 });
  const alphaOpt = adam({ beta1: 0.5, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-3 });
  const pick = (n: number) => Int32Array.from({ length: Math.min(o.batchSize, n) }, () => rng.int(n));
  const lossOf = (data: TrainData, idx: Int32Array, counter?: { correct: number }) => () => {
    const x = readBatch(data, idx);
    const y = tf.tensor1d(Int32Array.from(idx, (i) => data.y[i]), 'int32');
    const logits = net.forward(x, true);
    if (counter) counter.correct += tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32')).dataSync()[0];
    return tf.losses.softmaxCrossEntropy(tf.oneHot(y, data.numClasses), logits) as tf.Scalar;
  };
  const t0 = performance.now();
  const end = Math.min(o.deadline ?? Infinity, t0 + o.seconds * 1000);
  const maxSteps = o.maxSteps ?? Infinity;
  let step = 0;
  const counter = { correct: 0 };
  let seen = 0;
  try {
    for (; step < maxSteps; step++) {
      const now = performance.now();
      if (o.signal?.aborted || now >= end) break;
      const t = Number.isFinite(maxSteps) ? step / Math.max(1, maxSteps - 1) : (now - t0) / Math.max(1, end - t0);
      const lrStart = o.lrStart ?? 0.05;
      const lrEnd = o.lrEnd ?? 0.005;
      const lr = lrEnd + 0.5 * (lrStart - lrEnd) * (1 + Math.cos(Math.PI * Math.min(1, t)));
      const idx = pick(o.train.y.length);
      const g = tf.variableGrads(lossOf(o.train, idx, counter), weights);
      thetaOpt.apply(weights, g.grads, lr, decayed);
      tf.dispose([g.value, ...Object.values(g.grads)]);
      seen += idx.length;
      if (t >= o.grace && state.pools.some((p) => p.length > 1)) {
        const a = tf.variableGrads(lossOf(o.validation, pick(o.validation.y.length)), net.alphas);
        alphaOpt.apply(net.alphas, a.grads, o.alphaLr ?? 3e-3, new Set());
        tf.dispose([a.value, ...Object.values(a.grads)]);
      }
      const elapsed = (performance.now() - t0) / 1000;
      o.onProgress?.({ phase: 'train', epoch: 1, epochs: 1, batch: step + 1, batches: Number.isFinite(maxSteps) ? maxSteps : step + 1, loss: 0, learningRate: lr, samplesPerSec: seen / Math.max(elapsed, 1e-9), etaSeconds: Math.max(0, (end - performance.now()) / 1000) });
      await new Promise((r) => setImmediate(r));
    }
    net.readBack();
  } finally {
    thetaOpt.dispose();
    alphaOpt.dispose();
    net.dispose();
  }
  return { steps: step, trainAccuracy: seen ? counter.correct / seen : 0 };
}

/** Validation accuracy of the super-network (inference mode) on at most `limit` examples. */
export async function superAccuracy(state: SuperState, data: TrainData, limit = 1000): Promise<number> {
  const net = new SuperNetwork(state);
  const n = Math.min(limit, data.y.length);
  let correct = 0;
  try {
    for (let start = 0; start < n; start += 128) {
      const idx = Int32Array.from({ length: Math.min(128, n - start) }, (_, i) => start + i);
      correct += tf.tidy(() => {
        const logits = net.forward(readBatch(data, idx), false);
        return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(Int32Array.from(idx, (i) => data.y[i]), 'int32')), 'int32')).dataSync()[0];
      });
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    net.dispose();
  }
  return n ? correct / n : 0;
}

/** A child's weights in every cell from its parent's, by the transformation that made it (thesis §4.3.2). */
export function transformWeights(parent: PoolEntry, child: CandidateOp, t: Transformation, widths: number[], rng: SeededRandom, widenLayer?: number): SepLayer[][] {
  const p = parent.op as Extract<CandidateOp, { kind: 'sepConv' }>;
  const c2 = child as Extract<CandidateOp, { kind: 'sepConv' }>;
  return parent.cells.map((layers, k) => {
    const c = widths[k];
    switch (t) {
      case 'kernel+':
      case 'kernel-':
        return layers.map((l, i) => {
          const { cin } = layerChannels(p, c, i);
          const out = new Float32Array(c2.k * c2.k * cin);
          const off = (c2.k - p.k) / 2;
          for (let y = 0; y < c2.k; y++) {
            for (let x = 0; x < c2.k; x++) {
              const sy = y - off;
              const sx = x - off;
              if (sy < 0 || sx < 0 || sy >= p.k || sx >= p.k) continue;
              out.set(l.dw.subarray((sy * p.k + sx) * cin, (sy * p.k + sx + 1) * cin), (y * c2.k + x) * cin);
            }
          }
          return { dw: out, pw: l.pw.slice(), bn: l.bn.map((b) => b.slice()) };
        });
      case 'dilation+':
      case 'dilation-':
        return layers.map((l) => ({ dw: l.dw.slice(), pw: l.pw.slice(), bn: l.bn.map((b) => b.slice()) }));
      case 'widen': {
        const j = widenLayer!;
        const { cout } = layerChannels(p, c, j);
        const g = Int32Array.from({ length: c * c2.widths[j] }, (_, i) => (i < cout ? i : rng.int(cout)));
        const counts = copyCounts(g, cout);
        return layers.map((l, i) => {
          if (i === j) return { dw: l.dw.slice(), pw: remapLastAxis(l.pw, cout, g), bn: l.bn.map((b, q) => remapLastAxis(b, cout, g, () => [1, 0, 0, 1][q])) };
          if (i === j + 1) return { dw: remapLastAxis(l.dw, cout, g), pw: remapSecondLastAxis(l.pw, cout, layerChannels(p, c, i).cout, g, (q) => 1 / counts[g[q]]), bn: l.bn.map((b) => b.slice()) };
          return { dw: l.dw.slice(), pw: l.pw.slice(), bn: l.bn.map((b) => b.slice()) };
        });
      }
      case 'deepen': {
        const centre = Math.floor(p.k / 2) * p.k + Math.floor(p.k / 2);
        const dw = new Float32Array(p.k * p.k * c);
        for (let q = 0; q < c; q++) dw[centre * c + q] = 1;
        const pw = new Float32Array(c * c);
        for (let q = 0; q < c; q++) pw[q * c + q] = 1;
        const bn = [new Float32Array(c).fill(Math.sqrt(1 + EPSILON)), new Float32Array(c), new Float32Array(c), new Float32Array(c).fill(1)];
        return [...layers.map((l) => ({ dw: l.dw.slice(), pw: l.pw.slice(), bn: l.bn.map((b) => b.slice()) })), { dw, pw, bn }];
      }
    }
  });
}

/**
 * The discrete network: each edge keeps its operation of highest α; the weights of that operation, the stem, the
 * reductions and the classifier are the super-network's.
 */
export function deriveNetwork(state: SuperState): ModelState & { choice: CandidateOp[] } {
  const { config } = state;
  const choice = state.pools.map((pool) => pool.reduce((a, b) => (b.alpha > a.alpha ? b : a)));
  const layers: Layer[] = [];
  const weights = new Map<string, Float32Array[]>();
  const add = (l: Layer, w?: Float32Array[]) => {
    layers.push(l);
    if (w) weights.set(l.id, w);
    return l.id;
  };
  const bn = (id: string, input: string, w: Float32Array[]) => add({ id, type: 'batchNorm', params: { epsilon: EPSILON, momentum: MOMENTUM }, inputs: [input] }, w);
  const relu = (id: string, input: string) => add({ id, type: 'activation', params: { fn: 'relu' }, inputs: [input] });
  let h = add({ id: 'input', type: 'input', params: { shape: [...config.inputShape], dtype: 'float32' }, inputs: [] });
  h = add({ id: 'stem_conv', type: 'conv2d', params: { filters: config.widths[0], kernelSize: [3, 3], strides: [1, 1], padding: 'same', dilation: [1, 1], useBias: false, activation: 'linear' }, inputs: [h] }, [state.stem[0]]);
  h = relu('stem_relu', bn('stem_bn', h, state.stem.slice(1)));
  let side = Math.min(config.inputShape[0], config.inputShape[1]);
  const edgeOut = (entry: PoolEntry, e: number, k: number, input: string): string => {
    const op = entry.op;
    const base = `cell${k}_e${e}`;
    if (op.kind === 'identity') return input;
    if (op.kind === 'maxPool' || op.kind === 'avgPool') return add({ id: `${base}_pool`, type: op.kind === 'maxPool' ? 'maxPool2d' : 'avgPool2d', params: { poolSize: [3, 3], strides: [1, 1], padding: 'same' }, inputs: [input] });
    let x = input;
    entry.cells[k].forEach((l, i) => {
      const { cin, cout } = layerChannels(op, config.widths[k], i);
      const size = op.d * (op.k - 1) + 1;
      x = relu(`${base}_relu${i}`, x);
      x = add(
        { id: `${base}_sep${i}`, type: 'separableConv2d', params: { filters: cout, kernelSize: [size, size], strides: [1, 1], padding: 'same', dilation: [1, 1], depthMultiplier: 1, useBias: false, activation: 'linear' }, inputs: [x] },
        [expandKernelValues(l.dw, op.k, op.d, cin), l.pw],
      );
      x = bn(`${base}_bn${i}`, x, l.bn);
    });
    return x;
  };
  config.widths.forEach((w, k) => {
    if (k > 0) {
      if (side >= 4) {
        h = add({ id: `red${k}_pool`, type: 'maxPool2d', params: { poolSize: [2, 2], strides: [2, 2], padding: 'valid' }, inputs: [h] });
        side = Math.floor(side / 2);
      }
      const r = state.reductions[k - 1];
      h = add({ id: `red${k}_conv`, type: 'conv2d', params: { filters: w, kernelSize: [1, 1], strides: [1, 1], padding: 'same', dilation: [1, 1], useBias: false, activation: 'linear' }, inputs: [h] }, [r[0]]);
      h = relu(`red${k}_relu`, bn(`red${k}_bn`, h, r.slice(1)));
    }
    const n1 = edgeOut(choice[0], 0, k, h);
    h = add({ id: `cell${k}_add`, type: 'add', params: {}, inputs: [edgeOut(choice[1], 1, k, h), edgeOut(choice[2], 2, k, n1)] });
  });
  h = add({ id: 'head_pool', type: 'globalAvgPool', params: {}, inputs: [h] });
  const out = add({ id: 'classifier', type: 'dense', params: { units: config.classes, useBias: true, activation: 'softmax' }, inputs: [h] }, [state.head[0], state.head[1]]);
  const graph: Graph = { version: 1, layers, output: out };
  return { graph, weights, choice: choice.map((c) => c.op) };
}
