/**
 * The stop signal of long work: an AbortSignal that fires when a job is paused or cancelled (the engine process's
 * control message, Ctrl-C on the command line). Long loops check it between their steps (files, batches,
 * architectures measured) with `throwIfStopped`, so that a pause takes effect within a step in every phase of a job.
 * What was finished stays finished (the journal, the caches); a stopped job resumes from there.
 */
import { NetSproutError } from './errors.js';

/** The error code of work stopped on request (a resumable stop, not a failure). */
export const STOPPED_CODE = 'JOB_CANCELLED';

/** Throws the stop error when `signal` has fired; `doing` says what was stopped, e.g. "reading the data". */
export function throwIfStopped(signal: AbortSignal | undefined, doing: string): void {
  if (signal?.aborted) throw stoppedError(doing);
}

export function stoppedError(doing: string): NetSproutError {
  return new NetSproutError(STOPPED_CODE, `Stopped while ${doing}.`, 'It was paused or cancelled; resume the job to go on from where it stopped.');
}

/** Whether `e` is the error of work stopped on request. */
export function isStopped(e: unknown): boolean {
  return e instanceof NetSproutError && e.code === STOPPED_CODE;
}
