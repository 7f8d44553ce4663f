import { initBackend } from '../backend/ladder.js';
import { printJson } from './output.js';

export async function backendsCommand(opts: { backend?: string; json?: boolean }): Promise<number> {
  const choice = await initBackend(opts.backend);
  if (opts.json) {
    printJson({ chosen: choice.chosen, threads: choice.threads, backends: choice.backends });
    return 0;
  }
  for (const b of choice.backends) {
    process.stdout.write(`${b.name === choice.chosen ? '→' : ' '} ${b.name.padEnd(14)} ${b.available ? 'available  ' : 'unavailable'}  ${b.reason}\n`);
  }
  process.stdout.write(`Chosen: ${choice.chosen} (${choice.threads} thread${choice.threads === 1 ? '' : 's'})\n`);
  return 0;
}
