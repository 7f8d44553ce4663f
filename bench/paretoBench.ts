/**
 * npm run bench:pareto [-- --budget 20m] [-- --max-latency-ms MS] [-- --limit 20000] [-- --target cpu] [-- --json]
 * Fashion-MNIST (Debian's dataset-fashion-mnist, IDX files in /usr/share/datasets/fashion-mnist): the `pareto`
 * search (LEMONADE-style) and random search, each with the same budget, target device and latency limit, one after
 * the other. The target is profiled first (or its cached profile reused), outside both budgets, so that neither
 * job pays for it. Reports every model of each verified front, re-measures each one's latency here with the
 * profile's runtime and protocol (every one must meet the limit), and the hypervolume of both fronts with the same
 * reference point; the issue's target is a pareto hypervolume at least 1.2× random search's.
 * Defaults: 20 minutes per search (40 minutes in all, plus profiling), the limit 1.5× the seed network's predicted
 * latency, 20,000 training images (a seeded subset; validation and test splits are the usual ones).
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../engine/backend/ladder.js';
import { disposePrepared, prepareData } from '../engine/data/prepareData.js';
import { presetGraph } from '../engine/graph/presets.js';
import { measureLatency, openRuntime } from '../engine/hardware/latencyProtocol.js';
import { median } from '../engine/hardware/latencyStatistics.js';
import { describeMachine } from '../engine/hardware/machineProfile.js';
import { resolveTarget, searchSpaceFor } from '../engine/latency/targets.js';
import { parseBudget } from '../engine/search/budget.js';
import { keepingBackend, profileSecondsFor } from '../engine/search/jobTarget.js';
import { readJournal } from '../engine/search/journal.js';
import { createJob, ENGINE_VERSION, runJob, type JobSummary, type Plan, type StrategyName } from '../engine/search/searchJob.js';
import { loadCheckpoint } from '../engine/train/checkpoint.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const json = args.includes('--json');
const say = (s: string) => !json && process.stdout.write(`${s}\n`);
const budget = parseBudget(opt('--budget', '20m'));
const limitImages = Number(opt('--limit', '20000'));
const target = opt('--target', 'cpu');

if (!existsSync(FASHION)) {
  process.stdout.write(`Fashion-MNIST is not installed (${FASHION} is missing): install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) and run again.\n`);
  process.exit(2);
}

// The target's profile, made (or read from the cache) before the jobs, on the jobs' own search space.
await initBackend();
const data = await prepareData(FASHION, { seed: 0, limit: limitImages });
const inputShape = data.inputShape;
const classes = data.classes.length;
disposePrepared(data);
const resolved = await keepingBackend(() =>
  resolveTarget(target, {
    engineVersion: ENGINE_VERSION,
    profileSeconds: profileSecondsFor(budget),
    searchSpace: searchSpaceFor(inputShape, classes),
    onProgress: (p) => p.type === 'machine' && say(`Machine: ${describeMachine(p.machine)}`),
  }),
);
const profile = resolved.loaded;
const chosen = profile.profile.predictors.find((p) => p.name === profile.profile.chosen)!;
say(
  `Target ${target}: ${resolved.description}; profile ${resolved.source === 'cache' ? 'from the cache' : 'made now'} (${profile.profile.samples.length} architectures, ${Math.round(profile.profile.seconds)} s, ${profile.profile.chosen}: held-out Kendall τ ${chosen.heldOut.kendallTau.toFixed(2)}, ${(chosen.heldOut.within10 * 100).toFixed(0)}% within ±10%).`,
);
const seedMs = profile.predictMs(presetGraph('small-cnn', inputShape, classes));
const maxLatencyMs = Number(opt('--max-latency-ms', (1.5 * seedMs).toFixed(4)));
say(`Latency limit ${maxLatencyMs} ms per image at batch 1 (the seed network is predicted at ${seedMs.toFixed(4)} ms); budget ${budget} s per search; ${limitImages} training images.`);

async function one(strategy: StrategyName) {
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-bench-pareto-')), strategy);
  await createJob(dir, { data: FASHION, limit: limitImages, budgetSeconds: budget, seed: 0, strategy, targetDevice: target, maxLatencyMs });
  const summary = await runJob(dir, {
    onEvent: (e) => {
      if (json) return;
      if (e.type === 'candidate') process.stdout.write(`  ${strategy} ${e.id}: ${(Number(e.accuracy) * 100).toFixed(2)}%, ${e.params} params, ${Number(e.latencyPredictedMs).toFixed(4)} ms predicted${e.status === 'trained' ? '' : ` (${e.reason})`}\n`);
      if (e.type === 'front' && !e.verified) process.stdout.write(`  ${strategy} front after generation ${e.generation}: ${(e.members as unknown[]).length} models, hypervolume ${Number(e.hypervolume).toFixed(4)}\n`);
    },
  });
  const plan = readJournal(path.join(dir, 'journal.jsonl')).events.find((e) => e.type === 'plan')!.plan as Plan;
  return { strategy, dir, summary, reference: plan.objectives!.reference };
}

/**
 * The latency of every front model measured again here, with the profile's runtime and protocol: three times, in
 * three rounds over the front, the median kept. One measurement can fall in a moment when another process takes the
 * CPU (in a 5-minute run at 8defd55 two of random search's models measured 48% and 52% slower than the job had, the
 * other 20 front models between 8% faster and 17% slower); a median of three taken at different moments is not moved by one such moment.
 */
async function remeasure(run: { dir: string; summary: JobSummary }) {
  return keepingBackend(async () => {
    const info = profile.profile.runtime;
    const runtime = await openRuntime(info.name, { threads: info.threads, backend: info.name === 'tfjs' ? info.backend : undefined });
    const models = [];
    for (const m of run.summary.front) models.push({ id: m.id, state: await loadCheckpoint(path.join(run.dir, 'candidates', m.id)) });
    const times = new Map<string, number[]>(models.map((m) => [m.id, []]));
    for (let round = 0; round < 3; round++) {
      for (const m of models) times.get(m.id)!.push((await measureLatency(runtime, { graph: m.state.graph, weights: m.state.weights }, { ...profile.profile.protocol, batchSizes: [1] })).batch1Ms);
    }
    return models.map((m) => ({ id: m.id, ms: median(times.get(m.id)!) }));
  });
}

const runs = [];
for (const s of ['pareto', 'random'] as StrategyName[]) {
  const r = await one(s);
  const again = await remeasure(r);
  runs.push({ ...r, again, withinLimit: again.every((a) => a.ms <= maxLatencyMs) });
}
const [pareto, random] = runs;
const sameReference = JSON.stringify(pareto.reference) === JSON.stringify(random.reference);
const ratio = random.summary.hypervolume > 0 ? pareto.summary.hypervolume / random.summary.hypervolume : Infinity;
const everyWithin = runs.every((r) => r.withinLimit);

for (const r of runs) {
  say('');
  say(`${r.strategy}: ${r.summary.candidates} candidates in ${r.summary.elapsedSeconds} s; recommended ${r.summary.bestId}: test accuracy ${((r.summary.testAccuracy ?? 0) * 100).toFixed(2)}% after final training; hypervolume ${r.summary.hypervolume.toFixed(4)}`);
  say('  model        validation   test    latency ms: job measured / re-measured / predicted   parameters');
  if (!r.summary.front.length) say('  (no model met the latency limit when measured: the front is empty)');
  for (const m of r.summary.front) {
    const again = r.again.find((a) => a.id === m.id)!.ms;
    say(
      `  ${m.id.padEnd(11)} ${(m.valAccuracy * 100).toFixed(2).padStart(7)}% ${m.testAccuracy === null ? '     -- ' : `${(m.testAccuracy * 100).toFixed(2).padStart(7)}%`}   ${(m.latencyMs ?? NaN).toFixed(4).padStart(8)} / ${again.toFixed(4).padStart(8)} / ${(m.latencyPredictedMs ?? NaN).toFixed(4).padStart(8)}${again > maxLatencyMs ? '  OVER THE LIMIT' : ''}   ${String(m.params).padStart(9)}`,
    );
  }
}
say('');
say(`Every front model within ${maxLatencyMs} ms when re-measured: ${everyWithin ? 'yes' : 'NO'}.`);
say(`Hypervolume (error, latency, size; reference [${pareto.reference.map((v) => Number(v.toPrecision(4))).join(', ')}]${sameReference ? '' : ', DIFFERENT from random search\'s'}): pareto ${pareto.summary.hypervolume.toFixed(4)}, random ${random.summary.hypervolume.toFixed(4)}, ratio ${ratio.toFixed(2)} (target ≥ 1.2: ${ratio >= 1.2 ? 'met' : 'NOT met'}).`);
if (json) {
  process.stdout.write(
    `${JSON.stringify({
      target,
      maxLatencyMs,
      budgetSeconds: budget,
      trainImages: limitImages,
      runs: runs.map((r) => ({ strategy: r.strategy, jobDir: r.dir, candidates: r.summary.candidates, hypervolume: r.summary.hypervolume, testAccuracy: r.summary.testAccuracy, front: r.summary.front.map((m) => ({ ...m, latencyRemeasuredMs: r.again.find((a) => a.id === m.id)!.ms })), withinLimit: r.withinLimit })),
      hypervolumeRatio: ratio,
      sameReference,
      everyFrontModelWithinLimit: everyWithin,
      targetMet: everyWithin && ratio >= 1.2,
    })}\n`,
  );
}
