import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SingleBar } from 'cli-progress';
import { NetSproutError } from '../errors.js';
import { parseBudget } from '../search/budget.js';
import { createJob, runJob, STRATEGIES, type JobEvent, type StrategyName } from '../search/searchJob.js';
import { formatDuration, printJson } from './output.js';
import { parseKind } from './trainCommand.js';

/** The bundled sample dataset, used when no --data is given. */
export const SAMPLE_DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../assets/sample/fashion-mnist');

function reporter(json: boolean): { onEvent: (e: JobEvent) => void; stop: () => void } {
  if (json) return { onEvent: (e) => e.type !== 'progress' && printJson(e), stop: () => undefined };
  const bar = process.stderr.isTTY ? new SingleBar({ format: ' {bar} {percentage}% | {phase} | {info} | elapsed {elapsed_h} | ETA {eta_h}', hideCursor: true }) : null;
  let started = false;
  let lastPhase = '';
  return {
    onEvent: (e) => {
      const elapsed = Number(e.elapsedSeconds ?? 0);
      const budget = Number(e.budgetSeconds ?? 0);
      if (bar && budget) {
        if (!started) {
          bar.start(Math.round(budget), 0, { phase: 'starting', info: '', elapsed_h: '0s', eta_h: formatDuration(budget) });
          started = true;
        }
        bar.update(Math.min(Math.round(elapsed), Math.round(budget)), {
          phase: String(e.phase ?? lastPhase),
          info: e.type === 'progress' ? `${e.candidate ? `candidate ${e.candidate}, ` : ''}epoch ${e.epoch}/${e.epochs}` : '',
          elapsed_h: formatDuration(elapsed),
          eta_h: formatDuration(Math.max(0, budget - elapsed)),
        });
      }
      if (e.phase) lastPhase = String(e.phase);
      const line = (s: string) => {
        if (bar && started) bar.stop();
        process.stdout.write(`${s}\n`);
        if (bar && started) bar.start(Math.round(budget || 1), Math.round(elapsed), { phase: lastPhase, info: '', elapsed_h: formatDuration(elapsed), eta_h: formatDuration(Math.max(0, budget - elapsed)) });
      };
      if (e.type === 'candidate') {
        line(
          `Candidate ${e.id}${e.parentId ? ` (from ${e.parentId}${(e.morphs as unknown[]).length ? `, ${(e.morphs as Array<{ op: string }>).map((m) => m.op).join(' + ')}` : ''})` : ''}: ${
            e.status === 'trained' ? `validation accuracy ${(Number(e.accuracy) * 100).toFixed(2)}%${e.accuracyInherited !== null ? ` (inherited ${(Number(e.accuracyInherited) * 100).toFixed(2)}%)` : ''}, ${Number(e.params).toLocaleString('en')} parameters, ${Number(e.seconds).toFixed(1)} s` : `failed: ${e.reason}`
          }`,
        );
      } else if (e.type === 'log') line(String(e.message));
    },
    stop: () => bar?.stop(),
  };
}

export interface SearchCommandOptions {
  data?: string;
  budget: string;
  strategy?: string;
  seed?: string;
  out: string;
  kind?: string;
  target?: string;
  maxParams?: string;
  json?: boolean;
}

export async function searchCommand(opts: SearchCommandOptions): Promise<number> {
  const budgetSeconds = parseBudget(opts.budget);
  const strategy = (opts.strategy ?? 'hill') as StrategyName;
  if (!STRATEGIES.includes(strategy)) throw new NetSproutError('CLI_BAD_OPTION', `--strategy must be one of ${STRATEGIES.join(', ')}, got "${opts.strategy}".`, 'Use --strategy hill, bayes or random.');
  const data = path.resolve(opts.data ?? SAMPLE_DATA);
  const jobDir = path.resolve(opts.out);
  await createJob(jobDir, {
    data,
    kind: opts.kind ? parseKind(opts.kind) : undefined,
    target: opts.target,
    budgetSeconds,
    seed: Number(opts.seed ?? 0),
    strategy,
    maxParams: opts.maxParams ? Number(opts.maxParams) : undefined,
  });
  return runAndReport(jobDir, opts.json === true);
}

export async function resumeCommand(jobDir: string, opts: { json?: boolean }): Promise<number> {
  return runAndReport(path.resolve(jobDir), opts.json === true);
}

async function runAndReport(jobDir: string, json: boolean): Promise<number> {
  const r = reporter(json);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const summary = await runJob(jobDir, { onEvent: r.onEvent, signal: controller.signal });
    r.stop();
    if (json) printJson({ jobDir: summary.jobDir, testAccuracy: summary.testAccuracy, valAccuracy: summary.valAccuracy, params: summary.params, candidates: summary.candidates, elapsedSeconds: summary.elapsedSeconds, budgetSeconds: summary.budgetSeconds });
    else {
      process.stdout.write(
        `Done in ${formatDuration(summary.elapsedSeconds)} of ${formatDuration(summary.budgetSeconds)}: ${summary.candidates} candidates; the best (${summary.bestId}, ${summary.params.toLocaleString('en')} parameters) reaches ${(summary.valAccuracy * 100).toFixed(2)}% on validation` +
          (summary.testAccuracy !== null ? ` and ${(summary.testAccuracy * 100).toFixed(2)}% on the test split` : '') +
          `. The model is in ${path.join(summary.jobDir, 'final')}.\n`,
      );
    }
    return 0;
  } finally {
    r.stop();
    process.removeListener('SIGINT', onSignal);
  }
}
