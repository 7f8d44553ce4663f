/**
 * What this machine's training speed was in its last jobs, so that a job's plan does not rest on a few seconds of
 * probing alone. The speed is what a job's trainings took against their work (seconds per training sample per unit
 * of `trainingWork`, the final training included: minutes of real training, not seconds), one line per job, per
 * backend and data kind (the work model fits each kind differently). It holds no data, only these numbers, next to the experiment
 * database (NETSPROUT_EXPERIMENTS_DIR moves both; `netsprout experiments --clear` empties both).
 *
 * Why: on a shared 2-core machine the 3-s probe of the seed network measured 98 ms a batch at the start of one
 * 1-hour job and 36 ms three minutes earlier, and the same network's real epochs took 26–41 s within one job; the
 * plan made from one probe (the seed's epochs, the children's epochs, auto's choice) is kept for the whole job.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MACHINE_SPEED, experimentsDir } from '../tapas/experimentDb.js';

export interface SpeedRecord {
  v: 1;
  backend: string;
  kind: string;
  secPerSampleWork: number;
  /** How many trainings the job's estimate was made from. */
  trainings: number;
  at: string;
}

/** How many past jobs count: the machine changes (a new driver, a busier desk), so only the last few. */
const HISTORY = 4;

/** The last jobs' speeds on this backend and data kind, oldest first. */
export function speedHistory(backend: string, kind: string, dir = experimentsDir()): number[] {
  const file = path.join(dir, MACHINE_SPEED);
  if (!existsSync(file)) return [];
  const out: number[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    try {
      const r = JSON.parse(line) as SpeedRecord;
      if (r.v === 1 && r.backend === backend && r.kind === kind && r.secPerSampleWork > 0 && Number.isFinite(r.secPerSampleWork)) out.push(r.secPerSampleWork);
    } catch {
      // An empty line, or one cut short by a crash.
    }
  }
  return out.slice(-HISTORY);
}

export function rememberSpeed(r: Omit<SpeedRecord, 'v' | 'at'>, dir = experimentsDir()): void {
  if (!(r.secPerSampleWork > 0) || !Number.isFinite(r.secPerSampleWork) || r.trainings < 1) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(path.join(dir, MACHINE_SPEED), `${JSON.stringify({ v: 1, ...r, at: new Date().toISOString() })}\n`);
}

/**
 * The speed a plan uses: the median of the probe and the last jobs' speeds (the probe alone without history). A
 * probe caught in a slow or fast moment is outvoted by jobs that trained for minutes; when the machine really
 * changed, the probe and the newest jobs agree and carry the median within a job or two.
 */
export function planningSpeed(probe: number, history: number[]): number {
  const all = [probe, ...history].sort((a, b) => a - b);
  const mid = all.length >> 1;
  return all.length % 2 ? all[mid] : Math.sqrt(all[mid - 1] * all[mid]);
}
