import { GraphBuilder } from '../../engine/graph/builder.js';
import type { Graph } from '../../engine/graph/types.js';
import { makeRandom } from '../../engine/train/seededRandom.js';

/** Random small image networks: conv/sepconv blocks of random widths, optional pooling, add/concat skips. */
export function randomImageGraph(seed: number): Graph {
  const rng = makeRandom(seed);
  const b = new GraphBuilder();
  let x = b.input([12, 12, 3]);
  const blocks = 1 + rng.int(4);
  let size = 12;
  for (let i = 0; i < blocks; i++) {
    const width = [4, 8, 12, 16][rng.int(4)];
    const before = x;
    x = rng.next() < 0.3 ? b.separableConv2d(x, width, 3) : b.conv2d(x, width, rng.next() < 0.3 ? 5 : 3);
    x = b.activation(b.batchNorm(x), 'relu');
    const kind = rng.next();
    if (kind < 0.25) {
      x = b.concat([x, before]);
    } else if (kind < 0.5) {
      const proj = b.conv2d(before, width, 1);
      x = b.addLayers([x, proj]);
    }
    if (rng.next() < 0.4 && size >= 4) {
      x = b.maxPool2d(x);
      size /= 2;
    }
  }
  x = b.globalAvgPool(x);
  if (rng.next() < 0.5) x = b.activation(b.dense(x, [8, 16, 32][rng.int(3)]), 'relu');
  return b.build(b.dense(x, 3, 'softmax'));
}

/** An image net with BN, pooling, a separable conv, an add skip, a depthwise conv and a flatten→dense head. */
export function branchyImageNet(side = 12): Graph {
  const b = new GraphBuilder();
  let x = b.input([side, side, 3]);
  x = b.convBnRelu(x, 6);
  const a = x;
  x = b.activation(b.batchNorm(b.separableConv2d(x, 6, 3, { useBias: false })), 'relu');
  x = b.addLayers([x, a]);
  x = b.maxPool2d(b.activation(x, 'relu'));
  x = b.convBnRelu(x, 8);
  x = b.depthwiseConv2d(x, 3, { depthMultiplier: 2 });
  x = b.activation(x, 'relu');
  x = b.flatten(b.avgPool2d(x, 2));
  x = b.activation(b.dense(x, 10), 'relu');
  return b.build(b.dense(x, 4, 'softmax'));
}
