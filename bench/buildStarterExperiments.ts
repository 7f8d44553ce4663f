/**
 * npm run build:starter-experiments [-- --budget 75s] [-- --runs fashion:hill:0,sample:random:1,...] [-- --sample fashion:40,sample:40] [-- --append] [-- --from FOLDER]
 *
 * Builds the starter experiment database shipped in assets/tapas/starter-experiments.jsonl: short search jobs on
 * public data — Fashion-MNIST (Debian's dataset-fashion-mnist, a 6,000-image subset) and the bundled sample — with
 * several strategies and seeds, each recording every network it trains (architecture encoding, dataset difficulty,
 * epochs, accuracy; no data). Then prints how well the accuracy predictor ranks the networks of each job when
 * fitted on the others (leave one job out). Each run takes its budget; run it in parts with --runs and --append.
 * --sample also trains that many networks drawn from the Hyperband++ chain space (random architecture and training
 * hyper-parameters, 1 or 2 epochs, on 1,500 training examples; --sample-limit), as TAPAS initialises its database, recorded in
 * groups of ten as pseudo-jobs; --runs none skips the search jobs. --from FOLDER adds the experiments that other runs
 * recorded — one experiment database, or a folder of them, such as bench/tmp/strategies-experiments, where
 * `npm run bench:strategies` keeps each run's (Fashion-MNIST and SpamAssassin jobs at full size); records already
 * in the starter database are not added twice.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBudget } from '../engine/search/budget.js';
import { createJob, runJob, type StrategyName } from '../engine/search/searchJob.js';
import { randomUUID } from 'node:crypto';
import { initBackend } from '../engine/backend/ladder.js';
import { disposePrepared, prepareData } from '../engine/data/prepareData.js';
import { presetGraph } from '../engine/graph/presets.js';
import { chainGraph, sampleChain } from '../engine/search/chainSpace.js';
import { leaveOneJobOut } from '../engine/tapas/accuracyPredictor.js';
import { encodeArchitecture } from '../engine/tapas/architectureEncoding.js';
import { datasetFingerprint, measureDifficulty } from '../engine/tapas/datasetDifficulty.js';
import { readExperiments, STARTER_EXPERIMENTS, type ExperimentRecord } from '../engine/tapas/experimentDb.js';
import { experimentKind } from '../engine/tapas/jobTapas.js';
import { GraphModel } from '../engine/train/graphModel.js';
import { makeRandom } from '../engine/train/seededRandom.js';
import { evaluate, train } from '../engine/train/trainer.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const budget = parseBudget(opt('--budget', '75s'));
const DATASETS: Record<string, { data: string; limit?: number }> = {
  fashion: { data: '/usr/share/datasets/fashion-mnist', limit: 6000 },
  sample: { data: path.resolve('assets/sample/fashion-mnist') },
};
const runs = (opt('--runs', '') === 'none' ? '' : opt('--runs', 'fashion:hill:0,fashion:random:1,fashion:hyperband:2,fashion:ncevolve:3,sample:hill:4,sample:random:5,sample:eas:6,sample:hyperband:7'))
  .split(',')
  .filter((r) => r)
  .map((r) => {
    const [dataset, strategy, seed] = r.split(':');
    return { dataset, strategy: strategy as StrategyName, seed: Number(seed) };
  });

const previous: ExperimentRecord[] = args.includes('--append') && existsSync(STARTER_EXPERIMENTS) ? readFileSync(STARTER_EXPERIMENTS, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)) : [];
const fromRoot = opt('--from', '');
const fromDbs = !fromRoot ? [] : existsSync(path.join(fromRoot, 'experiments.jsonl')) ? [fromRoot] : readdirSync(fromRoot).map((n) => path.join(fromRoot, n));
const fromRecords = fromDbs.flatMap((dir) => readExperiments({ dir, starter: false }));
if (fromRoot) process.stdout.write(`${fromRecords.length} experiments from ${new Set(fromRecords.map((r) => r.job)).size} jobs in ${fromRoot}\n`);
const collected: ExperimentRecord[] = [...new Map([...previous, ...fromRecords].map((r) => [JSON.stringify(r), r])).values()];
for (const run of runs) {
  const d = DATASETS[run.dataset];
  if (!d || !existsSync(d.data)) {
    process.stdout.write(`skipping ${run.dataset}: ${d ? `${d.data} is missing (Fashion-MNIST: install Debian's dataset-fashion-mnist)` : 'unknown dataset'}\n`);
    continue;
  }
  // Each run records into its own fresh database, so that only its experiments are collected (and no job sees another's).
  const lde = mkdtempSync(path.join(os.tmpdir(), 'netsprout-starter-lde-'));
  process.env.NETSPROUT_EXPERIMENTS_DIR = lde;
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'netsprout-starter-')), 'job');
  await createJob(dir, { data: d.data, limit: d.limit, budgetSeconds: budget, seed: run.seed, strategy: run.strategy });
  const s = await runJob(dir);
  const records = readExperiments({ dir: lde, starter: false });
  collected.push(...records);
  process.stdout.write(`${run.dataset} ${run.strategy} seed ${run.seed}: ${records.length} networks, best test accuracy ${((s.testAccuracy ?? 0) * 100).toFixed(1)}%\n`);
}
for (const part of opt('--sample', '').split(',').filter((x) => x)) {
  const [name, count] = part.split(':');
  const d = DATASETS[name];
  if (!d || !existsSync(d.data)) continue;
  await initBackend();
  const data = await prepareData(d.data, { limit: Number(opt('--sample-limit', '1500')), seed: 0 });
  const facts = { kind: data.kind, inputShape: data.inputShape, classes: data.classes.length, train: data.train, validation: data.validation, vocabularySize: data.vocabularySize };
  const { dcn } = await measureDifficulty(facts, { seed: 0 });
  const dataset = datasetFingerprint(facts);
  const seed = presetGraph('small-cnn', data.inputShape, data.classes.length);
  const rng = makeRandom(1000 + collected.length);
  let job = randomUUID().slice(0, 12);
  for (let i = 0; i < Number(count); i++) {
    if (i % 10 === 0) job = randomUUID().slice(0, 12);
    const config = sampleChain(seed, rng);
    const graph = chainGraph(seed, config);
    const epochs = 1 + rng.int(2);
    const model = GraphModel.create(graph, i);
    try {
      await train(model, data.train, { epochs, batchSize: 64, optimizer: config.training.optimizer ?? 'sgd', lrStart: config.training.lrStart ?? 0.05, lrEnd: 0, momentum: config.training.momentum, weightDecay: config.training.weightDecay, seed: i });
      const { accuracy } = await evaluate(model, data.validation);
      collected.push({ v: 1, job, dataset, kind: experimentKind(data.kind), classes: data.classes.length, trainCount: data.train.y.length, dcn, arch: encodeArchitecture(graph), epochs, parentAccuracy: null, training: config.training, accuracy: Number(accuracy.toFixed(5)), strategy: 'sampled' });
      process.stdout.write(`${name} sampled ${i + 1}/${count}: ${epochs} epoch(s), ${(accuracy * 100).toFixed(1)}%\n`);
      // Written as it goes, so that a stopped build keeps what it trained.
      writeFileSync(STARTER_EXPERIMENTS, collected.map((r) => JSON.stringify(r)).join('\n') + '\n');
    } catch (e) {
      process.stdout.write(`${name} sampled ${i + 1}/${count}: ${(e as Error).message.split('\n')[0]}\n`);
    } finally {
      model.dispose();
    }
  }
  disposePrepared(data);
}
writeFileSync(STARTER_EXPERIMENTS, collected.map((r) => JSON.stringify(r)).join('\n') + (collected.length ? '\n' : ''));
const { jobs, meanSpearman } = leaveOneJobOut(collected);
process.stdout.write(`${collected.length} experiments from ${new Set(collected.map((r) => r.job)).size} jobs written to ${STARTER_EXPERIMENTS}\n`);
for (const j of jobs) process.stdout.write(`  held-out job ${j.job} (${j.experiments} networks): Spearman ${j.spearman.toFixed(3)}\n`);
process.stdout.write(`  mean Spearman on held-out jobs: ${meanSpearman.toFixed(3)}\n`);
