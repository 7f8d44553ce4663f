/**
 * The target device of a job: resolved once (a built-in target is profiled on demand, or its cached profile reused;
 * a profile file is read), and the profile copied into the job folder (`target-profile.json`) with a `target`
 * journal event, so that a resumed job predicts with exactly the same predictor even if the cache changed since.
 * Profiling or measuring with a TF.js runtime may switch the engine's TF.js backend; the training backend is put
 * back afterwards.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { initBackend, useBackend, type BackendName } from '../backend/ladder.js';
import type { Graph } from '../graph/types.js';
import { machineProfile } from '../hardware/machineProfile.js';
import { readProfile, writeProfile, type LoadedProfile, type ProfileProgress } from '../latency/deviceProfile.js';
import { profiledHere, resolveTarget, searchSpaceFor } from '../latency/targets.js';
import type { JournalEvent } from './journal.js';

export const TARGET_PROFILE_FILE = 'target-profile.json';

export interface JobTarget {
  target: string;
  description: string;
  profile: LoadedProfile;
  /** The profile was made on this machine: latencies can be measured here to verify the front. */
  measureHere: boolean;
}

/** Seconds of profiling for a built-in target without a cached profile: a tenth of the budget, 10 s to 2 min. */
export function profileSecondsFor(budgetSeconds: number): number {
  return Math.round(Math.min(120, Math.max(10, 0.1 * budgetSeconds)));
}

/** Runs `f`, then puts the engine's TF.js backend back to the one it had (a TF.js latency runtime may switch it). */
export async function keepingBackend<T>(f: () => Promise<T>): Promise<T> {
  const before: BackendName = (await initBackend()).chosen;
  try {
    return await f();
  } finally {
    if ((await initBackend()).chosen !== before) await useBackend(before);
  }
}

export interface JobTargetOptions {
  jobDir: string;
  target: string;
  events: JournalEvent[];
  budgetSeconds: number;
  engineVersion: string;
  seed: number;
  inputShape: number[];
  classes: number;
  /** The job's seed network (what is profiled for tables and text). */
  seedGraph?: Graph;
  record(event: JournalEvent): void;
  log(message: string): void;
  onProgress?: (p: ProfileProgress) => void;
  /** Pause or cancel, while profiling (engine/stopSignal.ts). */
  signal?: AbortSignal;
}

export async function prepareJobTarget(opts: JobTargetOptions): Promise<JobTarget> {
  const file = path.join(opts.jobDir, TARGET_PROFILE_FILE);
  const here = await machineProfile({ backends: false, onnx: false });
  const known = opts.events.find((e) => e.type === 'target');
  if (known && existsSync(file)) {
    const profile = await readProfile(file);
    return { target: opts.target, description: String(known.description ?? opts.target), profile, measureHere: profiledHere(profile.profile, here) };
  }
  const resolved = await keepingBackend(() =>
    resolveTarget(opts.target, {
      engineVersion: opts.engineVersion,
      profileSeconds: profileSecondsFor(opts.budgetSeconds),
      searchSpace: searchSpaceFor(opts.inputShape, opts.classes, opts.seedGraph),
      seed: opts.seed,
      onProgress: opts.onProgress,
      signal: opts.signal,
    }),
  );
  await writeProfile(file, resolved.loaded.profile);
  const p = resolved.loaded.profile;
  const chosen = p.predictors.find((x) => x.name === p.chosen)!;
  const measureHere = profiledHere(p, here);
  opts.record({
    type: 'target',
    target: opts.target,
    description: resolved.description,
    source: resolved.source,
    profileFile: resolved.file,
    cacheKey: resolved.cacheKey ?? null,
    copiedTo: TARGET_PROFILE_FILE,
    runtime: p.runtime,
    samples: p.samples.length,
    profileSeconds: p.seconds,
    predictor: p.chosen,
    heldOut: chosen.heldOut,
    measureHere,
  });
  const how = resolved.source === 'cache' ? 'its cached profile' : resolved.source === 'profiled' ? `a profile made now in ${Math.round(p.seconds)} s (cached for the next job)` : `the profile ${resolved.file}`;
  opts.log(
    `Target: ${resolved.description}, with ${how}: ${p.samples.length} architectures measured, ${p.chosen} predictor (held out: Kendall τ ${chosen.heldOut.kendallTau?.toFixed(2)}, ${(chosen.heldOut.within10 * 100).toFixed(0)}% within ±10%).` +
      (measureHere ? '' : ' The profile is of another machine: the front cannot be measured here and keeps predicted latencies.'),
  );
  if (resolved.source === 'profiled' && p.seconds > 0.5 * opts.budgetSeconds) {
    opts.log(`Profiling the target took ${Math.round(p.seconds)} s of the ${Math.round(opts.budgetSeconds)} s budget (a busy machine measures slowly); the profile is cached, so the next job on this machine starts searching at once.`);
  }
  return { target: opts.target, description: resolved.description, profile: await readProfile(file), measureHere };
}
