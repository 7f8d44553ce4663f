/** How the CLI talks to people: plain lines on a terminal, one JSON object per line with --json. */
import { isNetSproutError } from '../errors.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Prints an error for a person (message, hint, files) or as JSON; never a stack trace unless NETSPROUT_DEBUG is set. */
export function reportError(e: unknown, json: boolean): number {
  if (isNetSproutError(e)) {
    if (json) printJson({ error: e.toJSON() });
    else {
      process.stderr.write(`Error: ${e.message}\n`);
      if (e.hint) process.stderr.write(`  How to fix: ${e.hint}\n`);
      if (e.files.length) process.stderr.write(`  Files: ${e.files.join(', ')}\n`);
    }
    return 2;
  }
  const message = e instanceof Error ? e.message : String(e);
  if (json) printJson({ error: { code: 'INTERNAL', message, hint: 'This is a bug in NetSprout; please report it with the log.', files: [] } });
  else process.stderr.write(`Error: ${message}\n  This is a bug in NetSprout; please report it (run with NETSPROUT_DEBUG=1 for details).\n`);
  if (process.env.NETSPROUT_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return 1;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}
