/**
 * Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017) as NASH uses it: every training call starts
 * at λ_start and anneals to λ_end by its last step. With `restartEpochs` (T0) the cosine restarts after T0 epochs,
 * then after T0·Tmult, and so on.
 */
export interface SgdrOptions {
  lrStart: number;
  lrEnd: number;
  /** T0 in epochs; omit for one cosine over the whole call. */
  restartEpochs?: number;
  /** Tmult: each cycle is this many times longer than the last. */
  restartMultiplier?: number;
  /** Steps at the start of the call over which the rate rises linearly from λ_start / warmupSteps to λ_start. */
  warmupSteps?: number;
}

export function sgdrLearningRate(opts: SgdrOptions, step: number, stepsPerEpoch: number, totalSteps: number): number {
  let cycleStart = 0;
  let cycleLength = totalSteps;
  if (opts.restartEpochs && opts.restartEpochs > 0) {
    cycleLength = Math.max(1, Math.round(opts.restartEpochs * stepsPerEpoch));
    const mult = opts.restartMultiplier ?? 1;
    while (step >= cycleStart + cycleLength) {
      cycleStart += cycleLength;
      cycleLength = Math.max(1, Math.round(cycleLength * mult));
    }
    cycleLength = Math.min(cycleLength, Math.max(1, totalSteps - cycleStart));
  }
  const t = cycleLength <= 1 ? 1 : (step - cycleStart) / (cycleLength - 1);
  const lr = opts.lrEnd + 0.5 * (opts.lrStart - opts.lrEnd) * (1 + Math.cos(Math.PI * Math.min(1, t)));
  return opts.warmupSteps && step < opts.warmupSteps ? lr * ((step + 1) / opts.warmupSteps) : lr;
}
