/**
 * Errors meant for people: a code, a plain message, a hint for the fix and the files concerned.
 * The CLI and the UI show them as they are; stack traces go to the log only.
 */
export class NetSproutError extends Error {
  readonly code: string;
  readonly hint: string;
  readonly files: string[];

  constructor(code: string, message: string, hint = '', files: string[] = []) {
    super(message);
    this.name = 'NetSproutError';
    this.code = code;
    this.hint = hint;
    this.files = files;
  }

  toJSON(): { code: string; message: string; hint: string; files: string[] } {
    return { code: this.code, message: this.message, hint: this.hint, files: this.files };
  }
}

export function isNetSproutError(e: unknown): e is NetSproutError {
  return e instanceof NetSproutError;
}
