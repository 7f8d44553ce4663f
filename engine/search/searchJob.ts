/**
 * A search job: a folder with job.json (what was asked), journal.jsonl (what happened, one event per line, flushed),
 * the checkpoints of the candidates still needed, and the final model. The job plans for its budget, reports an
 * ETA, ends within the budget with the best model trained to the end, and resumes after any crash: completed
 * candidates are replayed from the journal (strategies are deterministic), never trained twice, and the time
 * already spent counts.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../backend/ladder.js';
import { DataUnusableError, disposePrepared, prepareData, type PreparedData } from '../data/prepareData.js';
import type { DataKind } from '../data/detectKind.js';
import { NetSproutError } from '../errors.js';
import { activationBytes, graphMetrics } from '../graph/metrics.js';
import { DEFAULT_PRESET, presetGraph } from '../graph/presets.js';
import type { Graph } from '../graph/types.js';
import type { ModelState } from '../morph/modelState.js';
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import { GraphModel } from '../train/graphModel.js';
import { makeRandom } from '../train/seededRandom.js';
import { evaluate, train, type TrainProgress } from '../train/trainer.js';
import { BayesOpt } from './bayesOpt.js';
import { HillClimb } from './hillClimb.js';
import { Journal, readJournal, repairJournal, type JournalEvent } from './journal.js';
import { RandomSearch } from './randomSearch.js';
import type { CandidateResult, SearchStrategy, StrategyContext } from './strategy.js';

export const ENGINE_VERSION = '0.1.0';
export const STRATEGIES = ['hill', 'bayes', 'random'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export interface JobSpec {
  version: 1;
  engineVersion: string;
  data: string;
  kind?: DataKind;
  target?: string;
  budgetSeconds: number;
  seed: number;
  strategy: StrategyName;
  maxParams: number;
  createdAt: string;
}

export interface Plan {
  batchSize: number;
  searchSeconds: number;
  /** Training memory allowed per candidate (fixed in the plan, so that a resumed job replays the same proposals). */
  memoryLimitBytes: number;
  params: Record<string, number>;
}

export interface JobSummary {
  jobDir: string;
  testAccuracy: number | null;
  valAccuracy: number;
  params: number;
  candidates: number;
  elapsedSeconds: number;
  budgetSeconds: number;
  bestId: string;
}

export interface JobEvent {
  type: 'phase' | 'candidate' | 'progress' | 'log' | 'done';
  [key: string]: unknown;
}

export interface RunOptions {
  onEvent?: (e: JobEvent) => void;
  signal?: AbortSignal;
}

const FINAL_SHARE = 0.25;
const BATCH = 64;
const DEFAULT_MAX_PARAMS = 3_000_000;

export async function createJob(jobDir: string, spec: Omit<JobSpec, 'version' | 'engineVersion' | 'createdAt' | 'maxParams'> & { maxParams?: number }): Promise<JobSpec> {
  if (existsSync(path.join(jobDir, 'job.json'))) {
    throw new NetSproutError('JOB_EXISTS', `${jobDir} already holds a job.`, 'Resume it with `netsprout resume`, or choose another --out folder.', [jobDir]);
  }
  await mkdir(path.join(jobDir, 'candidates'), { recursive: true });
  const full: JobSpec = { version: 1, engineVersion: ENGINE_VERSION, createdAt: new Date().toISOString(), ...spec, maxParams: spec.maxParams ?? DEFAULT_MAX_PARAMS };
  await writeFile(path.join(jobDir, 'job.json'), JSON.stringify(full, null, 2));
  return full;
}

async function readSpec(jobDir: string): Promise<JobSpec> {
  const file = path.join(jobDir, 'job.json');
  if (!existsSync(file)) throw new NetSproutError('JOB_MISSING', `${jobDir} is not a NetSprout job folder (no job.json).`, 'Give the folder that `netsprout search --out` created.', [jobDir]);
  return JSON.parse(await readFile(file, 'utf8')) as JobSpec;
}

function makeStrategy(name: StrategyName, plan: Plan): SearchStrategy {
  const p = plan.params;
  if (name === 'bayes') return new BayesOpt({ epochNeigh: p.epochNeigh, epochSeed: p.epochSeed, batch: p.nNeigh - 1 });
  if (name === 'random') return new RandomSearch({ chainLength: p.nNM, epochs: p.epochNeigh, epochSeed: p.epochSeed, batch: p.nNeigh });
  return new HillClimb({ nNeigh: p.nNeigh, nNM: p.nNM, epochNeigh: p.epochNeigh, epochSeed: p.epochSeed });
}

/** Training memory: activations kept for the backward pass, their gradients, and four copies of the weights. */
export function trainingBytes(graph: Graph, batch: number): number {
  return 2 * activationBytes(graph, batch) + 4 * graphMetrics(graph).weightBytes;
}

export async function runJob(jobDir: string, opts: RunOptions = {}): Promise<JobSummary> {
  const spec = await readSpec(jobDir);
  const journalFile = path.join(jobDir, 'journal.jsonl');
  const torn = repairJournal(journalFile);
  const { events } = readJournal(journalFile);
  const emit = (e: JobEvent) => opts.onEvent?.(e);
  const done = events.find((e) => e.type === 'done');
  if (done) return done.summary as JobSummary;
  const journal = new Journal(journalFile);
  const elapsedBefore = Math.max(0, ...events.map((e) => Number(e.elapsedSeconds ?? 0)));
  const t0 = performance.now() - elapsedBefore * 1000;
  const elapsed = () => (performance.now() - t0) / 1000;
  const log = (message: string) => {
    journal.append({ type: 'log', message, elapsedSeconds: elapsed() });
    emit({ type: 'log', message });
  };
  journal.append({ type: events.length ? 'resumed' : 'started', elapsedSeconds: elapsedBefore, tornLineRepaired: torn });
  const completed = new Map<string, CandidateResult>();
  for (const e of events) if (e.type === 'candidate') completed.set(String(e.id), e as unknown as CandidateResult);
  let data: PreparedData | null = null;
  try {
    emit({ type: 'phase', phase: 'data', elapsedSeconds: elapsed(), budgetSeconds: spec.budgetSeconds });
    const backend = await initBackend();
    data = await prepareData(spec.data, { kind: spec.kind, target: spec.target, seed: spec.seed });
    const seedGraph = presetGraph(DEFAULT_PRESET[data.kind] === 'reference-cnn' ? 'small-cnn' : DEFAULT_PRESET[data.kind], data.inputShape, data.classes.length, { vocabularySize: data.vocabularySize });
    const trainCount = data.train.y.length;
    // Throughput: seconds per training sample, scaled by multiply-accumulates; measured, and remembered in the journal.
    let secPerSamplePerMac = Number(events.filter((e) => e.type === 'throughput').at(-1)?.secPerSamplePerMac ?? 0);
    const seedMacs = graphMetrics(seedGraph).macs + 1e5;
    if (!secPerSamplePerMac) {
      const probe = GraphModel.create(seedGraph, spec.seed);
      const r = await train(probe, data.train, { epochs: 1, batchSize: BATCH, optimizer: 'sgd', lrStart: 0, lrEnd: 0, maxBatchesPerEpoch: 4, seed: spec.seed });
      probe.dispose();
      secPerSamplePerMac = r.seconds / Math.max(1, r.samplesSeen) / seedMacs;
      journal.append({ type: 'throughput', secPerSamplePerMac, backend: backend.chosen, elapsedSeconds: elapsed() });
    }
    const epochSeconds = (g: Graph) => trainCount * secPerSamplePerMac * (graphMetrics(g).macs + 1e5);
    // The plan, made once and kept in the journal so that a resumed job replays the same search.
    let plan = events.find((e) => e.type === 'plan')?.plan as Plan | undefined;
    if (!plan) {
      const searchSeconds = spec.budgetSeconds * (1 - FINAL_SHARE) - elapsed();
      const seedEpoch = epochSeconds(seedGraph);
      const nNeigh = 4;
      const epochSeed = Math.max(1, Math.min(10, Math.floor((0.1 * searchSeconds) / seedEpoch)));
      // Aim at six or more hill-climbing steps; neighbours are trained 1 to 8 epochs (NASH uses 17 on GPUs).
      const epochNeigh = Math.max(1, Math.min(8, Math.floor((0.9 * searchSeconds) / 6 / (nNeigh * 1.5 * seedEpoch))));
      // Half the free memory, at most 3 GB (the WASM heap's practical limit), or NETSPROUT_MEMORY_LIMIT_MB.
      const memoryLimitBytes = Number(process.env.NETSPROUT_MEMORY_LIMIT_MB) > 0 ? Number(process.env.NETSPROUT_MEMORY_LIMIT_MB) * 2 ** 20 : Math.min(os.freemem() * 0.5, 3 * 2 ** 30);
      plan = { batchSize: BATCH, searchSeconds, memoryLimitBytes, params: { nNeigh, nNM: 3, epochNeigh, epochSeed } };
      journal.append({ type: 'plan', plan, elapsedSeconds: elapsed() });
      log(`Plan: ${spec.strategy} search for ${Math.round(searchSeconds)} s, ${nNeigh} neighbours of ${epochNeigh} epoch(s), seed trained ${epochSeed} epoch(s); ${Math.round(spec.budgetSeconds * FINAL_SHARE)} s for the final training.`);
    }
    const searchEnd = spec.budgetSeconds * (1 - FINAL_SHARE);
    const memoryLimit = plan.memoryLimitBytes;
    const strategy = makeStrategy(spec.strategy, plan);
    const ctx: StrategyContext = {
      seed: seedGraph,
      rng: makeRandom(spec.seed),
      loadState: async (id) => {
        const c = await loadCheckpoint(path.join(jobDir, 'candidates', id));
        return { graph: c.graph, weights: c.weights };
      },
      epochSeconds,
      searchSecondsLeft: () => searchEnd - elapsed(),
      fits: (g) => graphMetrics(g).params <= spec.maxParams && trainingBytes(g, plan!.batchSize) <= memoryLimit,
    };
    emit({ type: 'phase', phase: 'search', elapsedSeconds: elapsed(), budgetSeconds: spec.budgetSeconds });
    let lastHeartbeat = elapsed();
    const heartbeat = () => {
      if (elapsed() - lastHeartbeat >= 10) {
        lastHeartbeat = elapsed();
        journal.append({ type: 'heartbeat', elapsedSeconds: lastHeartbeat });
      }
    };
    // The job ends at its budget by construction, so the ETA is the budget left.
    const progress = (phase: string, pr: TrainProgress, candidate?: string) => {
      heartbeat();
      emit({ type: 'progress', phase, candidate, epoch: pr.epoch, epochs: pr.epochs, batch: pr.batch, batches: pr.batches, elapsedSeconds: elapsed(), budgetSeconds: spec.budgetSeconds, etaSeconds: Math.max(0, spec.budgetSeconds - elapsed()) });
    };
    for (;;) {
      if (opts.signal?.aborted) throw new NetSproutError('JOB_CANCELLED', 'The search was cancelled.', 'Resume it with `netsprout resume`.', [jobDir]);
      const generation = await strategy.nextGeneration(ctx);
      if (!generation) break;
      const results: CandidateResult[] = [];
      for (const p of generation) {
        const known = completed.get(p.id);
        if (known) {
          results.push(known);
          continue;
        }
        // The search phase has a hard end, whatever the estimates said (a loaded machine trains slower than planned):
        // no candidate starts after it, and a candidate still training stops there.
        if (elapsed() >= searchEnd) break;
        const metrics = graphMetrics(p.state.graph);
        const base = { id: p.id, parentId: p.parentId, morphs: p.morphs, params: metrics.params, macs: metrics.macs, epochs: p.epochs };
        let result: CandidateResult;
        if (trainingBytes(p.state.graph, plan.batchSize) > memoryLimit) {
          result = { ...base, accuracyInherited: null, accuracy: 0, seconds: 0, status: 'failed', reason: 'would not fit in memory' };
        } else {
          const ts = performance.now();
          let model: GraphModel | null = null;
          try {
            model = p.inherit ? GraphModel.withWeights(p.state.graph, p.state.weights, spec.seed) : GraphModel.create(p.state.graph, spec.seed);
            const accuracyInherited = p.inherit ? (await evaluate(model, data.validation)).accuracy : null;
            const tr = await train(model, data.train, {
              epochs: p.epochs,
              batchSize: plan.batchSize,
              optimizer: 'sgd',
              lrStart: 0.05,
              lrEnd: 0,
              seed: spec.seed,
              deadline: t0 + searchEnd * 1000,
              signal: opts.signal,
              onProgress: (pr) => progress('search', pr, p.id),
            });
            if (opts.signal?.aborted) throw new NetSproutError('JOB_CANCELLED', 'The search was cancelled.', 'Resume it with `netsprout resume`.', [jobDir]);
            // Keep the speed estimate current: an average over the trainings so far, weighted to the recent ones.
            if (tr.samplesSeen > 0) secPerSamplePerMac = 0.7 * secPerSamplePerMac + 0.3 * (tr.seconds / tr.samplesSeen / (metrics.macs + 1e5));
            const accuracy = (await evaluate(model, data.validation)).accuracy;
            await saveCheckpoint(path.join(jobDir, 'candidates', p.id), model.graph, model.allWeights(), data.spec);
            result = { ...base, accuracyInherited, accuracy, seconds: (performance.now() - ts) / 1000, status: 'trained' };
          } catch (e) {
            if (e instanceof NetSproutError && e.code === 'JOB_CANCELLED') throw e;
            const message = (e as Error).message ?? String(e);
            if (!/memory|allocation|Cannot enlarge|out of bounds/i.test(message)) throw e;
            result = { ...base, accuracyInherited: null, accuracy: 0, seconds: (performance.now() - ts) / 1000, status: 'failed', reason: `out of memory: ${message.split('\n')[0]}` };
          } finally {
            model?.dispose();
          }
        }
        journal.append({ type: 'candidate', ...result, elapsedSeconds: elapsed() });
        completed.set(p.id, result);
        results.push(result);
        emit({ type: 'candidate', ...result, elapsedSeconds: elapsed(), budgetSeconds: spec.budgetSeconds });
      }
      strategy.observe(results);
      const keep = strategy.keep();
      for (const r of results) if (!keep.has(r.id)) await rm(path.join(jobDir, 'candidates', r.id), { recursive: true, force: true });
    }
    const { bestId, bestAccuracy } = strategy.assess();
    if (!bestId) throw new NetSproutError('SEARCH_NOTHING_TRAINED', 'No candidate could be trained within the budget.', 'Give a larger budget or a smaller dataset.', [jobDir]);
    // Final training of the best model with the rest of the budget, a little kept back for testing and saving.
    emit({ type: 'phase', phase: 'final', elapsedSeconds: elapsed(), budgetSeconds: spec.budgetSeconds });
    log(`Best candidate ${bestId} (validation accuracy ${(bestAccuracy * 100).toFixed(2)}%); final training.`);
    const best = await ctx.loadState(bestId);
    const model = GraphModel.withWeights(best.graph, best.weights, spec.seed);
    // Time kept back for evaluating (validation and test) and saving: inference costs about a third of training.
    const evalCount = data.validation.y.length + (data.test?.y.length ?? 0);
    const reserve = 0.5 + (evalCount * epochSeconds(best.graph)) / Math.max(1, trainCount) / 3;
    const finalSeconds = Math.max(0, spec.budgetSeconds - elapsed() - reserve);
    await train(model, data.train, {
      epochs: 100000,
      fitToDeadline: true,
      deadline: performance.now() + finalSeconds * 1000,
      batchSize: plan.batchSize,
      optimizer: 'sgd',
      lrStart: 0.05,
      lrEnd: 0,
      seed: spec.seed,
      signal: opts.signal,
      onProgress: (pr) => progress('final', pr),
    });
    const valAccuracy = (await evaluate(model, data.validation)).accuracy;
    // The test split is used once, here, after every choice has been made.
    const testAccuracy = data.test ? (await evaluate(model, data.test)).accuracy : null;
    await saveCheckpoint(path.join(jobDir, 'final'), model.graph, model.allWeights(), data.spec);
    const summary: JobSummary = {
      jobDir,
      testAccuracy,
      valAccuracy,
      params: graphMetrics(model.graph).params,
      candidates: [...completed.values()].filter((c) => c.status === 'trained').length,
      elapsedSeconds: Number(elapsed().toFixed(2)),
      budgetSeconds: spec.budgetSeconds,
      bestId,
    };
    model.dispose();
    journal.append({ type: 'done', summary, elapsedSeconds: summary.elapsedSeconds });
    emit({ type: 'done', ...summary });
    return summary;
  } catch (e) {
    if (e instanceof DataUnusableError) journal.append({ type: 'error', code: e.code, message: e.message, elapsedSeconds: elapsed() });
    throw e;
  } finally {
    if (data) disposePrepared(data);
    journal.close();
  }
}

export type { JournalEvent };
