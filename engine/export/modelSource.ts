/**
 * Where a model to export or to predict with comes from: a job folder (its final model, or one of the candidates
 * it kept, with the job's spec and summary for the model card), or a checkpoint folder written by
 * `netsprout train --save`. Says exactly what is missing when neither fits.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { NetSproutError } from '../errors.js';
import { readJournal, type JournalEvent } from '../search/journal.js';
import type { JobSpec, JobSummary } from '../search/searchJob.js';
import { loadCheckpoint, type LoadedCheckpoint } from '../train/checkpoint.js';

export interface ModelSource {
  /** The checkpoint folder the weights come from. */
  checkpointDir: string;
  /** 'final', a candidate id, or 'checkpoint' for a folder from `train --save`. */
  which: string;
  job?: { dir: string; spec: JobSpec; summary?: JobSummary; events: JournalEvent[] };
}

const isCheckpoint = (dir: string) => existsSync(path.join(dir, 'graph.json')) && existsSync(path.join(dir, 'weights.json'));

function keptCandidates(jobDir: string): string[] {
  const dir = path.join(jobDir, 'candidates');
  return existsSync(dir) ? readdirSync(dir).filter((id) => isCheckpoint(path.join(dir, id))).sort() : [];
}

export async function resolveModelSource(p: string, candidate?: string): Promise<ModelSource> {
  const dir = path.resolve(p);
  if (!existsSync(dir)) throw new NetSproutError('MODEL_MISSING', `${p} does not exist.`, 'Give a job folder (from `netsprout search --out`) or a checkpoint folder (from `netsprout train --save`).', [p]);
  if (existsSync(path.join(dir, 'job.json'))) {
    const spec = JSON.parse(await readFile(path.join(dir, 'job.json'), 'utf8')) as JobSpec;
    const { events } = readJournal(path.join(dir, 'journal.jsonl'));
    const summary = events.find((e) => e.type === 'done')?.summary as JobSummary | undefined;
    const job = { dir, spec, summary, events };
    const kept = keptCandidates(dir);
    const keptHint = kept.length ? `Candidates kept in this job: ${kept.join(', ')}.` : 'This job keeps no candidate checkpoints.';
    if (candidate) {
      const cdir = path.join(dir, 'candidates', candidate);
      if (!isCheckpoint(cdir)) {
        const known = events.some((e) => e.type === 'candidate' && e.id === candidate);
        throw new NetSproutError(
          'CANDIDATE_MISSING',
          known ? `Candidate ${candidate} was trained, but its weights were not kept (the search keeps only the candidates it still needs).` : `The job in ${p} has no candidate ${candidate}.`,
          `${keptHint} Without --candidate the job's final model is exported.`,
          [cdir],
        );
      }
      return { checkpointDir: cdir, which: candidate, job };
    }
    const final = path.join(dir, 'final');
    if (!isCheckpoint(final)) {
      throw new NetSproutError('JOB_NOT_FINISHED', `The job in ${p} has no final model yet.`, `Finish it with \`netsprout resume ${p}\`, or export a candidate with --candidate <id>. ${keptHint}`, [final]);
    }
    return { checkpointDir: final, which: 'final', job };
  }
  if (isCheckpoint(dir)) return { checkpointDir: dir, which: 'checkpoint' };
  throw new NetSproutError('MODEL_MISSING', `${p} is neither a NetSprout job folder (job.json) nor a checkpoint folder (graph.json, weights.json).`, 'Give the folder that `netsprout search --out` or `netsprout train --save` wrote.', [p]);
}

/** The checkpoint with its preprocessing spec, which every export and prediction needs. */
export async function loadSourceCheckpoint(source: ModelSource): Promise<LoadedCheckpoint & { preprocess: NonNullable<LoadedCheckpoint['preprocess']> }> {
  const c = await loadCheckpoint(source.checkpointDir);
  if (!c.preprocess) {
    throw new NetSproutError('PREPROCESS_MISSING', `The model in ${source.checkpointDir} was saved without its preprocessing spec (preprocess.json).`, 'Train it again with this version of NetSprout (`netsprout train --save` writes the spec).', [source.checkpointDir]);
  }
  return c as LoadedCheckpoint & { preprocess: NonNullable<LoadedCheckpoint['preprocess']> };
}
