import { initBackend } from '../engine/backend/ladder.js';
import { prepareData } from '../engine/data/prepareData.js';
import { loadCheckpoint } from '../engine/train/checkpoint.js';
import { applyRecord } from '../engine/morph/morphCatalogue.js';
import { GraphModel } from '../engine/train/graphModel.js';
import { train, evaluate } from '../engine/train/trainer.js';
import { makeRandom } from '../engine/train/seededRandom.js';
import { readFileSync } from 'node:fs';
const job = '/tmp/netsprout-bench-search-3Zi735/random-900s';
await initBackend();
const data = await prepareData('/usr/share/datasets/fashion-mnist', { seed: 0 });
const c0 = await loadCheckpoint(job + '/candidates/c0');
const events = readFileSync(job + '/journal.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const variant = process.argv[2] ?? 'base';
for (const id of (process.argv[3] ?? 'r5,r7').split(',')) {
  const e = events.find((x) => x.type === 'candidate' && x.id === id);
  let st: any = { graph: c0.graph, weights: c0.weights };
  const rng = makeRandom(1);
  for (const m of e.morphs) st = applyRecord(st, m, rng);
  const model = GraphModel.withWeights(st.graph, st.weights, 0);
  const inh = (await evaluate(model, data.validation)).accuracy;
  const [lr, wu] = variant.split(':').map(Number); const extra: any = { lrStart: lr, warmupSteps: wu };
  const t = performance.now();
  const r = await train(model, data.train, { epochs: 1, batchSize: 64, optimizer: 'sgd', lrStart: 0.05, lrEnd: 0, seed: 0, ...extra });
  const acc = (await evaluate(model, data.validation)).accuracy;
  console.log(variant, id, e.morphs.map((m: any) => m.op).join('+'), 'inherited', inh.toFixed(4), 'after', acc.toFixed(4), 'journal', e.accuracy.toFixed(4), ((performance.now() - t) / 1000).toFixed(1) + 's', r.epochs.map((x) => x.trainLoss.toFixed(3)));
  model.dispose();
}
