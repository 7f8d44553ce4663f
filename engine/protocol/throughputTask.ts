/**
 * throughput: how fast the seed network trains here, measured as a search job measures it before planning
 * (engine/search/searchJob.ts: the same seed network, a few batches of 64 at learning rate 0), so that the Budget
 * step's estimates and the job's own plan agree.
 */
import { initBackend } from '../backend/ladder.js';
import { disposePrepared, prepareData } from '../data/prepareData.js';
import { DEFAULT_PRESET, presetGraph } from '../graph/presets.js';
import { GraphModel } from '../train/graphModel.js';
import { train } from '../train/trainer.js';
import type { TaskHandler } from './taskContext.js';

const BATCH = 64;
const PROBE_BATCHES = 4;

export const throughputTask: TaskHandler<'throughput'> = async (task) => {
  const backend = await initBackend();
  const data = await prepareData(task.path, { kind: task.kind, target: task.target, seed: 0 });
  try {
    // The seed network of a search job (runJob): the small CNN for images, the preset of the kind otherwise.
    const preset = DEFAULT_PRESET[data.kind] === 'reference-cnn' ? 'small-cnn' : DEFAULT_PRESET[data.kind];
    const graph = presetGraph(preset, data.inputShape, data.classes.length, { vocabularySize: data.vocabularySize });
    const model = GraphModel.create(graph, 0);
    try {
      const r = await train(model, data.train, { epochs: 1, batchSize: BATCH, optimizer: 'sgd', lrStart: 0, lrEnd: 0, maxBatchesPerEpoch: PROBE_BATCHES, seed: 0 });
      const samplesPerSecond = r.samplesSeen / Math.max(1e-6, r.seconds);
      const trainExamples = data.train.y.length;
      return { backend: backend.chosen, threads: backend.threads, trainExamples, samplesPerSecond, epochSeconds: trainExamples / samplesPerSecond };
    } finally {
      model.dispose();
    }
  } finally {
    disposePrepared(data);
  }
};
