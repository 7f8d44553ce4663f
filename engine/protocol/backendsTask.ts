/** backends: which compute backends load here and the one the engine uses (for the app's target list). */
import { initBackend } from '../backend/ladder.js';
import type { TaskHandler } from './taskContext.js';

export const backendsTask: TaskHandler<'backends'> = async () => {
  const choice = await initBackend();
  return { chosen: choice.chosen, threads: choice.threads, backends: choice.backends.map((b) => ({ name: b.name, available: b.available, reason: b.reason })) };
};
