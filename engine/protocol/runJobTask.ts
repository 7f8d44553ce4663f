/** runJob: start or resume the search job in a folder (engine/search/searchJob.ts), relaying its events. */
import { NetSproutError } from '../errors.js';
import { runJob } from '../search/searchJob.js';
import { lockJob } from './jobLock.js';
import type { TaskHandler } from './taskContext.js';

export const runJobTask: TaskHandler<'runJob'> = async (task, ctx) => {
  const unlock = await lockJob(task.jobDir);
  try {
    // Paused or cancelled before it began: nothing to stop.
    if (ctx.signal.aborted) throw new NetSproutError('JOB_CANCELLED', 'The job was stopped before it started.', 'Resume it to start it.', [task.jobDir]);
    const summary = await runJob(task.jobDir, { onEvent: (e) => ctx.emit(e), signal: ctx.signal });
    return { summary: { ...summary } };
  } finally {
    unlock();
  }
};
