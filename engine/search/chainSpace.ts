/**
 * Hyperband++'s model representation (NeuNetS §4.1.3, Figs. 9–10): a plain chain of components, each a stack of
 * convolutions (kernel size, type, output channels) ending in pooling, optionally with skips inside a component
 * (skip chain); joined with the training hyper-parameters (optimiser, learning rate, momentum, weight decay) into
 * one configuration. Images get 2-D convolutions (plain or separable), text 1-D convolutions over an embedding,
 * tables a chain of dense layers.
 */
import { NetSproutError } from '../errors.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';
import type { SeededRandom } from '../train/seededRandom.js';
import type { TrainingSettings } from './strategyServices.js';

export interface ChainStack {
  type: 'conv' | 'separable' | 'dense';
  kernel: number;
  width: number;
}

export interface ChainComponent {
  stacks: ChainStack[];
  /** Residual adds between consecutive stacks of the component (skip chain). */
  skip: boolean;
}

export interface ChainConfig {
  components: ChainComponent[];
  /** Embedding width (text). */
  embedding?: number;
  /** Dropout before the classifier. */
  dropout: number;
  training: TrainingSettings;
}

const pick = <T>(rng: SeededRandom, xs: readonly T[]): T => xs[rng.int(xs.length)];
const logUniform = (rng: SeededRandom, lo: number, hi: number) => Number(Math.exp(Math.log(lo) + rng.next() * (Math.log(hi) - Math.log(lo))).toPrecision(3));

/** What the seed network says about the data: input shape, classes, vocabulary. */
export function seedFacts(seed: Graph): { shape: number[]; classes: number; vocabulary?: number; tokens: boolean } {
  const input = seed.layers.find((l) => l.type === 'input');
  const out = seed.layers.find((l) => l.id === seed.output);
  if (!input || input.type !== 'input' || !out || out.type !== 'dense') throw new NetSproutError('STRATEGY_SEED', 'The seed network has no input or dense classifier.', 'Use a preset seed network.');
  const embedding = seed.layers.find((l) => l.type === 'embedding');
  return { shape: input.params.shape, classes: out.params.units, vocabulary: embedding?.type === 'embedding' ? embedding.params.inputDim : undefined, tokens: input.params.dtype === 'int32' };
}

/** Training hyper-parameters drawn at random: SGD with Nesterov momentum (70%) or Adam, log-uniform rates and decay. */
export function sampleTraining(rng: SeededRandom): TrainingSettings {
  if (rng.next() < 0.7) return { optimizer: 'sgd', lrStart: logUniform(rng, 0.01, 0.2), lrEnd: 0, momentum: pick(rng, [0.8, 0.9, 0.95]), weightDecay: logUniform(rng, 1e-5, 1e-3) };
  return { optimizer: 'adam', lrStart: logUniform(rng, 3e-4, 3e-3), lrEnd: 0, weightDecay: logUniform(rng, 1e-6, 1e-4) };
}

/** A random configuration of the chain space for the data the seed network was made for. */
export function sampleChain(seed: Graph, rng: SeededRandom): ChainConfig {
  const facts = seedFacts(seed);
  const training = sampleTraining(rng);
  const dropout = pick(rng, [0, 0, 0.1, 0.25]);
  if (facts.shape.length === 3) {
    const maxComponents = Math.max(1, Math.min(3, Math.floor(Math.log2(Math.min(facts.shape[0], facts.shape[1]))) - 1));
    const components: ChainComponent[] = [];
    let width = pick(rng, [16, 24, 32]);
    for (let c = 0, n = 1 + rng.int(maxComponents); c < n; c++) {
      const stacks: ChainStack[] = [];
      for (let s = 0, m = 1 + rng.int(3); s < m; s++) stacks.push({ type: rng.next() < 0.3 ? 'separable' : 'conv', kernel: pick(rng, [3, 3, 5]), width });
      components.push({ stacks, skip: stacks.length > 1 && rng.next() < 0.4 });
      width = Math.min(128, width * 2);
    }
    return { components, dropout, training };
  }
  if (facts.tokens) {
    const components: ChainComponent[] = [];
    for (let c = 0, n = 1 + rng.int(2); c < n; c++) {
      const width = pick(rng, [32, 64, 96, 128]);
      const stacks: ChainStack[] = [];
      for (let s = 0, m = 1 + rng.int(2); s < m; s++) stacks.push({ type: 'conv', kernel: pick(rng, [3, 5, 7]), width });
      components.push({ stacks, skip: stacks.length > 1 && rng.next() < 0.4 });
    }
    return { components, embedding: pick(rng, [32, 64]), dropout, training };
  }
  const stacks: ChainStack[] = [];
  for (let s = 0, m = 1 + rng.int(3); s < m; s++) stacks.push({ type: 'dense', kernel: 1, width: pick(rng, [32, 64, 128, 256]) });
  return { components: [{ stacks, skip: false }], dropout, training };
}

/** The network of a configuration: every stack is convolution (or dense) → batch norm → ReLU. */
export function chainGraph(seed: Graph, config: ChainConfig): Graph {
  const facts = seedFacts(seed);
  const b = new GraphBuilder();
  let x: string;
  if (facts.shape.length === 3) {
    x = b.input(facts.shape);
    let side = Math.min(facts.shape[0], facts.shape[1]);
    config.components.forEach((component, c) => {
      let previous: string | null = null;
      for (const stack of component.stacks) {
        const conv = stack.type === 'separable' ? b.separableConv2d(x, stack.width, stack.kernel, { useBias: false }) : b.conv2d(x, stack.width, stack.kernel, { useBias: false });
        let y = b.batchNorm(conv);
        if (component.skip && previous) y = b.addLayers([y, previous]);
        x = b.activation(y, 'relu');
        previous = x;
      }
      if (c < config.components.length - 1 && side >= 4) {
        x = b.maxPool2d(x);
        side = Math.floor(side / 2);
      }
    });
    x = b.globalAvgPool(x);
  } else if (facts.tokens) {
    x = b.input(facts.shape, 'int32', 'tokens');
    x = b.embedding(x, facts.vocabulary ?? 10000, config.embedding ?? 64);
    let length = facts.shape[0];
    config.components.forEach((component, c) => {
      let previous: string | null = null;
      for (const stack of component.stacks) {
        let y = b.batchNorm(b.conv1d(x, stack.width, stack.kernel, { useBias: false }));
        if (component.skip && previous) y = b.addLayers([y, previous]);
        x = b.activation(y, 'relu');
        previous = x;
      }
      if (c < config.components.length - 1 && length >= 8) {
        x = b.maxPool1d(x);
        length = Math.floor(length / 2);
      }
    });
    x = b.globalMaxPool(x);
  } else {
    x = b.input(facts.shape);
    if (facts.shape.length > 1) x = b.flatten(x);
    for (const stack of config.components[0].stacks) x = b.activation(b.batchNorm(b.dense(x, stack.width)), 'relu');
  }
  if (config.dropout > 0) x = b.dropout(x, config.dropout);
  return b.build(b.dense(x, facts.classes, 'softmax'));
}
