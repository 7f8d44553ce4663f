/**
 * EAS's meta-controller (Cai et al. 2018, Figs. 1–3), in TensorFlow.js: an embedding (16) of the layer tokens and
 * a one-layer bidirectional LSTM (50 units each way) encode the architecture; the Net2Wider actor is one sigmoid
 * classifier shared by every layer's hidden state (widen it or not); the Net2Deeper actor is an LSTM whose state
 * starts from the encoder's final state and chooses, one softmax after the other, the block, the position in the
 * block and (for a convolution) the kernel size. Trained with REINFORCE on the reward tan(acc·π/2) of the
 * transformed networks, less a baseline (an exponential moving average of past rewards, decay 0.95), with Adam.
 * Every weight comes from a seeded generator, so a controller replays exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adam, type Optimizer } from '../../train/optimizers.js';
import { makeRandom, type SeededRandom } from '../../train/seededRandom.js';
import { DEEPER_KERNELS, MAX_BLOCKS, MAX_INDEX, VOCABULARY } from './easSpace.js';

const EMBED = 16;
const UNITS = 50;
const HIDDEN = 2 * UNITS;

export interface WiderStep {
  type: 'wider';
  tokens: number[];
  /** Layers that can be widened. */
  mask: boolean[];
  decisions: boolean[];
}

export interface DeeperStep {
  type: 'deeper';
  tokens: number[];
  /** Insertion points per block (0: no such block). */
  blockSizes: number[];
  /** Whether each block is dense (no kernel choice). */
  blockDense: boolean[];
  block: number;
  index: number;
  /** Index into DEEPER_KERNELS (ignored for dense blocks). */
  kernel: number;
}

export type ControllerStep = WiderStep | DeeperStep;

/** The paper's reward shaping: the gain from 90% to 91% counts far more than from 60% to 61%. */
export function shapedReward(accuracy: number): number {
  return Math.tan(Math.min(Math.max(accuracy, 0), 0.995) * (Math.PI / 2));
}

function glorot(rng: SeededRandom, shape: number[]): tf.Variable {
  const fanIn = shape.length > 1 ? shape[0] : 1;
  const fanOut = shape[shape.length - 1];
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.variable(tf.tensor(Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * limit), shape));
}

const zeros = (shape: number[]) => tf.variable(tf.zeros(shape));

function maskedLogSoftmax(logits: tf.Tensor1D, mask: boolean[]): tf.Tensor1D {
  const penalty = tf.tensor1d(mask.map((m) => (m ? 0 : -1e9)));
  return tf.logSoftmax(tf.add(logits, penalty)) as tf.Tensor1D;
}

export class MetaController {
  private readonly v: Record<string, tf.Variable>;
  private optimizer: Optimizer;
  /** Exponential moving average of the rewards seen (null before the first update). */
  baseline: number | null = null;
  updates = 0;

  constructor(seed: number, readonly learningRate = 2e-3) {
    const rng = makeRandom(seed);
    this.v = {
      embedding: glorot(rng, [VOCABULARY, EMBED]),
      fwdKernel: glorot(rng, [EMBED + UNITS, 4 * UNITS]),
      fwdBias: zeros([4 * UNITS]),
      bwdKernel: glorot(rng, [EMBED + UNITS, 4 * UNITS]),
      bwdBias: zeros([4 * UNITS]),
      widerW: glorot(rng, [HIDDEN, 1]),
      widerB: zeros([1]),
      deeperKernel: glorot(rng, [EMBED + HIDDEN, 4 * HIDDEN]),
      deeperBias: zeros([4 * HIDDEN]),
      deeperStart: glorot(rng, [1, EMBED]),
      blockEmbedding: glorot(rng, [MAX_BLOCKS, EMBED]),
      indexEmbedding: glorot(rng, [MAX_INDEX, EMBED]),
      blockHead: glorot(rng, [HIDDEN, MAX_BLOCKS]),
      indexHead: glorot(rng, [HIDDEN, MAX_INDEX]),
      kernelHead: glorot(rng, [HIDDEN, DEEPER_KERNELS.length]),
    };
    this.optimizer = adam({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  }

  /** The bidirectional encoder: per-token hidden states [L, 100] and the final state [1, 100]. */
  private encode(tokens: number[]): { states: tf.Tensor2D; final: tf.Tensor2D } {
    const x = tf.gather(this.v.embedding, tf.tensor1d(tokens, 'int32')) as tf.Tensor2D;
    const rows = tf.split(x, tokens.length, 0) as tf.Tensor2D[];
    const run = (kernel: tf.Variable, bias: tf.Variable, order: number[]) => {
      let c = tf.zeros([1, UNITS]) as tf.Tensor2D;
      let h = tf.zeros([1, UNITS]) as tf.Tensor2D;
      const out: tf.Tensor2D[] = new Array(tokens.length);
      for (const t of order) {
        [c, h] = tf.basicLSTMCell(1, kernel as tf.Tensor2D, bias as tf.Tensor1D, rows[t], c, h);
        out[t] = h;
      }
      return { out, last: h };
    };
    const indices = tokens.map((_, i) => i);
    const fwd = run(this.v.fwdKernel, this.v.fwdBias, indices);
    const bwd = run(this.v.bwdKernel, this.v.bwdBias, [...indices].reverse());
    const states = tf.concat(indices.map((t) => tf.concat([fwd.out[t], bwd.out[t]], 1)), 0) as tf.Tensor2D;
    return { states, final: tf.concat([fwd.last, bwd.last], 1) as tf.Tensor2D };
  }

  /** Probability that each token's layer is widened. */
  private widerProbabilities(tokens: number[]): tf.Tensor1D {
    const { states } = this.encode(tokens);
    return tf.reshape(tf.sigmoid(tf.add(tf.matMul(states, this.v.widerW), this.v.widerB)), [tokens.length]) as tf.Tensor1D;
  }

  /** Log-probabilities of the deeper actor's three choices, the earlier ones given (teacher forcing). */
  private deeperLogProbs(step: Pick<DeeperStep, 'tokens' | 'blockSizes' | 'blockDense'>, block: number, index: number): { block: tf.Tensor1D; index: tf.Tensor1D; kernel: tf.Tensor1D } {
    const { final } = this.encode(step.tokens);
    let c = tf.zeros([1, HIDDEN]) as tf.Tensor2D;
    let h = final;
    const cell = (input: tf.Tensor2D) => {
      [c, h] = tf.basicLSTMCell(1, this.v.deeperKernel as tf.Tensor2D, this.v.deeperBias as tf.Tensor1D, input, c, h);
      return h;
    };
    const head = (w: tf.Variable) => tf.reshape(tf.matMul(h, w), [-1]) as tf.Tensor1D;
    cell(this.v.deeperStart as unknown as tf.Tensor2D);
    const blockLp = maskedLogSoftmax(head(this.v.blockHead), step.blockSizes.map((n) => n > 0));
    cell(tf.gather(this.v.blockEmbedding, [block]) as tf.Tensor2D);
    const indexLp = maskedLogSoftmax(head(this.v.indexHead), Array.from({ length: MAX_INDEX }, (_, i) => i < (step.blockSizes[block] ?? 0)));
    cell(tf.gather(this.v.indexEmbedding, [index]) as tf.Tensor2D);
    const kernelLp = maskedLogSoftmax(head(this.v.kernelHead), DEEPER_KERNELS.map(() => true));
    return { block: blockLp, index: indexLp, kernel: kernelLp };
  }

  /** Samples the Net2Wider decisions for an architecture (Bernoulli per widenable layer). */
  sampleWider(tokens: number[], mask: boolean[], rng: SeededRandom): WiderStep {
    const p = tf.tidy(() => this.widerProbabilities(tokens).dataSync() as Float32Array);
    return { type: 'wider', tokens, mask, decisions: mask.map((m, i) => m && rng.next() < p[i]) };
  }

  /** Samples a Net2Deeper action: block, position in the block, kernel size, one after the other. */
  sampleDeeper(tokens: number[], blockSizes: number[], blockDense: boolean[], rng: SeededRandom): DeeperStep {
    const draw = (lp: Float32Array) => {
      let u = rng.next();
      for (let i = 0; i < lp.length; i++) {
        u -= Math.exp(lp[i]);
        if (u <= 0) return i;
      }
      let best = 0;
      for (let i = 1; i < lp.length; i++) if (lp[i] > lp[best]) best = i;
      return best;
    };
    const sizes = Array.from({ length: MAX_BLOCKS }, (_, i) => blockSizes[i] ?? 0);
    const dense = Array.from({ length: MAX_BLOCKS }, (_, i) => blockDense[i] ?? false);
    const step = { tokens, blockSizes: sizes, blockDense: dense };
    const block = draw(tf.tidy(() => this.deeperLogProbs(step, 0, 0).block.dataSync() as Float32Array));
    const index = draw(tf.tidy(() => this.deeperLogProbs(step, block, 0).index.dataSync() as Float32Array));
    const kernel = dense[block] ? 0 : draw(tf.tidy(() => this.deeperLogProbs(step, block, index).kernel.dataSync() as Float32Array));
    return { type: 'deeper', ...step, block, index, kernel };
  }

  /** log π(step): the sum over the step's decisions. */
  private logProb(step: ControllerStep): tf.Scalar {
    if (step.type === 'wider') {
      const p = tf.clipByValue(this.widerProbabilities(step.tokens), 1e-6, 1 - 1e-6);
      const d = tf.tensor1d(step.decisions.map((x) => (x ? 1 : 0)));
      const m = tf.tensor1d(step.mask.map((x) => (x ? 1 : 0)));
      const ll = tf.add(tf.mul(d, tf.log(p)), tf.mul(tf.sub(1, d), tf.log(tf.sub(1, p))));
      return tf.sum(tf.mul(ll, m));
    }
    const lp = this.deeperLogProbs(step, step.block, step.index);
    let total = tf.add(tf.gather(lp.block, step.block), tf.gather(lp.index, step.index));
    if (!step.blockDense[step.block]) total = tf.add(total, tf.gather(lp.kernel, step.kernel));
    return tf.reshape(total, []) as tf.Scalar;
  }

  /** The wider actor's probability of widening each token's layer. */
  widenProbabilities(tokens: number[]): number[] {
    return tf.tidy(() => Array.from(this.widerProbabilities(tokens).dataSync()));
  }

  /** Probability the controller gives a step's decisions now (for tests and the journal). */
  probability(step: ControllerStep): number {
    return tf.tidy(() => Math.exp(this.logProb(step).dataSync()[0]));
  }

  /**
   * One REINFORCE update from a batch of episodes (each its steps and the validation accuracy its network reached):
   * advantage = tan(acc·π/2) − baseline, loss = −mean(advantage · Σ log π(step)). The baseline is the moving
   * average of earlier rewards (the batch mean on the first update), then moves toward this batch's mean by 5%.
   */
  update(episodes: Array<{ steps: ControllerStep[]; accuracy: number }>): { baseline: number; meanReward: number } {
    const rewards = episodes.map((e) => shapedReward(e.accuracy));
    const mean = rewards.reduce((a, b) => a + b, 0) / Math.max(1, rewards.length);
    const baseline = this.baseline ?? mean;
    const advantages = rewards.map((r) => r - baseline);
    const vars = Object.values(this.v);
    if (episodes.length && advantages.some((a) => a !== 0)) {
      const { grads, value } = tf.variableGrads(() => {
        let loss = tf.scalar(0);
        episodes.forEach((e, i) => {
          if (!advantages[i]) return;
          for (const s of e.steps) loss = tf.sub(loss, tf.mul(this.logProb(s), advantages[i]));
        });
        return tf.div(loss, episodes.length) as tf.Scalar;
      }, vars);
      this.optimizer.apply(vars, grads, this.learningRate, new Set());
      tf.dispose([value, ...Object.values(grads)]);
    }
    this.baseline = 0.95 * baseline + 0.05 * mean;
    this.updates++;
    return { baseline: this.baseline, meanReward: mean };
  }

  /** The controller's weights and baseline, for the job folder. */
  toJSON(): { updates: number; baseline: number | null; weights: Record<string, { shape: number[]; values: number[] }> } {
    return {
      updates: this.updates,
      baseline: this.baseline,
      weights: Object.fromEntries(Object.entries(this.v).map(([k, t]) => [k, { shape: t.shape, values: Array.from(t.dataSync()) }])),
    };
  }

  dispose(): void {
    for (const t of Object.values(this.v)) t.dispose();
    this.optimizer.dispose();
  }
}
