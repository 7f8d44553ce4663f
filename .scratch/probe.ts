import { initBackend } from '../engine/backend/ladder.js';
import { prepareData } from '../engine/data/prepareData.js';
import { presetGraph } from '../engine/graph/presets.js';
import { GraphModel } from '../engine/train/graphModel.js';
import { train } from '../engine/train/trainer.js';
import { graphMetrics } from '../engine/graph/metrics.js';
await initBackend();
const data = await prepareData('/usr/share/datasets/fashion-mnist', { seed: 0 });
const g = presetGraph('small-cnn', data.inputShape, 10, {});
for (let k = 0; k < 3; k++) {
  const probe = GraphModel.create(g, 0);
  await train(probe, data.train, { epochs: 1, batchSize: 64, optimizer: 'sgd', lrStart: 0, lrEnd: 0, maxBatchesPerEpoch: 3, seed: 0 });
  const r = await train(probe, data.train, { epochs: 1, batchSize: 64, optimizer: 'sgd', lrStart: 0, lrEnd: 0, maxBatchesPerEpoch: 100, deadline: performance.now() + 2000, seed: 0 });
  const full = await train(probe, data.train, { epochs: 1, batchSize: 64, optimizer: 'sgd', lrStart: 0.05, lrEnd: 0, seed: 0 });
  console.log('probe epoch estimate', (r.seconds / r.samplesSeen * data.train.y.length).toFixed(2), 's; samples', r.samplesSeen, '; real epoch', full.seconds.toFixed(2), 's');
  probe.dispose();
}
