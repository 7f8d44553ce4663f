/**
 * Findings: every problem NetSprout sees in a dataset, in words a person can act on.
 * error: the data cannot be used as it is; warning: usable, and the files concerned are skipped (or the issue noted).
 */
export type Severity = 'error' | 'warning';

export type FindingCode =
  | 'MISSING_PATH'
  | 'EMPTY_FOLDER'
  | 'ONE_CLASS'
  | 'FEW_EXAMPLES'
  | 'CORRUPT_IMAGE'
  | 'ZERO_BYTE_FILE'
  | 'NOT_AN_IMAGE'
  | 'IMAGE_TOO_LARGE'
  | 'SYMLINK_OUTSIDE'
  | 'DUPLICATE_ACROSS_CLASSES'
  | 'RAGGED_ROWS'
  | 'MISSING_VALUES'
  | 'TEXT_IN_NUMERIC_COLUMN'
  | 'ONE_LABEL_VALUE'
  | 'NOT_UTF8'
  | 'TRANSCODED_TEXT'
  | 'EMPTY_TEXT'
  | 'UNKNOWN_TARGET'
  | 'IMBALANCED_CLASSES'
  | 'UNKNOWN_KIND'
  | 'MISSING_IMAGE_FILE'
  | 'NO_HEADER'
  | 'NO_LABEL'
  | 'UNREADABLE_FILE';

export interface Finding {
  severity: Severity;
  code: FindingCode;
  message: string;
  hint: string;
  files: string[];
}

/** Lists of files are capped in messages (all files stay in `files`). */
export function listFiles(files: string[], max = 3): string {
  const shown = files.slice(0, max).join(', ');
  return files.length > max ? `${shown} and ${files.length - max} more` : shown;
}

export class FindingList {
  readonly items: Finding[] = [];

  add(severity: Severity, code: FindingCode, message: string, hint: string, files: string[] = []): void {
    this.items.push({ severity, code, message, hint, files });
  }

  error(code: FindingCode, message: string, hint: string, files: string[] = []): void {
    this.add('error', code, message, hint, files);
  }

  warning(code: FindingCode, message: string, hint: string, files: string[] = []): void {
    this.add('warning', code, message, hint, files);
  }

  get hasErrors(): boolean {
    return this.items.some((f) => f.severity === 'error');
  }
}
