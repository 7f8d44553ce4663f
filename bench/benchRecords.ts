/**
 * Benchmark results that outlive a sitting: each finished run is appended as one JSON line to a file under
 * bench/results/ with the commit, the date and the CPU, so a table that takes hours can be built over several
 * sittings (`--resume` skips what is recorded) and the figures in the README can be traced to the runs.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RunStamp {
  commit: string;
  date: string;
  cpu: string;
}

/** The commit is read once, when the benchmark starts: the code that ran, even if the checkout moves on meanwhile. */
const startCommit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
})();

export function runStamp(): RunStamp {
  return { commit: startCommit, date: new Date().toISOString(), cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}` };
}

export function recordRun(file: string, row: object): void {
  mkdirSync(path.dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(row)}\n`);
}

/** Every recorded row (oldest first). */
export function recordedRuns<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}
