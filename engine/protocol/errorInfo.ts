/** An error as the protocol carries it: what, how to fix, which files; a bug is named as one (its stack goes to the log). */
import { NetSproutError } from '../errors.js';
import type { EngineErrorInfo } from './messages.js';

export function errorInfo(e: unknown): EngineErrorInfo {
  if (e instanceof NetSproutError) return { code: e.code, message: e.message, hint: e.hint, files: e.files };
  const first = String((e as Error)?.message ?? e).split('\n')[0];
  return { code: 'ENGINE_FAILED', message: `The engine failed: ${first}`, hint: 'This is a bug in NetSprout; the engine log has the details.', files: [] };
}

/** Zod issues in one line: where, and what is wrong there. */
export function describeIssues(error: { issues: Array<{ path: PropertyKey[]; message: string }> }, what = 'the task'): string {
  return error.issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : what}: ${i.message}`).join('; ');
}
