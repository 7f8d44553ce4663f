/**
 * One engine per job folder: a job's journal must have one writer. An engine that finds another one's pid in
 * `engine.pid` waits for it to end (an engine left behind by an app that was killed stops at its next batch), and
 * refuses the job if it does not.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NetSproutError } from '../errors.js';

export const JOB_LOCK_FILE = 'engine.pid';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(file: string): number | null {
  if (!existsSync(file)) return null;
  const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : null;
}

/** Takes the job folder for this process; returns the function that gives it back. */
export async function lockJob(jobDir: string, waitMs = 60_000): Promise<() => void> {
  const file = path.join(jobDir, JOB_LOCK_FILE);
  const until = performance.now() + waitMs;
  let pid = holder(file);
  while (pid !== null && performance.now() < until) {
    await sleep(200);
    pid = holder(file);
  }
  if (pid !== null) {
    throw new NetSproutError('JOB_BUSY', `Another engine (process ${pid}) is still running the job in ${jobDir}.`, `Wait for it to stop, or end process ${pid}; then resume the job.`, [file]);
  }
  writeFileSync(file, String(process.pid));
  return () => {
    try {
      if (readFileSync(file, 'utf8') === String(process.pid)) rmSync(file, { force: true });
    } catch {
      // Already gone.
    }
  };
}
