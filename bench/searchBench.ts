/**
 * npm run bench:search [-- --budget 15m] [-- --strategies hill,bayes,random] [-- --long 1h] [-- --json]
 * Fashion-MNIST (Debian's dataset-fashion-mnist, IDX files): one search per strategy at the same budget, and one
 * longer run of the default strategy. Reports test accuracy, parameters and the number of candidates of each run.
 * Runs one after the other (each uses every core); the 15-minute runs and the 1-hour one take about 1 h 45 min.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseBudget } from '../engine/search/budget.js';
import { createJob, runJob, type StrategyName } from '../engine/search/searchJob.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const json = args.includes('--json');
const budget = parseBudget(opt('--budget', '15m'));
const strategies = opt('--strategies', 'hill,bayes,random').split(',') as StrategyName[];
const long = opt('--long', '1h');

async function one(strategy: StrategyName, seconds: number) {
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-bench-search-')), `${strategy}-${seconds}s`);
  await createJob(dir, { data: FASHION, budgetSeconds: seconds, seed: 0, strategy });
  const s = await runJob(dir, { onEvent: (e) => e.type === 'candidate' && !json && process.stdout.write(`  ${strategy} ${e.id}: ${(Number(e.accuracy) * 100).toFixed(2)}% (${e.params} params)\n`) });
  return { strategy, budgetSeconds: seconds, testAccuracy: s.testAccuracy, valAccuracy: s.valAccuracy, params: s.params, candidates: s.candidates, elapsedSeconds: s.elapsedSeconds, jobDir: dir };
}

if (!existsSync(FASHION)) {
  process.stdout.write(`Fashion-MNIST is not installed (${FASHION} is missing): install the Debian package dataset-fashion-mnist and run again.\n`);
  process.exitCode = 2;
} else {
  const runs = [];
  for (const s of strategies) runs.push(await one(s, budget));
  if (long !== 'none') runs.push(await one(strategies[0], parseBudget(long)));
  if (json) process.stdout.write(`${JSON.stringify({ runs })}\n`);
  else for (const r of runs) process.stdout.write(`${r.strategy.padEnd(7)} ${String(r.budgetSeconds).padStart(6)} s: test accuracy ${((r.testAccuracy ?? 0) * 100).toFixed(2)}%, ${r.params} parameters, ${r.candidates} candidates, ${r.elapsedSeconds} s\n`);
}
