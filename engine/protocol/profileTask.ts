/** profile: measure this machine as a target device and write a device profile file (engine/latency). */
import path from 'node:path';
import { buildProfile, writeProfile } from '../latency/deviceProfile.js';
import type { TaskHandler } from './taskContext.js';

const MAX_SAMPLES = 400;

export const profileTask: TaskHandler<'profile'> = async (task, ctx) => {
  const out = path.resolve(task.out);
  const t0 = performance.now();
  const elapsedSeconds = () => (performance.now() - t0) / 1000;
  const profile = await buildProfile({
    runtime: task.runtime,
    samples: MAX_SAMPLES,
    seconds: task.seconds,
    signal: ctx.signal,
    onProgress: (p) => {
      if (p.type === 'sample') ctx.emit({ type: 'progress', phase: 'profile', batch: p.index + 1, elapsedSeconds: elapsedSeconds(), budgetSeconds: task.seconds, etaSeconds: Math.max(0, task.seconds - elapsedSeconds()) });
      else if (p.type === 'layers') ctx.emit({ type: 'log', message: `Measured ${p.measured} layers on their own for the lookup table.`, elapsedSeconds: elapsedSeconds() });
      else if (p.type === 'fitted') ctx.emit({ type: 'log', message: `Fitted the ${p.name} predictor.`, elapsedSeconds: elapsedSeconds() });
    },
  });
  await writeProfile(out, profile);
  return { file: out, chosen: profile.chosen };
};
