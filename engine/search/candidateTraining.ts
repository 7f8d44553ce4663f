/**
 * One candidate of a search job, from proposal to result: checked against the job's limits and its memory, trained
 * (from inherited or fresh weights) until its epochs are done or the search phase ends, evaluated, checkpointed. A
 * candidate that runs out of memory or diverges fails alone; the search goes on.
 */
import path from 'node:path';
import type { DataKind } from '../data/detectKind.js';
import type { PreparedData } from '../data/prepareData.js';
import { NetSproutError } from '../errors.js';
import { activationBytes, graphMetrics } from '../graph/metrics.js';
import type { Graph } from '../graph/types.js';
import { saveCheckpoint } from '../train/checkpoint.js';
import { GraphModel } from '../train/graphModel.js';
import { defaultLearningRate, defaultOptimiser } from '../train/optimizers.js';
import { evaluate, formatRate, train, type DivergenceRestart, type TrainProgress } from '../train/trainer.js';
import { limitViolation, type CandidateCosts, type Limits } from './objectives.js';
import type { CandidateResult, Proposal } from './strategy.js';
import type { TrainingSettings } from './strategyServices.js';

/** Training memory: activations kept for the backward pass, their gradients, and four copies of the weights. */
export function trainingBytes(graph: Graph, batch: number): number {
  return 2 * activationBytes(graph, batch) + 4 * graphMetrics(graph).weightBytes;
}

/** The optimiser settings of a training: the candidate's own (Hyperband++ searches them), else the data kind's default, annealed to 0. */
export function optimiserSettings(t: TrainingSettings | undefined, kind?: DataKind) {
  const optimizer = t?.optimizer ?? defaultOptimiser(kind);
  return {
    optimizer,
    lrStart: t?.lrStart ?? defaultLearningRate(optimizer),
    lrEnd: t?.lrEnd ?? 0,
    ...(t?.momentum !== undefined && { momentum: t.momentum }),
    ...(t?.weightDecay !== undefined && { weightDecay: t.weightDecay }),
  };
}

/**
 * The warm-up of a training that starts from inherited weights: a tenth of an epoch. A network fresh from a morphism
 * (or a restart of the schedule) hit at once by the full rate of 0.05 can lose what it inherited within a few dozen
 * steps, as inserted identity layers amplify the first updates; on Fashion-MNIST, one-epoch children fell from 88% to
 * 42–74% without it and ended at 86–88% with it. The linear warm-up is that of Goyal et al. (2017).
 */
export function warmupSteps(trainCount: number, batchSize: number): number {
  return Math.ceil((0.1 * trainCount) / batchSize);
}

/** The error a stopped (paused or cancelled) job ends with; `netsprout resume` goes on from there. */
export function jobStopped(jobDir: string, message = 'The search was cancelled.'): NetSproutError {
  return new NetSproutError('JOB_CANCELLED', message, 'Resume it with `netsprout resume`.', [jobDir]);
}

/** The job log's line for a training that diverged and starts again from its first weights. */
export function restartMessage(what: string, r: DivergenceRestart, nextLrStart: number): string {
  return `${what}: the loss became ${r.loss} at epoch ${r.epoch}, batch ${r.batch} (learning rate ${formatRate(r.lrStart)}); trained again from its first weights at ${formatRate(nextLrStart)}.`;
}

export interface CandidateTrainingContext {
  jobDir: string;
  seed: number;
  data: PreparedData;
  batchSize: number;
  memoryLimitBytes: number;
  limits: Limits;
  costs(graph: Graph): CandidateCosts;
  /** performance.now() at which the search phase ends: a candidate still training stops there. */
  deadline: number;
  signal?: AbortSignal;
  onProgress(progress: TrainProgress): void;
  /** The job log (a diverged training that starts again at a lower learning rate is noted there). */
  log?(message: string): void;
}

export interface CandidateOutcome {
  result: CandidateResult;
  /** Samples trained on and the seconds they took (0 when the candidate was not trained), for the speed estimate. */
  samplesSeen: number;
  trainSeconds: number;
}

export async function trainCandidate(p: Proposal, ctx: CandidateTrainingContext): Promise<CandidateOutcome> {
  const metrics = graphMetrics(p.state.graph);
  const c = ctx.costs(p.state.graph);
  const base = {
    id: p.id,
    parentId: p.parentId,
    morphs: p.morphs,
    params: metrics.params,
    macs: metrics.macs,
    sizeBytes: c.sizeBytes,
    latencyPredictedMs: c.latencyPredictedMs,
    epochs: p.epochs,
    ...(p.training && { training: p.training }),
    ...(p.predictedAccuracy !== undefined && { predictedAccuracy: Number(p.predictedAccuracy.toFixed(4)) }),
  };
  const notTrained = (reason: string, seconds = 0): CandidateOutcome => ({ result: { ...base, accuracyInherited: null, accuracy: 0, seconds, status: 'failed', reason }, samplesSeen: 0, trainSeconds: 0 });
  const violation = limitViolation(c, ctx.limits);
  if (violation) return notTrained(`not trained: ${violation}`);
  if (trainingBytes(p.state.graph, ctx.batchSize) > ctx.memoryLimitBytes) return notTrained('would not fit in memory');

  const ts = performance.now();
  let model: GraphModel | null = null;
  try {
    model = p.inherit ? GraphModel.withWeights(p.state.graph, p.state.weights, ctx.seed) : GraphModel.create(p.state.graph, ctx.seed);
    const accuracyInherited = p.inherit ? (await evaluate(model, ctx.data.validation)).accuracy : null;
    const tr = await train(model, ctx.data.train, {
      epochs: p.epochs,
      batchSize: ctx.batchSize,
      ...optimiserSettings(p.training, ctx.data.kind),
      ...(p.inherit && { warmupSteps: warmupSteps(ctx.data.train.y.length, ctx.batchSize) }),
      seed: ctx.seed,
      deadline: ctx.deadline,
      signal: ctx.signal,
      onProgress: ctx.onProgress,
      onRestart: (r, next) => ctx.log?.(restartMessage(p.id, r, next)),
    });
    if (ctx.signal?.aborted) throw jobStopped(ctx.jobDir);
    const te = performance.now();
    const accuracy = (await evaluate(model, ctx.data.validation)).accuracy;
    const evalSeconds = Number(((performance.now() - te) / 1000).toFixed(3));
    await saveCheckpoint(path.join(ctx.jobDir, 'candidates', p.id), model.graph, model.allWeights(), ctx.data.spec);
    return { result: { ...base, accuracyInherited, accuracy, seconds: (performance.now() - ts) / 1000, evalSeconds, status: 'trained' }, samplesSeen: tr.samplesSeen, trainSeconds: tr.seconds };
  } catch (e) {
    if (e instanceof NetSproutError && e.code === 'JOB_CANCELLED') throw e;
    const message = (e as Error).message ?? String(e);
    // Out of memory, or a learning rate too high for this network: this candidate fails, the search goes on.
    const diverged = /^Training diverged/.test(message);
    if (!diverged && !/memory|allocation|Cannot enlarge|out of bounds/i.test(message)) throw e;
    return notTrained(diverged ? message.split('\n')[0] : `out of memory: ${message.split('\n')[0]}`, (performance.now() - ts) / 1000);
  } finally {
    model?.dispose();
  }
}
