/**
 * app.json: what the app knows about a job, written into the job's own folder beside the engine's job.json and
 * journal.jsonl, so that the projects store can be rebuilt from the job folders alone (DESIGN.md "Storage").
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { readJournal } from '../../engine/search/journal.js';
import { TargetChoice } from '../common/appApi.js';

export const APP_JOB_FILE = 'app.json';

export const ProjectRecord = z.object({
  id: z.string(),
  name: z.string(),
  dataPath: z.string(),
  kind: z.string().nullable(),
  targetColumn: z.string().optional(),
  createdAt: z.string(),
  isSample: z.boolean(),
});
export type ProjectRecord = z.infer<typeof ProjectRecord>;

const errorInfo = z.object({ code: z.string(), message: z.string(), hint: z.string(), files: z.array(z.string()) });

export const JobRecord = z.object({
  id: z.string(),
  projectId: z.string(),
  status: z.enum(['queued', 'running', 'paused', 'interrupted', 'cancelled', 'failed', 'done']),
  strategy: z.string(),
  budgetSeconds: z.number(),
  seed: z.number(),
  target: TargetChoice,
  jobDir: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  elapsedSeconds: z.number(),
  bestAccuracy: z.number().nullable(),
  candidates: z.number(),
  error: errorInfo.optional(),
  summary: z.object({ valAccuracy: z.number(), testAccuracy: z.number().nullable(), params: z.number(), bestId: z.string() }).nullable(),
});
export type JobRecord = z.infer<typeof JobRecord>;

export const CandidateRecord = z.object({
  jobId: z.string(),
  id: z.string(),
  parentId: z.string().nullable(),
  status: z.enum(['trained', 'failed']),
  accuracy: z.number(),
  params: z.number(),
  latencyPredictedMs: z.number().nullable(),
  elapsedSeconds: z.number(),
});
export type CandidateRecord = z.infer<typeof CandidateRecord>;

const AppJobFile = z.object({
  format: z.literal('netsprout-app-job'),
  version: z.literal(1),
  project: ProjectRecord,
  job: JobRecord.pick({ id: true, projectId: true, strategy: true, budgetSeconds: true, seed: true, target: true, createdAt: true }),
});
type AppJobFile = z.infer<typeof AppJobFile>;

export async function writeAppJobFile(jobDir: string, project: ProjectRecord, job: JobRecord): Promise<void> {
  const body: AppJobFile = {
    format: 'netsprout-app-job',
    version: 1,
    project,
    job: { id: job.id, projectId: job.projectId, strategy: job.strategy, budgetSeconds: job.budgetSeconds, seed: job.seed, target: job.target, createdAt: job.createdAt },
  };
  const file = path.join(jobDir, APP_JOB_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify(body, null, 1));
  await rename(`${file}.tmp`, file);
}

/** A candidate's summary from its journal event. */
export function candidateRecord(jobId: string, e: Record<string, unknown>): CandidateRecord {
  return {
    jobId,
    id: String(e.id),
    parentId: (e.parentId as string | null) ?? null,
    status: e.status === 'failed' ? 'failed' : 'trained',
    accuracy: Number(e.accuracy ?? 0),
    params: Number(e.params ?? 0),
    latencyPredictedMs: typeof e.latencyPredictedMs === 'number' ? e.latencyPredictedMs : null,
    elapsedSeconds: Number(e.elapsedSeconds ?? 0),
  };
}

/** What a job folder says about itself: null when it is not one the app made (no readable app.json). */
export function readJobFolder(jobDir: string): { project: ProjectRecord; job: JobRecord; candidates: CandidateRecord[] } | null {
  const file = path.join(jobDir, APP_JOB_FILE);
  if (!existsSync(file)) return null;
  let meta: AppJobFile;
  try {
    meta = AppJobFile.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return null;
  }
  let events: Array<Record<string, unknown>> = [];
  try {
    events = readJournal(path.join(jobDir, 'journal.jsonl')).events;
  } catch {
    // A damaged journal: the job is listed, and resuming it will say what is wrong.
  }
  const candidates = events.filter((e) => e.type === 'candidate').map((e) => candidateRecord(meta.job.id, e));
  const done = events.find((e) => e.type === 'done');
  const summary = done?.summary as { valAccuracy: number; testAccuracy: number | null; params: number; bestId: string; elapsedSeconds: number } | undefined;
  const trained = candidates.filter((c) => c.status === 'trained');
  const elapsed = Math.max(0, ...events.map((e) => Number(e.elapsedSeconds ?? 0)).filter(Number.isFinite));
  const updatedAt = String(events.at(-1)?.at ?? meta.job.createdAt);
  return {
    project: meta.project,
    candidates,
    job: {
      ...meta.job,
      // Without the store, a job that did not finish is one the app lost track of: interrupted, and resumable.
      status: summary ? 'done' : 'interrupted',
      jobDir,
      updatedAt,
      elapsedSeconds: summary?.elapsedSeconds ?? elapsed,
      bestAccuracy: trained.length ? Math.max(...trained.map((c) => c.accuracy)) : null,
      candidates: trained.length,
      summary: summary ? { valAccuracy: summary.valAccuracy, testAccuracy: summary.testAccuracy, params: summary.params, bestId: summary.bestId } : null,
    },
  };
}

/** Every job folder under the jobs folder that the app made. */
export function readJobFolders(jobsDir: string): Array<NonNullable<ReturnType<typeof readJobFolder>>> {
  if (!existsSync(jobsDir)) return [];
  return readdirSync(jobsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => readJobFolder(path.join(jobsDir, d.name)))
    .filter((r): r is NonNullable<typeof r> => r !== null)
    .sort((a, b) => a.job.createdAt.localeCompare(b.job.createdAt));
}
