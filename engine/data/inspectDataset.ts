/** What `netsprout inspect` and the app's Data step show: kind, classes and counts, sizes, findings. */
import { checkClasses } from './classBalance.js';
import { resolveKind } from './prepareData.js';
import type { DataKind } from './detectKind.js';
import { FindingList, type Finding } from './findings.js';
import { loadIdxFolder } from './idx.js';
import { chooseResolution } from './images/imageDataset.js';
import { scanImageCsv, scanImageFolder } from './images/imageFolder.js';
import { statSync } from 'node:fs';
import { NetSproutError } from '../errors.js';
import { isMissing, scanTable } from './tables/csvTable.js';
import { fitTextSpec, scanTextCsv, scanTextFolder } from './text/textData.js';

export interface DatasetSummary {
  path: string;
  kind: DataKind | null;
  usable: boolean;
  examples: number;
  classes: Array<{ name: string; count: number; train?: number; test?: number }>;
  imbalance?: number;
  classWeights?: number[];
  images?: { minWidth: number; maxWidth: number; minHeight: number; maxHeight: number; workingResolution: { height: number; width: number; channels: number }; splitFolders: boolean };
  table?: { target: string; columns: Array<{ name: string; kind: 'numeric' | 'categorical'; missing: number }> };
  text?: { vocabulary: number; sequenceLength: number; samples: Array<{ label: string; text: string }> };
  findings: Finding[];
}

export async function inspectDataset(p: string, kindOverride?: DataKind, target?: string): Promise<DatasetSummary> {
  const findings = new FindingList();
  const kind = await resolveKind(p, findings, kindOverride);
  const summary: DatasetSummary = { path: p, kind, usable: false, examples: 0, classes: [], findings: findings.items };
  if (kind === 'images') {
    const scan = statSync(p).isFile() ? await scanImageCsv(p, findings, { target }) : await scanImageFolder(p, findings);
    const balance = checkClasses(scan.items.map((i) => i.label), findings, 'The dataset');
    summary.examples = scan.items.length;
    summary.classes = balance.classes.map((name, i) => {
      const entry: DatasetSummary['classes'][number] = { name, count: balance.counts[i] };
      if (scan.hasSplitFolders) {
        entry.train = scan.items.filter((it) => it.label === name && it.split === 'train').length;
        entry.test = scan.items.filter((it) => it.label === name && it.split === 'test').length;
      }
      return entry;
    });
    summary.imbalance = balance.imbalance;
    summary.classWeights = balance.classWeights;
    if (scan.items.length) {
      const ws = scan.items.map((i) => i.info.width);
      const hs = scan.items.map((i) => i.info.height);
      summary.images = {
        minWidth: Math.min(...ws),
        maxWidth: Math.max(...ws),
        minHeight: Math.min(...hs),
        maxHeight: Math.max(...hs),
        workingResolution: chooseResolution(scan.items),
        splitFolders: scan.hasSplitFolders,
      };
    }
  } else if (kind === 'idx') {
    try {
      const ds = await loadIdxFolder(p);
      const labels = Array.from(ds.train.labels, String);
      const balance = checkClasses(labels, findings, 'The dataset');
      summary.examples = ds.train.count + (ds.test?.count ?? 0);
      summary.classes = balance.classes.map((name, i) => ({ name, count: balance.counts[i] }));
      summary.images = {
        minWidth: ds.train.width,
        maxWidth: ds.train.width,
        minHeight: ds.train.height,
        maxHeight: ds.train.height,
        workingResolution: { height: ds.train.height, width: ds.train.width, channels: 1 },
        splitFolders: ds.test !== undefined,
      };
    } catch (e) {
      if (!(e instanceof NetSproutError)) throw e;
      findings.error('CORRUPT_IMAGE', e.message, e.hint, e.files);
    }
  } else if (kind === 'table') {
    const scan = await scanTable(p, findings, target);
    if (scan) {
      const labels = scan.rows.map((r) => r[scan.targetIndex].trim()).filter((l) => !isMissing(l));
      const balance = checkClasses(labels, findings, `The target column "${scan.target}"`, 'value');
      summary.examples = labels.length;
      summary.classes = balance.classes.map((name, i) => ({ name, count: balance.counts[i] }));
      summary.imbalance = balance.imbalance;
      summary.classWeights = balance.classWeights;
      summary.table = { target: scan.target, columns: scan.features.map((f) => ({ name: f.name, kind: f.kind, missing: f.missing })) };
    }
  } else if (kind === 'text') {
    const examples = statSync(p).isDirectory() ? await scanTextFolder(p, findings) : await scanTextCsv(p, findings, target);
    if (examples) {
      const balance = checkClasses(examples.map((e) => e.label), findings, 'The dataset');
      summary.examples = examples.length;
      summary.classes = balance.classes.map((name, i) => ({ name, count: balance.counts[i] }));
      summary.imbalance = balance.imbalance;
      summary.classWeights = balance.classWeights;
      const spec = fitTextSpec(examples.map((e) => e.text), balance.classes);
      summary.text = { vocabulary: spec.vocabulary.length, sequenceLength: spec.sequenceLength, samples: examples.slice(0, 3).map((e) => ({ label: e.label, text: e.text.slice(0, 200) })) };
    }
  }
  summary.usable = !findings.hasErrors;
  return summary;
}
