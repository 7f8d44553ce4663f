/**
 * `netsprout experiments`: what the experiment database (TAPAS) on this machine holds, how well its accuracy
 * predictor ranks the networks of jobs it was not fitted on, and how to empty it.
 */
import { leaveOneJobOut } from '../tapas/accuracyPredictor.js';
import { clearExperiments, experimentsSummary, readExperiments } from '../tapas/experimentDb.js';
import { printJson } from './output.js';

export interface ExperimentsCommandOptions {
  clear?: boolean;
  evaluate?: boolean;
  json?: boolean;
}

export async function experimentsCommand(opts: ExperimentsCommandOptions): Promise<number> {
  const before = experimentsSummary();
  if (opts.clear) {
    clearExperiments();
    const after = experimentsSummary();
    if (opts.json) printJson({ cleared: true, removedRecords: before.records, removedBytes: before.bytes, ...after });
    else process.stdout.write(`Cleared the experiment database in ${before.dir}: ${before.records} experiments (${(before.bytes / 1024).toFixed(1)} KB) removed. The ${after.starterRecords} starter experiments shipped with NetSprout stay.\n`);
    return 0;
  }
  const evaluation = opts.evaluate ? leaveOneJobOut(readExperiments()) : null;
  if (opts.json) {
    printJson({ ...before, ...(evaluation && { evaluation }) });
    return 0;
  }
  process.stdout.write(
    `Experiment database: ${before.dir}\n` +
      `  ${before.records} experiments from ${before.jobs} jobs on ${before.datasets} datasets, ${(before.bytes / 1024).toFixed(1)} KB on disk` +
      ` (architecture encodings, dataset difficulty, epochs and accuracies only: no data, file names or class names)\n` +
      `  plus ${before.starterRecords} starter experiments shipped with NetSprout\n` +
      `  Clear it with \`netsprout experiments --clear\`; NETSPROUT_EXPERIMENTS_DIR moves it.\n`,
  );
  if (evaluation) {
    process.stdout.write(`Accuracy predictor on jobs it was not fitted on (Spearman rank correlation with the accuracies reached):\n`);
    for (const j of evaluation.jobs) process.stdout.write(`  job ${j.job} (dataset ${j.dataset}, ${j.experiments} networks): ${j.spearman.toFixed(3)}\n`);
    process.stdout.write(`  mean ${evaluation.meanSpearman.toFixed(3)} over ${evaluation.jobs.length} jobs\n`);
  }
  return 0;
}
