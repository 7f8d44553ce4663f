import { NetSproutError } from '../errors.js';
import { GraphBuilder } from './builder.js';
import type { Graph } from './types.js';

/**
 * The reference CNN of the training benchmark: three Conv-BN-ReLU blocks with pooling, global average pooling and
 * a dense classifier; about 94K parameters for 28×28×1 inputs and 10 classes.
 */
export function referenceCnn(inputShape: number[] = [28, 28, 1], classes = 10): Graph {
  const b = new GraphBuilder();
  let x = b.input(inputShape);
  x = b.maxPool2d(b.convBnRelu(x, 32));
  x = b.maxPool2d(b.convBnRelu(x, 64));
  x = b.convBnRelu(x, 128);
  x = b.globalAvgPool(x);
  return b.build(b.dense(x, classes, 'softmax'));
}

/** A small Conv-BN-ReLU seed network for images (the start of a search). */
export function smallCnn(inputShape: number[] = [28, 28, 1], classes = 10): Graph {
  const b = new GraphBuilder();
  let x = b.input(inputShape);
  x = b.maxPool2d(b.convBnRelu(x, 16));
  x = b.maxPool2d(b.convBnRelu(x, 32));
  x = b.globalAvgPool(x);
  return b.build(b.dense(x, classes, 'softmax'));
}

/** A multilayer perceptron for flat inputs. */
export function mlp(inputShape: number[] = [784], classes = 10, hidden = [128, 64]): Graph {
  const b = new GraphBuilder();
  let x = b.input(inputShape);
  if (inputShape.length > 1) x = b.flatten(x);
  for (const units of hidden) x = b.activation(b.batchNorm(b.dense(x, units)), 'relu');
  return b.build(b.dense(x, classes, 'softmax'));
}

/** Text: embedding → conv1d → global max pooling → dense. */
export function textCnn(sequenceLength = 100, vocabulary = 10000, classes = 2): Graph {
  const b = new GraphBuilder();
  let x = b.input([sequenceLength], 'int32', 'tokens');
  x = b.embedding(x, vocabulary, 64);
  x = b.activation(b.conv1d(x, 64, 5), 'relu');
  x = b.globalMaxPool(x);
  return b.build(b.dense(x, classes, 'softmax'));
}

export interface PresetContext {
  /** Token ids run from 0 to vocabularySize − 1 (text). */
  vocabularySize?: number;
}

export const PRESETS: Record<string, (inputShape: number[], classes: number, ctx: PresetContext) => Graph> = {
  'reference-cnn': (shape, classes) => referenceCnn(shape, classes),
  'small-cnn': (shape, classes) => smallCnn(shape, classes),
  mlp: (shape, classes) => mlp(shape, classes),
  'text-cnn': (shape, classes, ctx) => textCnn(shape[0], ctx.vocabularySize ?? 10000, classes),
};

/** The preset `auto` picks per kind of data. */
export const DEFAULT_PRESET: Record<'images' | 'idx' | 'table' | 'text', string> = { images: 'reference-cnn', idx: 'reference-cnn', table: 'mlp', text: 'text-cnn' };

export function presetGraph(name: string, inputShape: number[], classes: number, ctx: PresetContext = {}): Graph {
  const make = PRESETS[name];
  if (!make) {
    throw new NetSproutError(
      'ARCH_UNKNOWN_PRESET',
      `"${name}" is neither an architecture file nor a preset.`,
      `Give a path to a graph.json file or one of: auto, ${Object.keys(PRESETS).join(', ')}.`,
    );
  }
  return make(inputShape, classes, ctx);
}
