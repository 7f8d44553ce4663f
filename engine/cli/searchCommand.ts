import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SingleBar } from 'cli-progress';
import { NetSproutError } from '../errors.js';
import { BUILT_IN_TARGETS, isBuiltInTarget, openTargetRuntime } from '../latency/targets.js';
import { parseBudget } from '../search/budget.js';
import { createJob, runJob, STRATEGIES, type JobEvent, type JobSummary, type StrategyName } from '../search/searchJob.js';
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
          info: e.type !== 'progress' ? '' : e.phase === 'profile' ? `profiling the target: ${e.measured} architectures measured` : `${e.candidate ? `candidate ${e.candidate}, ` : ''}epoch ${e.epoch}/${e.epochs}`,
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
      } else if (e.type === 'front') {
        const members = e.members as Array<{ id: string }>;
        line(`${e.verified ? 'Verified front' : `Front after generation ${e.generation}`}: ${members.map((m) => m.id).join(', ')} (hypervolume ${Number(e.hypervolume).toFixed(4)})`);
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
  /** The target device: cpu, gpu, browser, or a device profile file. */
  target?: string;
  /** The column to predict in a table or text CSV. */
  targetColumn?: string;
  maxParams?: string;
  maxLatencyMs?: string;
  maxSizeMb?: string;
  json?: boolean;
}

function positive(value: string | undefined, option: string, example: string, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new NetSproutError('CLI_BAD_OPTION', `--${option} must be a positive ${integer ? 'whole ' : ''}number, got "${value}".`, `For example --${option} ${example}.`);
  }
  return n;
}

export async function searchCommand(opts: SearchCommandOptions): Promise<number> {
  const budgetSeconds = parseBudget(opts.budget);
  const strategy = (opts.strategy ?? 'hill') as StrategyName;
  if (!STRATEGIES.includes(strategy)) throw new NetSproutError('CLI_BAD_OPTION', `--strategy must be one of ${STRATEGIES.join(', ')}, got "${opts.strategy}".`, `Use --strategy ${STRATEGIES.join(', ')} (auto picks one for the data and budget).`);
  const maxLatencyMs = positive(opts.maxLatencyMs, 'max-latency-ms', '2');
  const maxSizeMb = positive(opts.maxSizeMb, 'max-size-mb', '0.5');
  const maxParams = positive(opts.maxParams, 'max-params', '50000', true);
  // A profile file is recorded by its absolute path (the job may be resumed from another folder).
  const targetDevice = opts.target === undefined ? undefined : isBuiltInTarget(opts.target) ? opts.target : path.resolve(opts.target);
  if (targetDevice !== undefined && !isBuiltInTarget(targetDevice) && !existsSync(targetDevice)) {
    throw new NetSproutError(
      'TARGET_UNKNOWN',
      `"${opts.target}" is neither a built-in target nor a device profile file.`,
      `Use ${BUILT_IN_TARGETS.join(', ')} (this computer's CPU or GPU, a browser), or the path of a file made with \`netsprout profile --out device.json\`.`,
      [opts.target!],
    );
  }
  // A GPU target that cannot run here is refused before any job folder is made.
  if (targetDevice === 'gpu') await openTargetRuntime('gpu');
  const data = path.resolve(opts.data ?? SAMPLE_DATA);
  const jobDir = path.resolve(opts.out);
  await createJob(jobDir, {
    data,
    kind: opts.kind ? parseKind(opts.kind) : undefined,
    target: opts.targetColumn,
    budgetSeconds,
    seed: Number(opts.seed ?? 0),
    strategy,
    maxParams,
    targetDevice,
    maxLatencyMs,
    maxSizeMb,
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
    if (json) {
      printJson({
        jobDir: summary.jobDir,
        testAccuracy: summary.testAccuracy,
        valAccuracy: summary.valAccuracy,
        params: summary.params,
        candidates: summary.candidates,
        elapsedSeconds: summary.elapsedSeconds,
        budgetSeconds: summary.budgetSeconds,
        front: (summary.front ?? []).map((m) => ({ id: m.id, valAccuracy: m.valAccuracy, testAccuracy: m.testAccuracy, latencyMs: m.latencyMs, latencyPredictedMs: m.latencyPredictedMs, params: m.params })),
        hypervolume: summary.hypervolume ?? null,
      });
    } else {
      process.stdout.write(
        `Done in ${formatDuration(summary.elapsedSeconds)} of ${formatDuration(summary.budgetSeconds)}: ${summary.candidates} candidates; the best (${summary.bestId}, ${summary.params.toLocaleString('en')} parameters) reaches ${(summary.valAccuracy * 100).toFixed(2)}% on validation` +
          (summary.testAccuracy !== null ? ` and ${(summary.testAccuracy * 100).toFixed(2)}% on the test split` : '') +
          `. The model is in ${path.join(summary.jobDir, 'final')}.\n`,
      );
      if (summary.front?.length) process.stdout.write(frontTable(summary));
    }
    return 0;
  } finally {
    r.stop();
    process.removeListener('SIGINT', onSignal);
  }
}

/** The verified front as a table for people: accuracy, latency (measured and predicted), size. */
function frontTable(summary: JobSummary): string {
  const pct = (x: number | null) => (x === null ? '   --  ' : `${(x * 100).toFixed(2).padStart(6)}%`);
  const ms = (x: number | null) => (x === null ? '     --' : x.toFixed(3).padStart(7));
  const lines = [
    `The front${summary.target ? ` on ${summary.target.description}` : ''} (hypervolume ${summary.hypervolume.toFixed(4)}); export any of them with \`netsprout export ${summary.jobDir} --candidate <id> --out <folder>\`:`,
    '  candidate      validation   test   latency ms (measured / predicted)   parameters',
    ...summary.front.map((m) => `  ${(m.id === summary.bestId ? '→ ' : '  ') + m.id.padEnd(12)} ${pct(m.valAccuracy)} ${pct(m.testAccuracy)}   ${ms(m.latencyMs)} / ${ms(m.latencyPredictedMs)}              ${m.params.toLocaleString('en').padStart(10)}`),
  ];
  return `${lines.join('\n')}\n`;
}
