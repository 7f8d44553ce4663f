/**
 * One call of the AppApi from outside (an IPC message, an HTTP request): the method must exist, its arguments are
 * validated with AppApiArgs, and the answer or the error comes back in one envelope. Errors meant for people keep
 * their code, message, hint and files; anything else is reported as a bug, its stack to the log only.
 */
import { NetSproutError } from '../../engine/errors.js';
import { describeIssues } from '../../engine/protocol/errorInfo.js';
import { AppApiArgs, type AppApi, type AppApiMethod, type AppError } from '../common/appApi.js';

export type Dispatched = { ok: true; value: unknown } | { ok: false; status: number; error: AppError };

export function isApiMethod(name: string): name is AppApiMethod {
  return Object.prototype.hasOwnProperty.call(AppApiArgs, name);
}

export function toAppError(e: unknown): { status: number; error: AppError } {
  if (e instanceof NetSproutError) {
    const status = /_MISSING$|^MISSING_|NOT_FOUND/.test(e.code) ? 404 : 422;
    return { status, error: { code: e.code, message: e.message, hint: e.hint, files: e.files } };
  }
  process.stderr.write(`netsprout: ${(e as Error)?.stack ?? String(e)}\n`);
  return { status: 500, error: { code: 'APP_FAILED', message: `NetSprout failed: ${String((e as Error)?.message ?? e).split('\n')[0]}`, hint: 'This is a bug in NetSprout; please report it with the log.', files: [] } };
}

export async function dispatch(api: Omit<AppApi, 'onEvent'>, method: string, args: unknown): Promise<Dispatched> {
  if (!isApiMethod(method)) {
    return { ok: false, status: 404, error: { code: 'API_UNKNOWN_METHOD', message: `There is no call "${method}".`, hint: `The calls are: ${Object.keys(AppApiArgs).join(', ')}.`, files: [] } };
  }
  if (!Array.isArray(args)) {
    return { ok: false, status: 400, error: { code: 'API_BAD_ARGUMENTS', message: `${method} takes its arguments as a JSON array.`, hint: 'Send the arguments in an array, e.g. [] for none.', files: [] } };
  }
  // JSON has no `undefined`: an argument left out in the middle arrives as null (predictFiles(job, undefined, files)).
  const parsed = AppApiArgs[method].safeParse(args.map((a) => (a === null ? undefined : a)));
  if (!parsed.success) {
    return { ok: false, status: 400, error: { code: 'API_BAD_ARGUMENTS', message: `${method} was called with wrong arguments: ${describeIssues(parsed.error, 'the arguments')}.`, hint: 'Check the argument at the position named (0 is the first) against main/common/appApi.ts.', files: [] } };
  }
  try {
    const fn = api[method] as (...a: unknown[]) => Promise<unknown>;
    const value = await fn.apply(api, parsed.data as unknown[]);
    return { ok: true, value: value ?? null };
  } catch (e) {
    return { ok: false, ...toAppError(e) };
  }
}
