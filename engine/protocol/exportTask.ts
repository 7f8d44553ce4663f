/** export: write a job's model as Keras, ONNX and TF.js files, verified before the folder appears (engine/export). */
import { exportModel } from '../export/exportModel.js';
import type { TaskHandler } from './taskContext.js';

export const exportTask: TaskHandler<'export'> = async (task, ctx) => {
  const t0 = performance.now();
  const report = await exportModel({
    model: task.jobDir,
    candidate: task.candidate,
    formats: task.formats,
    outDir: task.outDir,
    onStep: (step, index, total) => ctx.emit({ type: 'progress', phase: `export:${step}`, batch: index + 1, batches: total, elapsedSeconds: (performance.now() - t0) / 1000 }),
  });
  return { ...report };
};
