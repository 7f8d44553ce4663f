/**
 * Tables: a CSV or TSV file with a header row. The target column is chosen by name (default: the last). Numeric
 * columns are standardised and categorical ones one-hot encoded; missing values are imputed (median / most frequent)
 * and every choice is recorded in the preprocessing spec, fitted on the training rows only.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { listFiles, type FindingList } from '../findings.js';
import { decodeText } from '../textEncoding.js';

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?', '-']);
export const isMissing = (v: string): boolean => MISSING.has(v.trim().toLowerCase());
const NUMBER = /^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/;
export const parseNumber = (v: string): number => (NUMBER.test(v.trim()) ? Number(v.trim().replace(',', '.')) : NaN);

/** Categorical columns with more distinct values than this keep the most frequent ones and an "other" bucket. */
export const MAX_CATEGORIES = 50;

export interface TableScan {
  file: string;
  delimiter: string;
  header: string[];
  /** Rows that have as many cells as the header, in file order. */
  rows: string[][];
  /** 1-based line numbers of those rows in the file (for messages). */
  lines: number[];
  target: string;
  targetIndex: number;
  /** Detected kind of every feature column (all but the target). */
  features: Array<{ name: string; index: number; kind: 'numeric' | 'categorical'; missing: number }>;
}

export interface NumericColumnSpec {
  name: string;
  kind: 'numeric';
  mean: number;
  std: number;
  impute: { strategy: 'median'; value: number };
}

export interface CategoricalColumnSpec {
  name: string;
  kind: 'categorical';
  encoding: 'one-hot';
  categories: string[];
  /** Values not among `categories` (rarer ones, or unseen in training) map to this extra slot. */
  other: boolean;
  impute: { strategy: 'most_frequent'; value: string };
}

export interface TablePreprocessSpec {
  kind: 'table';
  version: 1;
  target: string;
  classes: string[];
  columns: Array<NumericColumnSpec | CategoricalColumnSpec>;
  /** Length of an encoded row. */
  width: number;
}

export function sniffDelimiter(firstLine: string, file: string): string {
  if (path.extname(file).toLowerCase() === '.tsv') return '\t';
  const counts = [',', '\t', ';'].map((d) => [d, firstLine.split(d).length - 1] as const);
  return counts.sort((a, b) => b[1] - a[1])[0][1] > 0 ? counts[0][0] : ',';
}

/** Reads and checks a table; returns null when it cannot be used (the findings say why). */
export async function scanTable(file: string, findings: FindingList, targetName?: string): Promise<TableScan | null> {
  const decoded = decodeText(await readFile(file));
  const name = path.basename(file);
  if (!decoded.ok) {
    findings.error('NOT_UTF8', `${name} cannot be read as text: ${decoded.reason}.`, 'Save the table as CSV in UTF-8 (in Excel: "CSV UTF-8").', [file]);
    return null;
  }
  if (decoded.transcodedFrom) {
    findings.warning('TRANSCODED_TEXT', `${name} is not UTF-8; it was read as ${decoded.transcodedFrom}.`, 'Check that accented letters look right; saving as UTF-8 avoids the guess.', [file]);
  }
  const firstLine = decoded.text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = sniffDelimiter(firstLine, file);
  let records: string[][];
  try {
    records = parse(decoded.text, { delimiter, relax_column_count: true, skip_empty_lines: true, relax_quotes: true, bom: true }) as string[][];
  } catch (e) {
    findings.error('RAGGED_ROWS', `${name} is not a well-formed table: ${(e as Error).message}.`, 'Open it in a spreadsheet program and save it again as CSV.', [file]);
    return null;
  }
  if (records.length < 2) {
    findings.error('EMPTY_FOLDER', `${name} has no data rows.`, 'A table needs a header row and one row per example.', [file]);
    return null;
  }
  const header = records[0].map((h) => h.trim());
  if (header.every((h) => !Number.isNaN(parseNumber(h)))) {
    findings.error('NO_HEADER', `The first row of ${name} holds numbers, not column names.`, 'Add a header row naming each column.', [file]);
    return null;
  }
  const rows: string[][] = [];
  const lines: number[] = [];
  const ragged: number[] = [];
  records.slice(1).forEach((r, i) => {
    if (r.length === header.length) {
      rows.push(r);
      lines.push(i + 2);
    } else ragged.push(i + 2);
  });
  if (ragged.length) {
    findings.warning(
      'RAGGED_ROWS',
      `${ragged.length} row${ragged.length > 1 ? 's' : ''} of ${name} ${ragged.length > 1 ? 'have' : 'has'} a different number of cells than the header (${header.length}): line${ragged.length > 1 ? 's' : ''} ${listFiles(ragged.map(String), 5)}; ${ragged.length > 1 ? 'they were' : 'it was'} skipped.`,
      'Look for a missing or extra separator (a comma inside an unquoted value) on those lines.',
      [file],
    );
  }
  const targetIndex = targetName === undefined ? header.length - 1 : header.indexOf(targetName);
  if (targetIndex < 0) {
    findings.error('UNKNOWN_TARGET', `${name} has no column "${targetName}".`, `Choose one of: ${header.join(', ')}.`, [file]);
    return null;
  }
  const target = header[targetIndex];
  const features: TableScan['features'] = [];
  const missingCols: string[] = [];
  for (let c = 0; c < header.length; c++) {
    if (c === targetIndex) continue;
    const values = rows.map((r) => r[c]);
    const present = values.filter((v) => !isMissing(v));
    const numeric = present.filter((v) => !Number.isNaN(parseNumber(v)));
    const missing = values.length - present.length;
    if (missing) missingCols.push(`"${header[c]}" (${missing})`);
    let kind: 'numeric' | 'categorical' = 'categorical';
    if (present.length && numeric.length / present.length >= 0.9) {
      kind = 'numeric';
      if (numeric.length < present.length) {
        const bad = rows.map((r, i) => ({ v: r[c], line: lines[i] })).filter((x) => !isMissing(x.v) && Number.isNaN(parseNumber(x.v)));
        findings.warning(
          'TEXT_IN_NUMERIC_COLUMN',
          `Column "${header[c]}" holds numbers, but ${bad.length} cell${bad.length > 1 ? 's hold' : ' holds'} text (${listFiles(bad.map((b) => `"${b.v}" on line ${b.line}`), 3)}); they are treated as missing.`,
          'Correct those cells, or leave them empty if the value is unknown.',
          [file],
        );
      }
    }
    features.push({ name: header[c], index: c, kind, missing: missing + (kind === 'numeric' ? present.length - numeric.length : 0) });
  }
  if (missingCols.length) {
    findings.warning('MISSING_VALUES', `${name} has missing values in ${missingCols.join(', ')}; they are filled in (numbers with the median, categories with the most frequent value).`, 'Fill them in if you know them.', [file]);
  }
  const labelValues = new Set(rows.map((r) => r[targetIndex]).filter((v) => !isMissing(v)));
  if (labelValues.size === 1) {
    findings.error('ONE_LABEL_VALUE', `The target column "${target}" of ${name} has only one value ("${[...labelValues][0]}").`, 'Choose the column you want to predict; it needs at least two different values.', [file]);
  }
  return { file, delimiter, header, rows, lines, target, targetIndex, features };
}

/** Fits the encoding on the training rows. */
export function fitTableSpec(scan: TableScan, trainRows: number[], classes: string[]): TablePreprocessSpec {
  const columns: TablePreprocessSpec['columns'] = [];
  let width = 0;
  for (const f of scan.features) {
    const values = trainRows.map((i) => scan.rows[i][f.index]);
    if (f.kind === 'numeric') {
      const nums = values.map(parseNumber).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
      const median = nums.length ? nums[Math.floor(nums.length / 2)] : 0;
      const mean = nums.length ? nums.reduce((a, b) => a + b, 0) / nums.length : 0;
      const variance = nums.length ? nums.reduce((a, b) => a + (b - mean) ** 2, 0) / nums.length : 1;
      columns.push({ name: f.name, kind: 'numeric', mean, std: Math.sqrt(variance) || 1, impute: { strategy: 'median', value: median } });
      width += 1;
    } else {
      const counts = new Map<string, number>();
      for (const v of values) if (!isMissing(v)) counts.set(v.trim(), (counts.get(v.trim()) ?? 0) + 1);
      const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const categories = ranked.slice(0, MAX_CATEGORIES).map(([k]) => k).sort();
      columns.push({ name: f.name, kind: 'categorical', encoding: 'one-hot', categories, other: true, impute: { strategy: 'most_frequent', value: ranked[0]?.[0] ?? '' } });
      width += categories.length + 1;
    }
  }
  return { kind: 'table', version: 1, target: scan.target, classes, columns, width };
}

/** Encodes rows (cells in header order, the target ignored) with a fitted spec. */
export function encodeTableRows(spec: TablePreprocessSpec, header: string[], rows: string[][]): Float32Array {
  const out = new Float32Array(rows.length * spec.width);
  const idx = spec.columns.map((c) => header.indexOf(c.name));
  rows.forEach((row, r) => {
    let o = r * spec.width;
    spec.columns.forEach((c, k) => {
      const raw = row[idx[k]] ?? '';
      if (c.kind === 'numeric') {
        const v = isMissing(raw) || Number.isNaN(parseNumber(raw)) ? c.impute.value : parseNumber(raw);
        out[o++] = (v - c.mean) / c.std;
      } else {
        const v = isMissing(raw) ? c.impute.value : raw.trim();
        const at = c.categories.indexOf(v);
        out[o + (at < 0 ? c.categories.length : at)] = 1;
        o += c.categories.length + 1;
      }
    });
  });
  return out;
}
