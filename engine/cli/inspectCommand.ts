import { inspectDataset } from '../data/inspectDataset.js';
import { printJson } from './output.js';
import { parseKind } from './trainCommand.js';

/** Exit 0 when the data is usable (warnings allowed), 3 when it is not. */
export async function inspectCommand(p: string, opts: { json?: boolean; kind?: string; target?: string }): Promise<number> {
  const summary = await inspectDataset(p, opts.kind ? parseKind(opts.kind) : undefined, opts.target);
  if (opts.json) {
    printJson(summary);
    return summary.usable ? 0 : 3;
  }
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`${summary.path}: ${summary.kind ?? 'unrecognised'}, ${summary.examples} usable example${summary.examples === 1 ? '' : 's'}, ${summary.classes.length} class${summary.classes.length === 1 ? '' : 'es'}.`);
  const widest = Math.max(0, ...summary.classes.map((c) => c.name.length));
  const most = Math.max(1, ...summary.classes.map((c) => c.count));
  for (const c of summary.classes) {
    const bar = '█'.repeat(Math.max(1, Math.round((c.count / most) * 30)));
    out(`  ${c.name.padEnd(widest)}  ${String(c.count).padStart(6)}  ${bar}${c.train !== undefined ? `  (train ${c.train}, test ${c.test})` : ''}`);
  }
  if (summary.images) {
    const i = summary.images;
    const r = i.workingResolution;
    out(`Image sizes ${i.minWidth}–${i.maxWidth} × ${i.minHeight}–${i.maxHeight} pixels; NetSprout will work at ${r.width} × ${r.height}, ${r.channels === 1 ? 'grayscale' : 'colour'}.`);
  }
  if (summary.table) out(`Target column "${summary.table.target}"; features: ${summary.table.columns.map((c) => `${c.name} (${c.kind}${c.missing ? `, ${c.missing} missing` : ''})`).join(', ')}.`);
  if (summary.text) out(`Vocabulary ${summary.text.vocabulary} words; sequences of ${summary.text.sequenceLength} tokens (95th percentile of lengths).`);
  if (summary.classWeights) out(`Class weights (offered, use --class-weights with train): ${summary.classWeights.map((w) => w.toFixed(2)).join(', ')}`);
  for (const f of summary.findings) {
    out();
    out(`${f.severity === 'error' ? 'Error' : 'Warning'} [${f.code}]: ${f.message}`);
    out(`  How to fix: ${f.hint}`);
  }
  out();
  out(summary.usable ? 'The data is usable.' : 'The data cannot be used until the errors above are fixed.');
  return summary.usable ? 0 : 3;
}
