/**
 * npm run bench:search [-- --budget 15m] [-- --strategies hill,bayes,random] [-- --seeds 0,1,2] [-- --long 1h]
 *                      [-- --resume] [-- --json]
 * Fashion-MNIST (Debian's dataset-fashion-mnist, IDX files): one search per strategy and seed at the same budget,
 * and one longer run of the first strategy (seed 0). Reports test accuracy, parameters and the number of candidates
 * of each run. Runs one after the other (each uses every core), the strategies in turn within each seed, so a
 * machine that drifts weighs on all alike; three strategies at 15 minutes and the 1-hour run take about 1 h 45 min.
 *
 * Each finished run is appended to bench/results/search.jsonl (commit, date, CPU). The summary at the end is over
 * every run recorded at the budget: per strategy, the mean and spread of test accuracy over seeds, and the mean
 * difference from random search on the seeds both ran. With --resume, recorded runs are skipped.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseBudget } from '../engine/search/budget.js';
import { createJob, runJob, type StrategyName } from '../engine/search/searchJob.js';
import { recordedRuns, recordRun, runStamp, summariseSeeds, type RunStamp } from './benchRecords.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const json = args.includes('--json');
const resume = args.includes('--resume');
const budget = parseBudget(opt('--budget', '15m'));
const strategies = opt('--strategies', 'hill,bayes,random').split(',') as StrategyName[];
const seeds = opt('--seeds', '0').split(',').map(Number);
const long = opt('--long', '1h');
const RESULTS = path.resolve(opt('--results', 'bench/results/search.jsonl'));

interface Run {
  strategy: string;
  seed: number;
  budgetSeconds: number;
  testAccuracy: number | null;
  valAccuracy: number;
  params: number;
  candidates: number;
  elapsedSeconds: number;
  jobDir: string;
}

const recorded = () => recordedRuns<Run & Partial<RunStamp>>(RESULTS).map((r) => ({ ...r, seed: r.seed ?? 0 }));
const line = (r: Run) => `${r.strategy.padEnd(7)} seed ${r.seed} ${String(r.budgetSeconds).padStart(6)} s: test accuracy ${((r.testAccuracy ?? 0) * 100).toFixed(2)}%, ${r.params} parameters, ${r.candidates} candidates, ${r.elapsedSeconds} s`;

async function one(strategy: StrategyName, seconds: number, seed: number): Promise<Run | null> {
  if (resume && recorded().some((r) => r.strategy === strategy && r.budgetSeconds === seconds && r.seed === seed)) {
    if (!json) process.stdout.write(`${strategy} seed ${seed} at ${seconds} s: recorded already, skipped (--resume)\n`);
    return null;
  }
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-bench-search-')), `${strategy}-${seconds}s-seed${seed}`);
  await createJob(dir, { data: FASHION, budgetSeconds: seconds, seed, strategy });
  const s = await runJob(dir, { onEvent: (e) => e.type === 'candidate' && !json && process.stdout.write(`  ${strategy} ${e.id}: ${(Number(e.accuracy) * 100).toFixed(2)}% (${e.params} params)\n`) });
  const run: Run = { strategy, seed, budgetSeconds: seconds, testAccuracy: s.testAccuracy, valAccuracy: s.valAccuracy, params: s.params, candidates: s.candidates, elapsedSeconds: s.elapsedSeconds, jobDir: dir };
  recordRun(RESULTS, { ...run, ...runStamp() });
  if (!json) process.stdout.write(`${line(run)}\n`);
  return run;
}

/** Per strategy at `seconds`: the newest run of each seed, their mean and standard deviation, and the paired difference from random. */
function summary(seconds: number) {
  const newest = new Map<string, Run>();
  for (const r of recorded()) if (r.budgetSeconds === seconds && r.testAccuracy !== null) newest.set(`${r.strategy}/${r.seed}`, r);
  return summariseSeeds([...newest.values()]).map(({ runs, ...t }) => ({ ...t, seeds: runs.map((r) => r.seed), params: runs.map((r) => r.params), candidates: runs.map((r) => r.candidates) }));
}

if (!existsSync(FASHION)) {
  process.stdout.write(`Fashion-MNIST is not installed (${FASHION} is missing): install the Debian package dataset-fashion-mnist and run again.\n`);
  process.exitCode = 2;
} else {
  const runs: Run[] = [];
  for (const seed of seeds) for (const s of strategies) {
    const r = await one(s, budget, seed);
    if (r) runs.push(r);
  }
  if (long !== 'none') {
    const r = await one(strategies[0], parseBudget(long), 0);
    if (r) runs.push(r);
  }
  const table = summary(budget);
  if (json) process.stdout.write(`${JSON.stringify({ runs, summary: table })}\n`);
  else {
    process.stdout.write(`\nEvery run recorded at ${budget} s in ${path.relative(process.cwd(), RESULTS)}:\n`);
    for (const t of table) {
      const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
      process.stdout.write(
        `${t.strategy.padEnd(7)} ${t.testAccuracies.length} seed(s) [${t.seeds.join(', ')}]: mean test ${pct(t.mean)}${t.sd !== null ? ` ± ${(t.sd * 100).toFixed(2)}` : ''} (${t.testAccuracies.map(pct).join(', ')})` +
          `${t.vsRandom !== null ? `, ${t.vsRandom >= 0 ? '+' : ''}${(t.vsRandom * 100).toFixed(2)} points vs random on ${t.pairedSeeds} paired seed(s)` : ''}; parameters ${t.params.join(', ')}; candidates ${t.candidates.join(', ')}\n`,
      );
    }
  }
}
