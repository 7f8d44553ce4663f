/**
 * Every failure the UI shows is an AppError: what went wrong (code, message), how to fix it (hint) and the files
 * concerned. Whatever a binding throws (an AppError from the services, an HTTP failure, a lost connection, a bug)
 * is turned into one here, so components never show a stack trace or "[object Object]".
 */
import type { AppError } from '../../../../main/common/appApi';

export type { AppError };

export class AppCallError extends Error implements AppError {
  readonly code: string;
  readonly hint: string;
  readonly files: string[];
  /** The AppApi method that failed, for the message's context. */
  readonly method?: string;

  constructor(info: AppError, method?: string) {
    super(info.message);
    this.name = 'AppCallError';
    this.code = info.code;
    this.hint = info.hint ?? '';
    this.files = info.files ?? [];
    this.method = method;
  }
}

function isErrorInfo(v: unknown): v is AppError {
  return typeof v === 'object' && v !== null && typeof (v as AppError).code === 'string' && typeof (v as AppError).message === 'string';
}

/** Reads an AppError out of whatever a binding threw or a server answered ({error: {...}} or the info itself). */
export function toAppError(e: unknown, method?: string): AppCallError {
  if (e instanceof AppCallError) return e;
  if (typeof e === 'object' && e !== null && isErrorInfo((e as { error?: unknown }).error)) {
    return new AppCallError((e as { error: AppError }).error, method);
  }
  if (isErrorInfo(e)) return new AppCallError({ code: e.code, message: e.message, hint: e.hint ?? '', files: e.files ?? [] }, method);
  if (e instanceof Error) {
    // Electron wraps errors thrown in ipcMain handlers: "Error invoking remote method 'x': Error: {json}".
    const json = /(\{.*"code".*\})\s*$/s.exec(e.message)?.[1];
    if (json) {
      try {
        return toAppError(JSON.parse(json), method);
      } catch {
        /* not JSON after all */
      }
    }
    return new AppCallError({ code: 'UNEXPECTED', message: e.message, hint: 'This looks like a bug in NetSprout. Try again; if it keeps happening, restart the app.', files: [] }, method);
  }
  return new AppCallError({ code: 'UNEXPECTED', message: String(e), hint: '', files: [] }, method);
}
