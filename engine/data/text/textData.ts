/**
 * Text: a CSV of text and label, or a folder with one sub-folder of .txt files per class. Tokens are Unicode words
 * in lower case; the vocabulary keeps the K most frequent training words (0 = padding, 1 = unknown), and the
 * sequence length is the 95th percentile of the training texts' lengths (NeuNetS truncates and pads to a fixed
 * MAX; the percentile keeps 95% of texts whole without padding every text to the longest one).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { listDir, mapLimit, walkFiles } from '../fileWalk.js';
import { listFiles, type FindingList } from '../findings.js';
import { scanTable } from '../tables/csvTable.js';
import { decodeText } from '../textEncoding.js';

export const PAD_ID = 0;
export const UNKNOWN_ID = 1;
export const DEFAULT_VOCABULARY = 20000;
export const LENGTH_PERCENTILE = 0.95;
export const MIN_SEQUENCE = 8;
export const MAX_SEQUENCE = 500;
const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

export interface TextPreprocessSpec {
  kind: 'text';
  version: 1;
  lowercase: true;
  normalisation: 'NFKC';
  tokenPattern: string;
  /** vocabulary[i] has token id i + 2. */
  vocabulary: string[];
  padId: typeof PAD_ID;
  unknownId: typeof UNKNOWN_ID;
  sequenceLength: number;
  /** Longer texts keep their beginning. */
  truncate: 'end';
  classes: string[];
}

export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(TOKEN) ?? [];
}

export interface TextExample {
  text: string;
  label: string;
  /** The file (folder layout) or the CSV file and line. */
  source: string;
}

export async function scanTextFolder(root: string, findings: FindingList, signal?: AbortSignal): Promise<TextExample[]> {
  const top = await listDir(root, root, findings);
  const out: TextExample[] = [];
  const empty: string[] = [];
  for (const dir of top.dirs) {
    const label = path.basename(dir);
    const files = (await walkFiles(dir, root, findings)).filter((f) => path.extname(f.file).toLowerCase() === '.txt');
    const read = await mapLimit(files, 16, async (f) => {
      if (f.size === 0) return { f, empty: true as const };
      const decoded = decodeText(await readFile(f.file));
      return { f, decoded };
    }, signal);
    for (const r of read) {
      if ('empty' in r) {
        empty.push(r.f.file);
        continue;
      }
      if (!r.decoded.ok) {
        findings.warning('NOT_UTF8', `${r.f.rel} cannot be read as text: ${r.decoded.reason}; it was skipped.`, 'Save it as UTF-8 text.', [r.f.file]);
        continue;
      }
      if (r.decoded.transcodedFrom) {
        findings.warning('TRANSCODED_TEXT', `${r.f.rel} is not UTF-8; it was read as ${r.decoded.transcodedFrom}.`, 'Check that accented letters look right; saving as UTF-8 avoids the guess.', [r.f.file]);
      }
      if (r.decoded.text.trim() === '') empty.push(r.f.file);
      else out.push({ text: r.decoded.text, label, source: r.f.file });
    }
  }
  if (empty.length) {
    findings.warning('EMPTY_TEXT', `${empty.length} text file${empty.length > 1 ? 's are' : ' is'} empty and skipped: ${listFiles(empty.map((f) => path.relative(root, f)))}.`, 'Remove them or put the text back.', empty);
  }
  return out;
}

/** A CSV of text and label: the text column is the one with the longest values; the label is the target column. */
export async function scanTextCsv(file: string, findings: FindingList, targetName?: string): Promise<TextExample[] | null> {
  const scan = await scanTable(file, findings, targetName);
  if (!scan) return null;
  const candidates = scan.features.filter((f) => f.kind === 'categorical');
  if (!candidates.length) {
    findings.error('UNKNOWN_KIND', `${path.basename(file)} has no column of text.`, 'A text dataset has one column of text and one of labels.', [file]);
    return null;
  }
  const meanLength = (i: number) => scan.rows.reduce((a, r) => a + r[i].length, 0) / Math.max(1, scan.rows.length);
  const textCol = candidates.sort((a, b) => meanLength(b.index) - meanLength(a.index))[0];
  const out: TextExample[] = [];
  const empty: number[] = [];
  scan.rows.forEach((r, i) => {
    if (r[textCol.index].trim() === '') empty.push(scan.lines[i]);
    else out.push({ text: r[textCol.index], label: r[scan.targetIndex].trim(), source: `${file}:${scan.lines[i]}` });
  });
  if (empty.length) {
    findings.warning('EMPTY_TEXT', `${empty.length} row${empty.length > 1 ? 's' : ''} of ${path.basename(file)} ${empty.length > 1 ? 'have' : 'has'} no text in column "${textCol.name}" (line${empty.length > 1 ? 's' : ''} ${listFiles(empty.map(String), 5)}); skipped.`, 'Fill in the text or remove those rows.', [file]);
  }
  return out;
}

/** Fits the vocabulary and the sequence length on the training texts. */
export function fitTextSpec(texts: string[], classes: string[], vocabularySize = DEFAULT_VOCABULARY): TextPreprocessSpec {
  const counts = new Map<string, number>();
  const lengths: number[] = [];
  for (const t of texts) {
    const tokens = tokenize(t);
    lengths.push(tokens.length);
    for (const w of tokens) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const vocabulary = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, vocabularySize).map(([w]) => w);
  lengths.sort((a, b) => a - b);
  const p = lengths[Math.min(lengths.length - 1, Math.floor(LENGTH_PERCENTILE * lengths.length))] ?? MIN_SEQUENCE;
  return {
    kind: 'text',
    version: 1,
    lowercase: true,
    normalisation: 'NFKC',
    tokenPattern: TOKEN.source,
    vocabulary,
    padId: PAD_ID,
    unknownId: UNKNOWN_ID,
    sequenceLength: Math.max(MIN_SEQUENCE, Math.min(MAX_SEQUENCE, p)),
    truncate: 'end',
    classes,
  };
}

/** Token ids [n, sequenceLength]: padded with 0 at the end, unknown words 1. */
export function encodeTexts(spec: TextPreprocessSpec, texts: string[]): Int32Array {
  const ids = new Map(spec.vocabulary.map((w, i) => [w, i + 2]));
  const L = spec.sequenceLength;
  const out = new Int32Array(texts.length * L);
  texts.forEach((t, k) => {
    const tokens = tokenize(t).slice(0, L);
    tokens.forEach((w, i) => (out[k * L + i] = ids.get(w) ?? UNKNOWN_ID));
  });
  return out;
}
