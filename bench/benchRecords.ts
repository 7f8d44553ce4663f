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
  /** The git tree of engine/ that ran (`+dirty` when it had uncommitted changes): runs with the same engine code. */
  engine: string;
  date: string;
  cpu: string;
}

const git = (...args: string[]): string | null => {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};

/** The commit is read once, when the benchmark starts: the code that ran, even if the checkout moves on meanwhile. */
const startCommit = git('rev-parse', '--short', 'HEAD') ?? 'unknown';
const engineTrees = new Map<string, string>();
/** The short git tree of engine/ at a commit ('unknown' outside a checkout or for a commit it does not have). */
export function engineAt(commit: string): string {
  if (!engineTrees.has(commit)) engineTrees.set(commit, git('rev-parse', '--short', `${commit}:engine`) ?? 'unknown');
  return engineTrees.get(commit) as string;
}

const startEngine = (() => {
  const tree = engineAt(startCommit);
  return git('status', '--porcelain', '--', 'engine') ? `${tree}+dirty` : tree;
})();

/** The engine code this sitting runs; runs recorded before the stamp had it are matched by their commit. */
export const currentEngine = (): string => startEngine;

/** The engine code a recorded run ran: its stamp, or for runs recorded before the stamp had it, that of its commit. */
export function engineOf(r: Partial<RunStamp>): string {
  return r.engine ?? (r.commit ? engineAt(r.commit) : 'unknown');
}

export function runStamp(): RunStamp {
  return { commit: startCommit, engine: startEngine, date: new Date().toISOString(), cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}` };
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

export function average(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** A recorded run of a strategy on one seed. */
export interface SeedRun {
  strategy: string;
  seed: number;
  testAccuracy: number | null;
}

export interface StrategySummary<T extends SeedRun> {
  strategy: string;
  /** Its runs with a test accuracy, by seed. */
  runs: T[];
  testAccuracies: number[];
  mean: number;
  sd: number | null;
  /** Mean paired difference from random search on the seeds both ran (null without such seeds, and for random). */
  vsRandom: number | null;
  pairedSeeds: number;
}

/** Per strategy (in order of first appearance), over one run per seed: test accuracy's mean and spread, and the paired difference from random. */
export function summariseSeeds<T extends SeedRun>(runs: T[]): StrategySummary<T>[] {
  const measured = runs.filter((r) => r.testAccuracy !== null);
  return [...new Set(measured.map((r) => r.strategy))].map((strategy) => {
    const mine = measured.filter((r) => r.strategy === strategy).sort((a, b) => a.seed - b.seed);
    const acc = mine.map((r) => r.testAccuracy as number);
    const mean = average(acc);
    const sd = acc.length > 1 ? Math.sqrt(acc.reduce((a, b) => a + (b - mean) ** 2, 0) / (acc.length - 1)) : null;
    const paired = strategy === 'random' ? [] : mine.flatMap((r) => {
      const base = measured.find((x) => x.strategy === 'random' && x.seed === r.seed);
      return base ? [(r.testAccuracy as number) - (base.testAccuracy as number)] : [];
    });
    return { strategy, runs: mine, testAccuracies: acc, mean, sd, vsRandom: paired.length ? average(paired) : null, pairedSeeds: paired.length };
  });
}
