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
import { NetSproutError } from '../errors.js';
import { throwIfStopped } from '../stopSignal.js';
import { graphToJSON } from '../graph/serialize.js';
import { graphMetrics } from '../graph/metrics.js';
import { DEFAULT_PRESET, presetGraph } from '../graph/presets.js';
import { inferShapes } from '../graph/shapes.js';
import { weightSpecs } from '../graph/weightSpecs.js';
import type { Graph } from '../graph/types.js';
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import { GraphModel } from '../train/graphModel.js';
import { makeRandom } from '../train/seededRandom.js';
import { evaluate, train, type TrainProgress } from '../train/trainer.js';
import { BayesOpt } from './bayesOpt.js';
import { inferenceWork, journalledSpeed, trainingWork, updateSpeedEstimate } from './budget.js';
import { planningSpeed, rememberSpeed, speedHistory } from './machineSpeed.js';
import { verifyFront, type FrontVerification, type VerifiedMember } from './frontVerification.js';
import { recommendFromFront } from './recommendation.js';
import { HillClimb } from './hillClimb.js';
import { keepingBackend, prepareJobTarget, type JobTarget } from './jobTarget.js';
import { Journal, readJournal, repairJournal, type JournalEvent } from './journal.js';
import { Lemonade } from './lemonade.js';
import { Nsga2 } from './nsga2.js';
import { costsOf, frontHypervolume, limitViolation, nonDominated, objectiveSpace, type Limits, type ObjectiveSpace } from './objectives.js';
import { RandomSearch } from './randomSearch.js';
import { fitSeedToLimits } from './seedFitting.js';
import type { CandidateResult, SearchStrategy, StrategyContext } from './strategy.js';
import { jobStopped, optimiserSettings, restartMessage, trainCandidate, trainingBytes, warmupSteps } from './candidateTraining.js';
import { prepareJobTapas } from '../tapas/jobTapas.js';
import { chooseStrategy, type ConcreteStrategy } from './autoStrategy.js';
import { Eas } from './eas/eas.js';
import { Hyperband } from './hyperband.js';
import { NCEvolve } from './ncEvolve.js';
import { neuroCellTemplate } from './neuroCells.js';
import { portfolioPlanParams } from './portfolioPlan.js';
import { PruneReplace } from './pruneReplace/pruneReplace.js';
import { checkStrategy, ENGINE_VERSION, type JobSpec } from './jobSpec.js';
import type { TrainingSettings } from './strategyServices.js';

// The job's spec, its strategies and createJob live in jobSpec.ts (no TensorFlow.js); re-exported for the callers here.
export { DEFAULT_MAX_PARAMS, ENGINE_VERSION, STRATEGIES, STRATEGY_INFO, createJob, type JobSpec, type StrategyName } from './jobSpec.js';

export interface Plan {
  batchSize: number;
  searchSeconds: number;
  /** Training memory allowed per candidate (fixed in the plan, so that a resumed job replays the same proposals). */
  memoryLimitBytes: number;
  params: Record<string, number>;
  /** The objectives and the hypervolume's reference point, fixed for the job. */
  objectives?: ObjectiveSpace;
}

/** A model of the front, as the summary reports it. */
export interface FrontMemberSummary {
  id: string;
  valAccuracy: number;
  testAccuracy: number | null;
  /** Measured on the target (verification), or null when it could not be measured here. */
  latencyMs: number | null;
  latencyPredictedMs: number | null;
  params: number;
  sizeBytes: number;
}

export interface JobSummary {
  jobDir: string;
  testAccuracy: number | null;
  valAccuracy: number;
  params: number;
  candidates: number;
  elapsedSeconds: number;
  budgetSeconds: number;
  /** The recommended model (best validation accuracy on the verified front), trained to the end in final/. */
  bestId: string;
  /** The verified front (every member can be exported with --candidate) and its hypervolume (0 to 1). */
  front: FrontMemberSummary[];
  hypervolume: number;
  target: { target: string; description: string; predictor: string; measured: boolean } | null;
}

export interface JobEvent {
  type: 'phase' | 'candidate' | 'progress' | 'front' | 'log' | 'done';
  [key: string]: unknown;
}

export interface RunOptions {
  onEvent?: (e: JobEvent) => void;
  signal?: AbortSignal;
}

const FINAL_SHARE = 0.25;
const BATCH = 64;

/** Every candidate's architecture, kept even when its checkpoint is deleted (for the app's leaderboard and drawings). */
export const CANDIDATE_GRAPHS_DIR = 'graphs';

async function writeCandidateGraph(jobDir: string, id: string, graph: Graph): Promise<void> {
  await mkdir(path.join(jobDir, CANDIDATE_GRAPHS_DIR), { recursive: true });
  await writeFile(path.join(jobDir, CANDIDATE_GRAPHS_DIR, `${id}.json`), graphToJSON(graph));
}

async function readSpec(jobDir: string): Promise<JobSpec> {
  const file = path.join(jobDir, 'job.json');
  if (!existsSync(file)) throw new NetSproutError('JOB_MISSING', `${jobDir} is not a NetSprout job folder (no job.json).`, 'Give the folder that `netsprout search --out` created.', [jobDir]);
  const spec = JSON.parse(await readFile(file, 'utf8')) as JobSpec;
  checkStrategy(spec.strategy, [file]);
  return spec;
}

/**
 * The job's plan, made once from the search time and the seed network's epoch time, and kept in the journal so that
 * a resumed job replays the same search.
 */
function makePlan(searchSeconds: number, seedEpoch: number, objectives: ObjectiveSpace, cellEpoch = seedEpoch): Plan {
  const nNeigh = 4;
  const epochSeed = Math.max(1, Math.min(10, Math.floor((0.1 * searchSeconds) / seedEpoch)));
  // Aim at six or more hill-climbing steps; neighbours are trained 1 to 8 epochs (NASH uses 17 on GPUs).
  const epochNeigh = Math.max(1, Math.min(8, Math.floor((0.9 * searchSeconds) / 6 / (nNeigh * 1.5 * seedEpoch))));
  // Half the free memory, at most 3 GB (the WASM heap's practical limit), or NETSPROUT_MEMORY_LIMIT_MB.
  const memoryLimitBytes = Number(process.env.NETSPROUT_MEMORY_LIMIT_MB) > 0 ? Number(process.env.NETSPROUT_MEMORY_LIMIT_MB) * 2 ** 20 : Math.min(os.freemem() * 0.5, 3 * 2 ** 30);
  return { batchSize: BATCH, searchSeconds, memoryLimitBytes, params: { nNeigh, nNM: 3, epochNeigh, epochSeed, ...portfolioPlanParams(searchSeconds, seedEpoch, cellEpoch) }, objectives };
}

function makeStrategy(name: ConcreteStrategy, plan: Plan, objectives: ObjectiveSpace): SearchStrategy {
  const p = plan.params;
  if (name === 'ncevolve') return new NCEvolve({ epochSeed: p.ncEpochSeed ?? p.epochSeed, epochChild: p.ncEpochChild ?? p.epochNeigh });
  if (name === 'eas') return new Eas({ epochSeed: p.epochSeed, epochChild: p.easEpochChild ?? p.epochNeigh, batch: p.easBatch ?? 3, widerSteps: p.easWider ?? 1, deeperSteps: p.easDeeper ?? 2, stageSize: p.easStage ?? 12 });
  if (name === 'hyperband') return new Hyperband({ R: p.hbR ?? 3, eta: p.hbEta ?? 3 });
  if (name === 'prune-replace') return new PruneReplace({ iterations: p.prIterations ?? 2, iterationSeconds: p.prIterationSeconds ?? 10, derivedEpochs: p.prDerivedEpochs ?? 1 });
  if (name === 'pareto') return new Lemonade({ epochSeed: p.epochSeed, epochChild: p.epochNeigh, accepted: p.nNeigh, generated: 3 * p.nNeigh, objectives: objectives.names });
  if (name === 'nsga2') return new Nsga2({ epochSeed: p.epochSeed, epochChild: p.epochNeigh, populationSize: p.nNeigh, objectives: objectives.names });
  if (name === 'bayes') return new BayesOpt({ epochNeigh: p.epochNeigh, epochSeed: p.epochSeed, batch: p.nNeigh - 1 });
  if (name === 'random') return new RandomSearch({ chainLength: p.nNM, epochs: p.epochNeigh, epochSeed: p.epochSeed, batch: p.nNeigh });
  return new HillClimb({ nNeigh: p.nNeigh, nNM: p.nNM, epochNeigh: p.epochNeigh, epochSeed: p.epochSeed });
}

/**
 * Seconds per training sample of the seed network on this machine, for the plan. A few batches first, untimed: a
 * fresh model's first steps pay one-off costs (kernel set-up, memory growth, the thread pool) that made the estimate
 * of an epoch several times too long. Then three windows of up to 40 batches or 1 s, and their median: four timed
 * batches (about 40 ms) gave estimates that differed twofold from one job to the next on the same machine. The median
 * keeps one slow window out; a machine slow for the whole probe is not (a single 2-s window missed the seed's real
 * epoch time threefold, in both directions, in two 1-hour jobs on a shared VM), which is why the plan also counts the
 * machine's last jobs (`planningSpeed`). SGD at rate 0: the weights do not move, the work is that of training.
 */
async function probeSpeed(graph: Graph, data: PreparedData['train'], seed: number): Promise<{ secondsPerSample: number; spread: number }> {
  const probe = GraphModel.create(graph, seed);
  try {
    const settings = { epochs: 1, batchSize: BATCH, optimizer: 'sgd' as const, lrStart: 0, lrEnd: 0, seed };
    await train(probe, data, { ...settings, maxBatchesPerEpoch: 3 });
    // Up to 40 batches a window, over several epochs of a small dataset: a window of one epoch of two batches (a
    // 100-image dataset) is mostly the cost of starting a training; in the test suite's small jobs such probes read
    // 0.7–1.4e-9 s per sample per unit of work, where a job's 48 trainings ran at 2.9e-10.
    const epochs = Math.max(1, Math.ceil(40 / Math.ceil(data.y.length / BATCH)));
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await train(probe, data, { ...settings, epochs, maxBatchesPerEpoch: 40, deadline: performance.now() + 1000 });
      rates.push(r.seconds / Math.max(1, r.samplesSeen));
    }
    rates.sort((a, b) => a - b);
    return { secondsPerSample: rates[1], spread: rates[2] / rates[0] };
  } finally {
    probe.dispose();
  }
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
  for (const e of events) {
    if (e.type !== 'candidate') continue;
    // Journals of an earlier engine have no size or predicted latency.
    const c = e as unknown as CandidateResult;
    completed.set(String(e.id), { ...c, sizeBytes: c.sizeBytes ?? c.params * 4, latencyPredictedMs: c.latencyPredictedMs ?? null });
  }
  let data: PreparedData | null = null;
  try {
    emit({ type: 'phase', phase: 'data', elapsedSeconds: elapsed(), budgetSeconds: spec.budgetSeconds });
    const backend = await initBackend();
    data = await prepareData(spec.data, { kind: spec.kind, target: spec.target, seed: spec.seed, limit: spec.limit, signal: opts.signal });
    if (data.spec?.kind === 'images') log(`Augmentation in training: ${data.spec.augment.reason}.`);
    const presetSeed = presetGraph(DEFAULT_PRESET[data.kind] === 'reference-cnn' ? 'small-cnn' : DEFAULT_PRESET[data.kind], data.inputShape, data.classes.length, { vocabularySize: data.vocabularySize });
    // The target device: its profile predicts the latency of every candidate (a built-in target is profiled now, or
    // its cached profile reused); the limits are hard, and the seed is shrunk first if it breaks one.
    let target: JobTarget | null = null;
    if (spec.targetDevice) {
      emit({ type: 'phase', phase: 'profile', elapsedSeconds: elapsed(), budgetSeconds: spec.budgetSeconds });
      target = await prepareJobTarget({
        jobDir,
        target: spec.targetDevice,
        events,
        budgetSeconds: spec.budgetSeconds,
        engineVersion: ENGINE_VERSION,
        seed: spec.seed,
        inputShape: data.inputShape,
        classes: data.classes.length,
        seedGraph: presetSeed,
        record: (e) => journal.append({ ...e, elapsedSeconds: elapsed() }),
        log,
        signal: opts.signal,
        onProgress: (p) => {
          if (p.type === 'sample') emit({ type: 'progress', phase: 'profile', measured: p.index + 1, elapsedSeconds: elapsed(), budgetSeconds: spec.budgetSeconds, etaSeconds: Math.max(0, spec.budgetSeconds - elapsed()) });
        },
      });
    }
    const jobTarget = target;
    const predictLatency = jobTarget ? (g: Graph) => jobTarget.profile.predictMs(g) : null;
    const costs = (g: Graph) => costsOf(g, predictLatency);
    const limits: Limits = { maxParams: spec.maxParams, maxLatencyMs: spec.maxLatencyMs, maxSizeBytes: spec.maxSizeMb !== undefined ? spec.maxSizeMb * 1e6 : undefined };
    const fitted = fitSeedToLimits(presetSeed, costs, limits);
    const seedGraph = fitted.graph;
    const trainCount = data.train.y.length;
    // Throughput: seconds per training sample per unit of work (multiply-adds, elementwise work and weight updates,
    // `trainingWork`); measured, and remembered in the journal.
    const work = (g: Graph) => trainingWork(graphMetrics(g), BATCH);
    const seedMetrics = graphMetrics(seedGraph);
    const seedWork = trainingWork(seedMetrics, BATCH);
    let secPerSampleWork = journalledSpeed(events.filter((e) => e.type === 'throughput').at(-1), seedMetrics, BATCH);
    if (!secPerSampleWork) {
      const probe = await probeSpeed(seedGraph, data.train, spec.seed);
      if (probe.spread > 1.5) log(`The machine's speed varied ${probe.spread.toFixed(1)}-fold during the throughput probe (busy with other work?); it counts the median of its three measurements.`);
      const probed = probe.secondsPerSample / seedWork;
      const history = speedHistory(backend.chosen, data.kind);
      secPerSampleWork = planningSpeed(probed, history);
      const msPerBatch = (s: number) => `${(s * seedWork * BATCH * 1000).toFixed(0)} ms`;
      if (Math.max(probed / secPerSampleWork, secPerSampleWork / probed) > 1.5) {
        log(`The throughput probe measured ${msPerBatch(probed)} a batch of the seed network; this machine's last ${history.length} job(s) trained at ${history.map(msPerBatch).join(', ')}; the plan takes ${msPerBatch(secPerSampleWork)} (the median).`);
      }
      journal.append({ type: 'throughput', secPerSampleWork, probed, history: history.length, probeSpread: Number(probe.spread.toFixed(2)), backend: backend.chosen, elapsedSeconds: elapsed() });
    }
    // What this run's trainings took against their work, for the machine's speed record (`machineSpeed`).
    const measured = { seconds: 0, work: 0, trainings: 0, add(seconds: number, w: number) { this.seconds += seconds; this.work += w; this.trainings++; } };
    const epochSeconds = (g: Graph) => trainCount * secPerSampleWork * work(g);
    // Inference (evaluating, testing) costs about a third of training.
    const inferenceSecondsPerSample = (g: Graph) => (secPerSampleWork * inferenceWork(graphMetrics(g))) / 3;
    const prepared = data;
    // TAPAS: the dataset's difficulty and the accuracy predictor, fitted on experiments of similar difficulty.
    const tapas = await prepareJobTapas({
      jobDir,
      kind: data.kind,
      inputShape: data.inputShape,
      classes: data.classes.length,
      vocabularySize: data.vocabularySize,
      train: data.train,
      validation: data.validation,
      seed: spec.seed,
      events,
      journal: (e) => journal.append({ ...e, elapsedSeconds: elapsed() }),
      log,
      // The probe's fixed epochs on a fixed subsample make the difficulty a property of the data, not of the budget;
      // only short budgets cut it (a tenth of the budget at most).
      probeSeconds: Math.min(60, 0.1 * spec.budgetSeconds),
      signal: opts.signal,
    });
    // --strategy auto: chosen once and journalled (a resumed job keeps it), its reasons in the log.
    let strategyName = spec.strategy as ConcreteStrategy;
    if (spec.strategy === 'auto') {
      const chosen = events.find((e) => e.type === 'strategy-choice');
      if (chosen) strategyName = chosen.strategy as ConcreteStrategy;
      else {
        const pick = chooseStrategy({ kind: data.kind, trainCount, classes: data.classes.length, dcn: tapas.dcn, searchSeconds: spec.budgetSeconds * (1 - FINAL_SHARE) - elapsed(), seedEpochSeconds: epochSeconds(seedGraph), latencyLimit: spec.maxLatencyMs !== undefined });
        strategyName = pick.strategy;
        journal.append({ type: 'strategy-choice', strategy: pick.strategy, reasons: pick.reasons, elapsedSeconds: elapsed() });
        log(`Strategy auto → ${pick.strategy}: ${pick.reasons.join('; ')}.`);
      }
    }
    // The plan, made once and kept in the journal so that a resumed job replays the same search.
    let plan = events.find((e) => e.type === 'plan')?.plan as Plan | undefined;
    if (!plan) {
      const cellEpoch = strategyName === 'ncevolve' ? epochSeconds(neuroCellTemplate(seedGraph)) : undefined;
      plan = makePlan(spec.budgetSeconds * (1 - FINAL_SHARE) - elapsed(), epochSeconds(seedGraph), objectiveSpace(costs(seedGraph), limits), cellEpoch);
      journal.append({ type: 'plan', plan, elapsedSeconds: elapsed() });
      if (fitted.steps.length) log(`The seed network breaks the limits; it was shrunk first (${fitted.steps.map((r) => r.op).join(', ')}).`);
      const { nNeigh, epochNeigh, epochSeed, ncEpochSeed, ncEpochChild } = plan.params;
      const shape =
        cellEpoch !== undefined
          ? `children of ${ncEpochChild} epoch(s), the first cell network (about ${Math.round(cellEpoch)} s an epoch) trained ${ncEpochSeed} epoch(s)`
          : `${nNeigh} neighbours of ${epochNeigh} epoch(s), seed trained ${epochSeed} epoch(s)`;
      log(`Plan: ${strategyName} search for ${Math.round(plan.searchSeconds)} s, ${shape}; ${Math.round(spec.budgetSeconds * FINAL_SHARE)} s for the final training.`);
    }
    const searchEnd = spec.budgetSeconds * (1 - FINAL_SHARE);
    const memoryLimit = plan.memoryLimitBytes;
    const space = plan.objectives ?? objectiveSpace(costs(seedGraph), limits);
    const strategy = makeStrategy(strategyName, plan, space);
    const checkpointDir = (id: string) => path.join(jobDir, 'candidates', id);
    const hasCheckpoint = (id: string) => existsSync(path.join(checkpointDir(id), 'weights.json'));
    // The graph of every proposal seen, so that a replayed generation can be rebuilt when a parent's checkpoint is gone.
    const proposedGraphs = new Map<string, Graph>();
    const ctx: StrategyContext = {
      seed: seedGraph,
      rng: makeRandom(spec.seed),
      loadState: async (id) => {
        // A resumed job replays finished generations: a candidate that a later generation dropped has no checkpoint
        // any more, but only its graph decides which children it had (its weights stand in as zeros; no child of it
        // is trained again, which the loop below checks).
        const graph = proposedGraphs.get(id);
        if (!hasCheckpoint(id) && graph && completed.has(id)) return { graph, weights: zeroWeights(graph) };
        const c = await loadCheckpoint(checkpointDir(id));
        return { graph: c.graph, weights: c.weights };
      },
      epochSeconds,
      searchSecondsLeft: () => searchEnd - elapsed(),
      fits: (g) => limitViolation(costs(g), limits) === null && trainingBytes(g, plan!.batchSize) <= memoryLimit,
      costs,
      objectives: space,
      services: {
        jobSeed: spec.seed,
        stateDir: path.join(jobDir, 'strategy'),
        dataKind: data.kind,
        completed: (id) => completed.get(id),
        predictAccuracy: tapas.predict,
        record: (e) => journal.append({ type: 'strategy', strategy: strategyName, ...e, elapsedSeconds: elapsed() }),
        log,
        // For a strategy that trains a network of its own (Prune and Replace's super-network).
        workbench: {
          train: prepared.train,
          validation: prepared.validation,
          inputShape: prepared.inputShape,
          numClasses: prepared.classes.length,
          batchSize: plan.batchSize,
          memoryLimitBytes: memoryLimit,
          deadline: t0 + searchEnd * 1000,
          signal: opts.signal,
          onProgress: (pr) => progress('search', pr, 'super-network'),
        },
      },
    };
    // Training hyper-parameters of the candidates that have their own (Hyperband++), for the final training too.
    const trainingOf = new Map<string, TrainingSettings>();
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
    // The front of every candidate trained so far (predicted latency), journalled after each generation.
    const frontsLogged = new Set(events.filter((e) => e.type === 'front' && !e.verified).map((e) => Number(e.generation)));
    const trainedSoFar = () => [...completed.values()].filter((c) => c.status === 'trained');
    let generationNumber = 0;
    for (;;) {
      if (opts.signal?.aborted) throw jobStopped(jobDir);
      const generation = await strategy.nextGeneration(ctx);
      if (!generation) break;
      generationNumber++;
      const results: CandidateResult[] = [];
      for (const p of generation) {
        proposedGraphs.set(p.id, p.state.graph);
        if (p.training) trainingOf.set(p.id, p.training);
        const known = completed.get(p.id);
        if (known) {
          results.push(known);
          continue;
        }
        // The search phase has a hard end, whatever the estimates said (a loaded machine trains slower than planned):
        // no candidate starts after it, and a candidate still training stops there.
        if (elapsed() >= searchEnd) break;
        let toTrain = p;
        if (p.inherit && p.parentId && !hasCheckpoint(p.parentId)) {
          const parent = completed.get(p.parentId);
          if (!parent || parent.status === 'trained') {
            throw new Error(`candidate ${p.id} would inherit the weights of ${p.parentId}, whose checkpoint is gone (the resumed search did not replay as it ran)`);
          }
          // A parent that could not be trained (it diverged, or did not fit) has no weights to hand down.
          log(`${p.id} is trained from fresh weights: its parent ${p.parentId} was not trained (${parent.reason ?? parent.status}).`);
          toTrain = { ...p, inherit: false };
        }
        const { result, samplesSeen, trainSeconds } = await trainCandidate(toTrain, {
          jobDir,
          seed: spec.seed,
          data,
          batchSize: plan.batchSize,
          memoryLimitBytes: memoryLimit,
          limits,
          costs,
          deadline: t0 + searchEnd * 1000,
          signal: opts.signal,
          onProgress: (pr) => progress('search', pr, p.id),
          log,
        });
        if (result.status === 'trained') {
          // Keep the speed estimate current.
          if (samplesSeen > 0) {
            secPerSampleWork = updateSpeedEstimate(secPerSampleWork, trainSeconds / samplesSeen / work(p.state.graph));
            measured.add(trainSeconds, samplesSeen * work(p.state.graph));
          }
          // Every trained network goes into the experiment database (the architecture, not the weights or the data).
          tapas.record({ graph: p.state.graph, epochs: p.epochs, parentAccuracy: toTrain.inherit && p.parentId ? (completed.get(p.parentId)?.accuracy ?? null) : null, training: p.training, accuracy: result.accuracy, strategy: strategyName });
        }
        await writeCandidateGraph(jobDir, p.id, p.state.graph);
        journal.append({ type: 'candidate', ...result, elapsedSeconds: elapsed() });
        completed.set(p.id, result);
        results.push(result);
        emit({ type: 'candidate', ...result, elapsedSeconds: elapsed(), budgetSeconds: spec.budgetSeconds });
      }
      strategy.observe(results);
      const front = nonDominated(trainedSoFar(), space.names);
      if (results.length && !frontsLogged.has(generationNumber)) {
        const event = frontEvent(generationNumber, front.map((m) => ({ ...m, latencyMs: null })), space, false);
        journal.append({ ...event, elapsedSeconds: elapsed() });
        emit({ ...event, elapsedSeconds: elapsed(), budgetSeconds: spec.budgetSeconds });
      }
      // The strategy's own keep, and every model on the front (each can be exported).
      const keep = new Set([...strategy.keep(), ...front.map((m) => m.id)]);
      for (const r of results) if (!keep.has(r.id)) await rm(checkpointDir(r.id), { recursive: true, force: true });
    }
    const assessed = strategy.assess();
    if (!assessed.bestId) throw new NetSproutError('SEARCH_NOTHING_TRAINED', 'No candidate could be trained within the budget.', 'Give a larger budget or a smaller dataset.', [jobDir]);
    // Verify the front: measure the true latency of every model on the predicted front on the target, drop those over
    // the latency limit and those dominated after measurement (done once: a resumed job reuses the verified front).
    emit({ type: 'phase', phase: 'verify', elapsedSeconds: elapsed(), budgetSeconds: spec.budgetSeconds });
    const kept = trainedSoFar().filter((c) => hasCheckpoint(c.id));
    const asFrontCandidate = (c: CandidateResult) => ({ id: c.id, accuracy: c.accuracy, params: c.params, sizeBytes: c.sizeBytes, latencyPredictedMs: c.latencyPredictedMs });
    let verification: FrontVerification;
    const verifiedBefore = events.find((e) => e.type === 'front' && e.verified === true);
    if (verifiedBefore) verification = verificationFromEvent(verifiedBefore);
    else {
      const predicted = nonDominated(kept, space.names).map(asFrontCandidate);
      verification =
        jobTarget && jobTarget.measureHere
          ? await keepingBackend(() =>
              verifyFront(predicted, kept.map(asFrontCandidate), {
                profile: jobTarget.profile,
                names: space.names,
                maxLatencyMs: spec.maxLatencyMs,
                measureHere: true,
                loadState: ctx.loadState,
                // At most a third of the time left (the rest is for testing the front and the final training).
                deadline: performance.now() + (Math.max(0, spec.budgetSeconds - elapsed()) / 3) * 1000,
                signal: opts.signal,
              }),
            )
          : { members: predicted.map((m) => ({ ...m, latencyMs: null })), dropped: [], measured: false, extraMeasured: [], quick: [] };
      const event = { ...frontEvent(generationNumber + 1, verification.members, space, true), dropped: verification.dropped, measured: verification.measured };
      journal.append({ ...event, elapsedSeconds: elapsed() });
      emit({ ...event, elapsedSeconds: elapsed(), budgetSeconds: spec.budgetSeconds });
      if (verification.measured) {
        log(
          `Front verified on ${jobTarget!.description}: ${verification.members.length} of ${predicted.length} models kept` +
            (verification.dropped.length ? ` (dropped: ${verification.dropped.map((d) => `${d.id}, ${d.reason}`).join('; ')})` : '') +
            (verification.extraMeasured.length ? `; no model of the predicted front met the limit, so ${verification.extraMeasured.length} other candidate(s) were measured` : '') +
            (verification.quick.length ? `; for lack of time ${verification.quick.length} measured with a shortened protocol` : '') +
            '.',
        );
      }
    }
    // Seconds a candidate takes to evaluate one sample: from its own evaluation on the validation split when that was
    // timed (a fifth more for variation), else from the speed estimate, which is a model and can be far off for one
    // network (with multiply-adds alone, an NSGA-II job on SpamAssassin kept back about 75 s for a few seconds of
    // evaluating, and ended at 823 s of 900).
    const evalSecondsPerSample = (id: string, g: Graph) => {
      const measured = completed.get(id)?.evalSeconds;
      return measured ? (1.2 * measured) / Math.max(1, prepared.validation.y.length) : inferenceSecondsPerSample(g);
    };
    // The recommended model, on the verified front (it keeps every limit, measured where possible).
    const onFront = verification.members;
    let bestId: string;
    if (onFront.length) {
      // Of the members as accurate as the validation split can tell (one standard error), the fastest to train: it
      // gets the most epochs of final training, and it is the smaller model to deploy.
      const epochSecondsOf = (id: string) => {
        const c = completed.get(id)!;
        return c.epochs > 0 && c.seconds > 0 ? Math.max(0, c.seconds - (c.evalSeconds ?? 0)) / c.epochs : epochSeconds(proposedGraphs.get(id) ?? seedGraph);
      };
      const pick = recommendFromFront(onFront, { validationCount: prepared.validation.y.length, epochSeconds: epochSecondsOf });
      bestId = pick.id;
      if (pick.instead) {
        const mine = completed.get(bestId)!;
        log(
          `${bestId} (validation ${(mine.accuracy * 100).toFixed(2)}%, ${Math.round(epochSecondsOf(bestId))} s an epoch) is recommended over the most accurate, ${pick.instead.id} ` +
            `(${(pick.instead.accuracy * 100).toFixed(2)}%, ${Math.round(pick.instead.epochSeconds)} s an epoch): within one standard error ` +
            `(${(pick.standardError * 100).toFixed(2)} points on ${prepared.validation.y.length} validation samples), and faster to train, so it gets more of the final training.`,
        );
      }
    } else {
      const fastest = verification.dropped.filter((d) => d.latencyMs !== null && hasCheckpoint(d.id)).sort((a, b) => a.latencyMs! - b.latencyMs!)[0];
      bestId = fastest?.id ?? assessed.bestId;
      log(`No trained model meets the latency limit of ${spec.maxLatencyMs} ms when measured; ${bestId}, the fastest measured, is trained to the end, but it does not meet the limit.`);
    }
    const bestAccuracy = completed.get(bestId)!.accuracy;
    // Test accuracy of every front member (their search weights), once, after every choice has been made; the most
    // accurate first, as long as the estimated time fits in 40% of the time left (the final training needs the rest).
    const { frontTest, untested } = await testFront(onFront, {
      test: data.test,
      loadState: ctx.loadState,
      secondsPerSample: evalSecondsPerSample,
      allowanceSeconds: 0.4 * Math.max(0, spec.budgetSeconds - elapsed()),
      seed: spec.seed,
      signal: opts.signal,
    });
    if (untested.length) log(`Not enough time left to test ${untested.join(', ')} of the front on the test split (their test accuracy is left out).`);
    // Final training of the recommended model with the rest of the budget, a little kept back for testing and saving;
    // the other front members keep their search weights (each exportable with --candidate).
    emit({ type: 'phase', phase: 'final', elapsedSeconds: elapsed(), budgetSeconds: spec.budgetSeconds });
    log(`Recommended candidate ${bestId} (validation accuracy ${(bestAccuracy * 100).toFixed(2)}%); final training.`);
    const best = await ctx.loadState(bestId);
    const model = GraphModel.withWeights(best.graph, best.weights, spec.seed);
    // Time kept back for evaluating (validation and test) and saving.
    const reserve = 0.5 + (data.validation.y.length + (data.test?.y.length ?? 0)) * evalSecondsPerSample(bestId, best.graph);
    const finalSeconds = Math.max(0, spec.budgetSeconds - elapsed() - reserve);
    const finalTraining = trainingOf.get(bestId);
    const finalRun = await train(model, data.train, {
      epochs: 100000,
      fitToDeadline: true,
      deadline: performance.now() + finalSeconds * 1000,
      batchSize: plan.batchSize,
      ...optimiserSettings(finalTraining, data.kind),
      warmupSteps: warmupSteps(data.train.y.length, plan.batchSize),
      seed: spec.seed,
      signal: opts.signal,
      onProgress: (pr) => progress('final', pr),
      onRestart: (r, next) => log(restartMessage(`The final training of ${bestId}`, r, next)),
    });
    // A pause or cancel during the final training stops it there, resumable: it must not end the job early.
    if (opts.signal?.aborted) {
      model.dispose();
      throw jobStopped(jobDir, 'The search was stopped during the final training.');
    }
    // The machine's speed in this run of the job (its trainings' seconds against their work, the final training
    // included), for the plans of the jobs after it.
    if (finalRun.samplesSeen > 0) measured.add(finalRun.seconds, finalRun.samplesSeen * work(model.graph));
    rememberSpeed({ backend: backend.chosen, kind: data.kind, secPerSampleWork: measured.seconds / measured.work, trainings: measured.trainings });
    const valAccuracy = (await evaluate(model, data.validation)).accuracy;
    tapas.record({ graph: model.graph, epochs: Math.max(1, finalRun.epochs.length), parentAccuracy: bestAccuracy, training: finalTraining, accuracy: valAccuracy, strategy: strategyName, final: true });
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
      front: onFront.map((m) => ({ id: m.id, valAccuracy: m.accuracy, testAccuracy: frontTest.get(m.id) ?? null, latencyMs: m.latencyMs, latencyPredictedMs: m.latencyPredictedMs, params: m.params, sizeBytes: m.sizeBytes })),
      hypervolume: frontHypervolume(onFront, space),
      target: jobTarget ? { target: jobTarget.target, description: jobTarget.description, predictor: jobTarget.profile.profile.chosen, measured: verification.measured } : null,
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

/** The verified front a resumed job finds in its journal. */
function verificationFromEvent(e: JournalEvent): FrontVerification {
  const members = e.members as Array<{ id: string; valAccuracy: number; latencyMs: number | null; latencyPredictedMs: number | null; params: number; sizeBytes: number }>;
  return {
    members: members.map((m) => ({ id: m.id, accuracy: m.valAccuracy, params: m.params, sizeBytes: m.sizeBytes, latencyPredictedMs: m.latencyPredictedMs, latencyMs: m.latencyMs })),
    dropped: (e.dropped as FrontVerification['dropped']) ?? [],
    measured: e.measured === true,
    extraMeasured: [],
    quick: [],
  };
}

/**
 * The test accuracy of every front member (with its search weights), the most accurate first, as long as the
 * estimated time fits in the allowance; the others are left untested (null).
 */
async function testFront(
  members: VerifiedMember[],
  o: { test: PreparedData['test']; loadState: StrategyContext['loadState']; secondsPerSample: (id: string, g: Graph) => number; allowanceSeconds: number; seed: number; signal?: AbortSignal },
): Promise<{ frontTest: Map<string, number | null>; untested: string[] }> {
  const frontTest = new Map<string, number | null>();
  const untested: string[] = [];
  let allowance = o.allowanceSeconds;
  for (const m of [...members].sort((a, b) => b.accuracy - a.accuracy)) {
    frontTest.set(m.id, null);
    if (!o.test) continue;
    throwIfStopped(o.signal, 'testing the front');
    const s = await o.loadState(m.id);
    const estimate = o.test.y.length * o.secondsPerSample(m.id, s.graph);
    if (estimate > allowance) {
      untested.push(m.id);
      continue;
    }
    allowance -= estimate;
    const fm = GraphModel.withWeights(s.graph, s.weights, o.seed);
    try {
      frontTest.set(m.id, (await evaluate(fm, o.test)).accuracy);
    } finally {
      fm.dispose();
    }
  }
  return { frontTest, untested };
}

/** A `front` journal event: the members with the figures the app and the CLI show, and the hypervolume. */
function frontEvent(generation: number, members: VerifiedMember[], space: ObjectiveSpace, verified: boolean): JournalEvent & { type: 'front' } {
  return {
    type: 'front',
    generation,
    verified,
    hypervolume: frontHypervolume(members, space),
    members: members.map((m) => ({ id: m.id, valAccuracy: m.accuracy, latencyPredictedMs: m.latencyPredictedMs, ...(verified ? { latencyMs: m.latencyMs } : {}), params: m.params, sizeBytes: m.sizeBytes })),
  };
}

/** Zero weights of the right shapes for a graph (a stand-in where only the graph matters). */
function zeroWeights(graph: Graph): Map<string, Float32Array[]> {
  const shapes = inferShapes(graph);
  const out = new Map<string, Float32Array[]>();
  for (const l of graph.layers) {
    const specs = weightSpecs(l, l.inputs.map((i) => shapes.get(i)!));
    if (specs.length) out.set(l.id, specs.map((w) => new Float32Array(w.shape.reduce((a, b) => a * b, 1))));
  }
  return out;
}

export type { JournalEvent };
