/**
 * Inputs for prediction, read from a user's files and encoded exactly as the model's preprocessing spec says:
 * images decoded to the working resolution (raw 0–255 pixels), texts tokenised to ids, table rows encoded.
 * A file that cannot be used becomes an entry with the reason, never a crash; the rest go on.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { PreprocessSpec } from '../data/preprocessSpec.js';
import { walkFiles } from '../data/fileWalk.js';
import { FindingList } from '../data/findings.js';
import { decodeImage, IMAGE_EXTENSIONS, sniffFormat } from '../data/images/imageDecoder.js';
import { encodeTableRows, sniffDelimiter } from '../data/tables/csvTable.js';
import { encodeTexts } from '../data/text/textData.js';
import { decodeText } from '../data/textEncoding.js';
import { NetSproutError } from '../errors.js';

export interface EncodedInputs {
  /** One name per input: the file, or `file:line` for rows of a CSV. */
  names: string[];
  /** Raw model inputs, one after the other: pixels 0–255 (float32), token ids (int32) or encoded rows (float32). */
  values: Float32Array | Int32Array;
  /** Per-input shape (no batch dimension). */
  shape: number[];
  /** Inputs that could not be read, with the reason. */
  failed: Array<{ file: string; error: string }>;
}

async function filesUnder(p: string, extensions: Set<string>): Promise<string[]> {
  if (!statSync(p).isDirectory()) return [p];
  const files = await walkFiles(p, p, new FindingList());
  return files.map((f) => f.file).filter((f) => extensions.has(path.extname(f).toLowerCase())).sort();
}

async function readCsv(file: string): Promise<{ header: string[]; rows: string[][]; lines: number[] }> {
  const decoded = decodeText(await readFile(file));
  if (!decoded.ok) throw new NetSproutError('NOT_UTF8', `${file} cannot be read as text: ${decoded.reason}.`, 'Save it as CSV in UTF-8.', [file]);
  const records = parse(decoded.text, { delimiter: sniffDelimiter(decoded.text.split(/\r?\n/, 1)[0] ?? '', file), relax_column_count: true, skip_empty_lines: true, relax_quotes: true, bom: true, info: true }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  if (records.length < 2) throw new NetSproutError('EMPTY_FOLDER', `${file} has no data rows.`, 'Give a header row and one row per input.', [file]);
  return { header: records[0].record.map((h) => h.trim()), rows: records.slice(1).map((r) => r.record), lines: records.slice(1).map((r) => r.info.lines) };
}

async function readImages(p: string, spec: Extract<PreprocessSpec, { kind: 'images' }>): Promise<EncodedInputs> {
  const files = await filesUnder(p, IMAGE_EXTENSIONS);
  const per = spec.height * spec.width * spec.channels;
  const ok: Array<{ file: string; pixels: Uint8Array }> = [];
  const failed: EncodedInputs['failed'] = [];
  for (const file of files) {
    try {
      const buf = await readFile(file);
      const format = sniffFormat(buf.subarray(0, 16));
      if (!format) throw new Error('it is not an image NetSprout can read (PNG, JPEG, WebP, GIF, BMP, TIFF)');
      ok.push({ file, pixels: await decodeImage(buf, format, spec) });
    } catch (e) {
      failed.push({ file, error: `cannot be decoded: ${(e as Error).message}` });
    }
  }
  const values = new Float32Array(ok.length * per);
  ok.forEach((o, i) => values.set(o.pixels, i * per));
  return { names: ok.map((o) => o.file), values, shape: [spec.height, spec.width, spec.channels], failed };
}

async function readTexts(p: string, spec: Extract<PreprocessSpec, { kind: 'text' }>): Promise<EncodedInputs> {
  const names: string[] = [];
  const texts: string[] = [];
  const failed: EncodedInputs['failed'] = [];
  if (!statSync(p).isDirectory() && path.extname(p).toLowerCase() === '.csv') {
    const { header, rows, lines } = await readCsv(p);
    const meanLength = (i: number) => rows.reduce((a, r) => a + (r[i]?.length ?? 0), 0) / rows.length;
    const named = header.findIndex((h) => h.toLowerCase() === 'text');
    const col = named >= 0 ? named : header.map((_, i) => i).sort((a, b) => meanLength(b) - meanLength(a))[0];
    rows.forEach((r, i) => {
      names.push(`${p}:${lines[i]}`);
      texts.push(r[col] ?? '');
    });
  } else {
    for (const file of await filesUnder(p, new Set(['.txt']))) {
      const decoded = decodeText(await readFile(file));
      if (!decoded.ok) failed.push({ file, error: `cannot be read as text: ${decoded.reason}` });
      else {
        names.push(file);
        texts.push(decoded.text);
      }
    }
  }
  return { names, values: encodeTexts(spec, texts), shape: [spec.sequenceLength], failed };
}

async function readRows(p: string, spec: Extract<PreprocessSpec, { kind: 'table' }>): Promise<EncodedInputs> {
  const { header, rows, lines } = await readCsv(p);
  const missing = spec.columns.map((c) => c.name).filter((n) => !header.includes(n));
  if (missing.length) {
    throw new NetSproutError('MISSING_COLUMNS', `${path.basename(p)} lacks the column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} that the model was trained on.`, `Give a table with the columns ${spec.columns.map((c) => `"${c.name}"`).join(', ')} (the target "${spec.target}" may be left out).`, [p]);
  }
  return { names: lines.map((l) => `${p}:${l}`), values: encodeTableRows(spec, header, rows), shape: [spec.width], failed: [] };
}

export async function readInputs(p: string, spec: PreprocessSpec): Promise<EncodedInputs> {
  if (!existsSync(p)) throw new NetSproutError('MISSING_PATH', `${p} does not exist.`, 'Give a file, or a folder of files, to predict.', [p]);
  if (spec.kind === 'images') return readImages(p, spec);
  if (spec.kind === 'text') return readTexts(p, spec);
  return readRows(p, spec);
}
