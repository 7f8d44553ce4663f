import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { detectKind } from '../../engine/data/detectKind.js';
import { FindingList } from '../../engine/data/findings.js';
import { inspectDataset } from '../../engine/data/inspectDataset.js';
import { disposePrepared, prepareData } from '../../engine/data/prepareData.js';
import { encodeTableRows, fitTableSpec, scanTable, type NumericColumnSpec } from '../../engine/data/tables/csvTable.js';
import { encodeTexts, fitTextSpec, tokenize } from '../../engine/data/text/textData.js';
import { decodeText } from '../../engine/data/textEncoding.js';
import type { TensorData } from '../../engine/train/trainer.js';

async function file(name: string, content: string | Buffer): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-tab-'));
  const f = path.join(dir, name);
  await mkdir(path.dirname(f), { recursive: true });
  await writeFile(f, content);
  return f;
}

const codes = (fs: Array<{ code: string }>) => fs.map((f) => f.code).sort();

beforeAll(async () => {
  await initBackend();
});

describe('tables', () => {
  const csv = ['age,city,income,bought', '34,Lyon,52000,yes', '51,Paris,,no', '29,Lyon,41000,yes', '44,Nice,n/a,no', '38,,61000,yes', '61,Paris,73000,no'].join('\n');

  it('types columns, imputes with training statistics, standardises and one-hot encodes, and records every choice', async () => {
    const f = await file('shop.csv', csv);
    const findings = new FindingList();
    const scan = (await scanTable(f, findings))!;
    expect(scan.target).toBe('bought');
    expect(scan.features.map((c) => [c.name, c.kind, c.missing])).toEqual([
      ['age', 'numeric', 0],
      ['city', 'categorical', 1],
      ['income', 'numeric', 2],
    ]);
    expect(codes(findings.items)).toEqual(['MISSING_VALUES']);
    const spec = fitTableSpec(scan, [0, 2, 4], ['no', 'yes']);
    expect(spec.columns[0]).toMatchObject({ name: 'age', kind: 'numeric', mean: (34 + 29 + 38) / 3, impute: { strategy: 'median', value: 34 } });
    expect(spec.columns[1]).toMatchObject({ name: 'city', kind: 'categorical', categories: ['Lyon'], impute: { strategy: 'most_frequent', value: 'Lyon' } });
    expect(spec.columns[2]).toMatchObject({ name: 'income', impute: { value: 52000 } });
    expect(spec.width).toBe(1 + 2 + 1);
    const x = encodeTableRows(spec, scan.header, [scan.rows[1]]);
    // Paris is unseen in training: the "other" slot; missing income: the training median.
    expect(Array.from(x.slice(1, 3))).toEqual([0, 1]);
    const income = spec.columns[2] as NumericColumnSpec;
    expect(x[3]).toBeCloseTo((52000 - income.mean) / income.std, 5);
  });

  it('reads TSV, chooses the target by name, and reports ragged rows, text in numbers and a one-valued label', async () => {
    const tsv = await file('data.tsv', 'a\tb\tlabel\n1\tx\tcat\n2\ty\tdog\n3\tz\n4\tfour\tcat\n5\tx\tdog\n');
    const findings = new FindingList();
    const scan = (await scanTable(tsv, findings, 'a'))!;
    expect(scan.delimiter).toBe('\t');
    expect(scan.target).toBe('a');
    expect(codes(findings.items)).toEqual(['RAGGED_ROWS']);
    expect(findings.items[0].message).toContain('line 4');
    const num = await file('n.csv', 'x,y,label\n1,2,a\n2,3,b\nthree,4,a\n4,5,b\n5,6,a\n6,7,b\n7,8,a\n8,9,b\n9,1,a\n10,2,b\n');
    const f2 = new FindingList();
    await scanTable(num, f2);
    expect(codes(f2.items)).toEqual(['TEXT_IN_NUMERIC_COLUMN']);
    expect(f2.items[0].message).toContain('"three" on line 4');
    const one = await file('one.csv', 'x,label\n1,a\n2,a\n3,a\n');
    const s = await inspectDataset(one);
    expect(s.usable).toBe(false);
    expect(codes(s.findings)).toContain('ONE_LABEL_VALUE');
    expect(codes((await inspectDataset(one, undefined, 'nope')).findings)).toEqual(['UNKNOWN_TARGET']);
    expect(codes((await inspectDataset(await file('nh.csv', '1,2,3\n4,5,6\n'))).findings)).toEqual(['NO_HEADER']);
  });

  it('trains from a table file end to end', async () => {
    const lines = ['x1,x2,colour,label'];
    for (let i = 0; i < 200; i++) {
      const label = i % 2 ? 'high' : 'low';
      const v = (i % 2 ? 2 : -2) + Math.sin(i);
      lines.push(`${v.toFixed(3)},${(Math.cos(i) * 3).toFixed(3)},${['red', 'green'][i % 3 === 0 ? 0 : 1]},${label}`);
    }
    const data = await prepareData(await file('t.csv', lines.join('\n')));
    expect(data.kind).toBe('table');
    expect(data.inputShape).toEqual([1 + 1 + 3]);
    expect(data.train.y.length + data.validation.y.length + data.test!.y.length).toBe(200);
    expect((data.train as TensorData).x.dtype).toBe('float32');
    disposePrepared(data);
  });
});

describe('text', () => {
  it('tokenises Unicode words in lower case', () => {
    expect(tokenize('Déjà vu, l’été! Straße 42 — naïve CAFÉ')).toEqual(['déjà', 'vu', 'l’été', 'straße', '42', 'naïve', 'café']);
  });

  it('keeps the top-K words with padding and unknown ids, and a length from the 95th percentile', () => {
    const texts = Array.from({ length: 100 }, (_, i) => Array.from({ length: i < 95 ? 10 : 40 }, (_, k) => (k % 3 ? 'common' : `w${i % 7}`)).join(' '));
    const spec = fitTextSpec(texts, ['a', 'b'], 5);
    expect(spec.vocabulary[0]).toBe('common');
    expect(spec.vocabulary).toHaveLength(5);
    expect(spec.sequenceLength).toBe(40);
    const ids = encodeTexts(spec, ['common w0 unseen', 'w6 '.repeat(100)]);
    const id = (w: string) => (spec.vocabulary.includes(w) ? spec.vocabulary.indexOf(w) + 2 : 1);
    expect(Array.from(ids.slice(0, 4))).toEqual([2, id('w0'), 1, 0]);
    expect(ids.length).toBe(2 * 40);
    expect(ids[40 + 39]).not.toBe(0);
  });

  it('decodes UTF-8, transcodes clear Western encodings and UTF-16, and refuses binary', () => {
    expect(decodeText(Buffer.from('\ufeffhé', 'utf8'))).toEqual({ ok: true, text: 'hé' });
    expect(decodeText(Buffer.from('Café crème brûlée, déjà vu, naïve façade, très bien', 'latin1'))).toMatchObject({ ok: true, text: 'Café crème brûlée, déjà vu, naïve façade, très bien' });
    expect(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hi', 'utf16le')]))).toEqual({ ok: true, text: 'hi', transcodedFrom: 'UTF-16LE' });
    expect(decodeText(Buffer.from([0x89, 0x00, 0x01, 0x02]))).toMatchObject({ ok: false });
  });

  it('reads a folder of .txt files per class, naming empty, binary and transcoded files', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'netsprout-text-'));
    for (const cls of ['spam', 'ham']) {
      await mkdir(path.join(root, cls));
      for (let i = 0; i < 12; i++) await writeFile(path.join(root, cls, `${i}.txt`), `${cls === 'spam' ? 'win money now' : 'see you at lunch'} message ${i}`);
    }
    await writeFile(path.join(root, 'ham', 'empty.txt'), '');
    await writeFile(path.join(root, 'ham', 'blank.txt'), ' \n\t');
    await writeFile(path.join(root, 'spam', 'bin.txt'), Buffer.from([1, 0, 2, 0, 3]));
    await writeFile(path.join(root, 'spam', 'old.txt'), Buffer.from('Gagnez de l’argent maintenant, très facile, déjà payé'.replace('’', "'"), 'latin1'));
    expect(await detectKind(root)).toBe('text');
    const s = await inspectDataset(root);
    expect(s.usable).toBe(true);
    expect(s.kind).toBe('text');
    expect(codes(s.findings)).toEqual(['EMPTY_TEXT', 'NOT_UTF8', 'TRANSCODED_TEXT']);
    expect(s.findings.find((f) => f.code === 'EMPTY_TEXT')!.files.sort()).toEqual([path.join(root, 'ham', 'blank.txt'), path.join(root, 'ham', 'empty.txt')].sort());
    expect(s.findings.find((f) => f.code === 'NOT_UTF8')!.files).toEqual([path.join(root, 'spam', 'bin.txt')]);
    expect(s.examples).toBe(25);
  });

  it('tells a text CSV from a table and trains on it', async () => {
    const rows = ['text,label'];
    for (let i = 0; i < 60; i++) rows.push(`"${i % 2 ? 'what a wonderful and lovely day it has been for us' : 'this was a terrible and awful experience for all of us'} ${i}",${i % 2 ? 'good' : 'bad'}`);
    const f = await file('reviews.csv', rows.join('\n'));
    expect(await detectKind(f)).toBe('text');
    const data = await prepareData(f);
    expect(data.kind).toBe('text');
    expect((data.train as TensorData).x.dtype).toBe('int32');
    expect(data.vocabularySize).toBeGreaterThan(10);
    expect(tf.max((data.train as TensorData).x).dataSync()[0]).toBeLessThan(data.vocabularySize!);
    disposePrepared(data);
  });
});
