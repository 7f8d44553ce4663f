/** `netsprout profile`: measure this machine and write a portable device profile with fitted latency predictors. */
import path from 'node:path';
import { NetSproutError } from '../errors.js';
import { parseRuntimeName } from '../hardware/latencyProtocol.js';
import { describeMachine } from '../hardware/machineProfile.js';
import { buildProfile, writeProfile } from '../latency/deviceProfile.js';
import { formatDuration, printJson } from './output.js';

export interface ProfileCommandOptions {
  runtime?: string;
  samples?: string;
  seconds?: string;
  batchSize?: string;
  threads?: string;
  backend?: string;
  seed?: string;
  out: string;
  json?: boolean;
}

export function positiveNumber(value: string | undefined, name: string, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new NetSproutError('CLI_BAD_OPTION', `--${name} must be a positive ${integer ? 'whole ' : ''}number, got "${value}".`, `For example --${name} ${fallback}.`);
  }
  return n;
}

export interface ProfileSummary {
  profile: string;
  samples: number;
  seconds: number;
  chosen: string;
  predictors: Array<{ name: string; kendallTau: number; mape: number; within10: number }>;
}

const round = (x: number, d = 4) => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);

export async function profileCommand(opts: ProfileCommandOptions): Promise<number> {
  const runtime = parseRuntimeName(opts.runtime ?? 'onnx');
  const samples = positiveNumber(opts.samples, 'samples', 400);
  const seconds = positiveNumber(opts.seconds, 'seconds', 480, false);
  const batchSize = positiveNumber(opts.batchSize, 'batch-size', 8);
  const threads = opts.threads === undefined ? undefined : positiveNumber(opts.threads, 'threads', 1);
  const seed = opts.seed === undefined ? 0 : Number(opts.seed);
  if (!Number.isInteger(seed)) throw new NetSproutError('CLI_BAD_OPTION', `--seed must be a whole number, got "${opts.seed}".`, 'For example --seed 0.');
  const out = path.resolve(opts.out);
  const say = (s: string) => !opts.json && process.stdout.write(`${s}\n`);
  let lastReport = 0;
  const profile = await buildProfile({
    runtime,
    samples,
    seconds,
    batchSize,
    threads,
    backend: opts.backend,
    seed,
    onProgress: (p) => {
      if (opts.json) {
        if (p.type === 'machine') printJson({ type: 'machine', machine: describeMachine(p.machine) });
        else if (p.type === 'sample') {
          if (p.index % 10 === 0) printJson({ type: 'progress', measured: p.index + 1, elapsedSeconds: round(p.elapsedSeconds, 1) });
        } else if (p.type === 'layers') printJson({ type: 'layers', measured: p.measured, skipped: p.skipped, elapsedSeconds: round(p.elapsedSeconds, 1) });
        else printJson({ type: 'fitted', name: p.name, kendallTau: round(p.heldOut.kendallTau), mape: round(p.heldOut.mape), within10: round(p.heldOut.within10) });
        return;
      }
      if (p.type === 'machine') say(`Machine: ${describeMachine(p.machine)}`);
      else if (p.type === 'sample' && p.elapsedSeconds - lastReport >= 15) {
        lastReport = p.elapsedSeconds;
        say(`  measured ${p.index + 1} architectures (${formatDuration(p.elapsedSeconds)})`);
      } else if (p.type === 'layers') say(`  measured ${p.measured} layers on their own for the lookup table${p.skipped ? ` (${p.skipped} could not be measured alone)` : ''}`);
    },
  });
  await writeProfile(out, profile);
  const summary: ProfileSummary = {
    profile: out,
    samples: profile.samples.length,
    seconds: round(profile.seconds, 1),
    chosen: profile.chosen,
    predictors: profile.predictors.map((p) => ({ name: p.name, kendallTau: round(p.heldOut.kendallTau), mape: round(p.heldOut.mape), within10: round(p.heldOut.within10) })),
  };
  if (opts.json) {
    printJson(summary);
    return 0;
  }
  const held = profile.samples.filter((s) => s.split === 'heldOut').length;
  say(`Measured ${summary.samples} architectures in ${formatDuration(profile.seconds)} with ${profile.runtime.library} ${profile.runtime.version} (${profile.runtime.backend}, ${profile.runtime.threads} thread${profile.runtime.threads === 1 ? '' : 's'}).`);
  const ref = profile.speedReference;
  if (ref) say(`The machine's speed drifted while measuring: a reference network ran from ${((ref.factorP10 - 1) * 100).toFixed(0)}% to ${((ref.factorP90 - 1) * 100).toFixed(0)}% off its typical time (p10 to p90); the latencies are brought to the typical speed.`);
  say(`Predictors on ${held} held-out architectures:`);
  for (const p of summary.predictors) {
    say(`  ${p.name === summary.chosen ? '→' : ' '} ${p.name.padEnd(14)} Kendall τ ${p.kendallTau.toFixed(3)}  MAPE ${(p.mape * 100).toFixed(1)}%  within ±10% ${(p.within10 * 100).toFixed(1)}%`);
  }
  say(`Wrote ${out} (chosen predictor: ${summary.chosen}).`);
  return 0;
}
