/** inspect: the summary and findings of `netsprout inspect`, plus a preview of the data for the Data step. */
import { inspectDataset } from '../data/inspectDataset.js';
import { dataPreview } from './dataPreview.js';
import type { TaskHandler } from './taskContext.js';

export const inspectTask: TaskHandler<'inspect'> = async (task) => {
  const summary = await inspectDataset(task.path, task.kind, task.target);
  const preview = await dataPreview(task.path, summary, task.previewPerClass, task.target);
  return { ...summary, preview };
};
