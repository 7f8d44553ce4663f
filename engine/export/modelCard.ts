/**
 * The model card, in Markdown and in HTML: what the model was trained on, how it was found (budget, strategy),
 * its architecture drawn, its accuracy with a confusion matrix and per-class figures, its latency measured on this
 * machine, its size, the proof that the exported files agree with NetSprout, and how to load each file in
 * Python and JavaScript. The HTML is one self-contained file (inline SVG and CSS, no script, no remote content).
 */
import type { PreprocessSpec } from '../data/preprocessSpec.js';
import type { InputDescription } from './preprocessingDoc.js';
import type { Agreement, LatencyMeasurement, WeightComparison } from './verifyExport.js';

export interface PerClass {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ModelCardData {
  title: string;
  createdAt: string;
  engineVersion: string;
  data: { path?: string; kind: PreprocessSpec['kind']; classes: string[]; counts?: { train: number; validation: number; test: number }; steps: string[]; input: InputDescription; augmentation?: string };
  job?: { dir: string; strategy: string; budgetSeconds: number; elapsedSeconds?: number; candidates?: number; which: string; seed: number };
  metrics: { testAccuracy?: number | null; validationAccuracy?: number; evaluatedOn: 'test' | 'validation' | null; confusion?: number[][]; perClass?: PerClass[] };
  model: { params: number; macs: number; weightBytes: number; layers: number; files: Array<{ name: string; bytes: number }> };
  latency?: LatencyMeasurement & { device: string };
  verification: { sampleSource: string; onnx?: Agreement; tfjs?: Agreement; keras?: WeightComparison };
  architectureSvg: string;
}

/** Precision, recall and F1 of every class from a confusion matrix (rows: true class, columns: predicted). */
export function perClassFigures(confusion: number[][], classes: string[]): PerClass[] {
  return classes.map((name, k) => {
    const tp = confusion[k][k];
    const support = confusion[k].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[k], 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    return { name, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support };
  });
}

export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]][predicted[i]]++;
  return m;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(2)}%`);
const mb = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB`);
const secs = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(2)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`);
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function pythonInput(d: ModelCardData): string[] {
  const shape = d.data.input.shape.slice(1).join(', ');
  if (d.data.kind === 'images') {
    const mode = d.data.input.shape[3] === 1 ? 'L' : 'RGB';
    return [
      'from PIL import Image, ImageOps',
      `img = ImageOps.pad(Image.open("photo.jpg").convert("${mode}"), (${d.data.input.shape[2]}, ${d.data.input.shape[1]}), color=0)`,
      `x = np.asarray(img, dtype="float32").reshape(1, ${shape})  # raw 0-255, NHWC`,
    ];
  }
  if (d.data.kind === 'text') {
    return [
      'import re, unicodedata',
      'spec = prep["spec"]; ids = {w: i + 2 for i, w in enumerate(spec["vocabulary"])}',
      'words = re.findall(r"[^\\W_]+(?:[\'’][^\\W\\d_]+)*", unicodedata.normalize("NFKC", "your text here").lower())',
      `x = np.zeros((1, ${shape}), dtype="int32"); t = [ids.get(w, 1) for w in words][:${shape}]; x[0, :len(t)] = t`,
    ];
  }
  return ['# encode one row as preprocessing.json "steps" says (standardise numbers, one-hot categories)', `x = np.zeros((1, ${shape}), dtype="float32")`];
}

function jsInput(d: ModelCardData): string {
  const shape = `[1, ${d.data.input.shape.slice(1).join(', ')}]`;
  if (d.data.kind === 'images') return `const x = new ort.Tensor('float32', Float32Array.from(pixels), ${shape}); // raw 0-255 HWC pixels, e.g. from sharp(...).raw()`;
  if (d.data.kind === 'text') return `const x = new ort.Tensor('int32', Int32Array.from(tokenIds), ${shape}); // ids as preprocessing.json says`;
  return `const x = new ort.Tensor('float32', Float32Array.from(encodedRow), ${shape}); // row encoded as preprocessing.json says`;
}

export function loadingExamples(d: ModelCardData): { keras: string; onnxPython: string; javascript: string } {
  const input = d.data.input.name;
  const head = ['import json', 'import numpy as np', ''];
  const keras = [
    ...head.slice(0, 2),
    'import keras  # Keras 3, any backend',
    'prep = json.load(open("preprocessing.json"))',
    'model = keras.saving.load_model("model.keras")',
    ...pythonInput(d),
    'probs = model.predict(x)[0]',
    'print(prep["classes"][int(probs.argmax())], float(probs.max()))',
  ].join('\n');
  const onnxPython = [
    ...head.slice(0, 2),
    'import onnxruntime as ort',
    'prep = json.load(open("preprocessing.json"))',
    'session = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])',
    ...pythonInput(d),
    `probs = session.run(None, {"${input}": x})[0][0]`,
    'print(prep["classes"][int(probs.argmax())], float(probs.max()))',
  ].join('\n');
  const javascript = [
    "import { readFileSync } from 'node:fs';",
    "import * as ort from 'onnxruntime-node'; // in a browser: onnxruntime-web",
    "const prep = JSON.parse(readFileSync('preprocessing.json', 'utf8'));",
    "const session = await ort.InferenceSession.create('model.onnx');",
    jsInput(d),
    `const out = await session.run({ ${input}: x });`,
    'const probs = out[session.outputNames[0]].data;',
    'const best = probs.indexOf(Math.max(...probs));',
    'console.log(prep.classes[best], probs[best]);',
    "// TF.js: const model = await tf.loadLayersModel('tfjs/model.json'); model.predict(tf.tensor(...))",
  ].join('\n');
  return { keras, onnxPython, javascript };
}

function summaryRows(d: ModelCardData): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['Data', `${d.data.kind}${d.data.path ? ` from ${d.data.path}` : ''}; ${d.data.classes.length} classes`],
  ];
  if (d.data.counts) rows.push(['Examples', `${d.data.counts.train} training, ${d.data.counts.validation} validation, ${d.data.counts.test} test`]);
  rows.push(['Input', d.data.input.description]);
  if (d.data.augmentation) rows.push(['Augmentation in training', d.data.augmentation]);
  if (d.job) {
    rows.push(['Search', `${d.job.strategy} strategy, budget ${secs(d.job.budgetSeconds)}${d.job.elapsedSeconds !== undefined ? `, used ${secs(d.job.elapsedSeconds)}` : ''}${d.job.candidates !== undefined ? `, ${d.job.candidates} candidates trained` : ''}, seed ${d.job.seed}`]);
    rows.push(['Model', d.job.which === 'final' ? 'the job\'s final model (best candidate trained to the end of the budget)' : `candidate ${d.job.which}`]);
  }
  rows.push(['Test accuracy', d.metrics.testAccuracy === undefined ? 'not measured (no test split at hand)' : pct(d.metrics.testAccuracy)]);
  if (d.metrics.validationAccuracy !== undefined) rows.push(['Validation accuracy', pct(d.metrics.validationAccuracy)]);
  rows.push(['Size', `${d.model.params.toLocaleString('en')} parameters, ${mb(d.model.weightBytes)} of float32 weights, ${d.model.layers} layers, ${(d.model.macs / 1e6).toFixed(2)} M multiply-adds per input`]);
  if (d.latency) rows.push(['Latency', `${d.latency.medianMs.toFixed(3)} ms per input (median, batch 1, ${d.latency.runs} timed runs a session; 10–90%: ${d.latency.p10Ms.toFixed(3)}–${d.latency.p90Ms.toFixed(3)} ms) with ${d.latency.runtime}, ${d.latency.threads} thread(s), on ${d.latency.device}`]);
  return rows;
}

function verificationLines(d: ModelCardData): string[] {
  const v = d.verification;
  const lines: string[] = [];
  const agree = (name: string, a: Agreement) => `${name}: ${a.samples} ${v.sampleSource} inputs, largest probability difference ${a.maxAbsDiff.toExponential(2)} (allowed 1e-4), same predicted class for ${(a.argmaxAgreement * 100).toFixed(1)}% — ${a.ok ? 'passed' : 'FAILED'}`;
  if (v.onnx) lines.push(agree('ONNX (ONNX Runtime)', v.onnx));
  if (v.tfjs) lines.push(agree('TF.js layers (tfjs-layers)', v.tfjs));
  if (v.keras) lines.push(`Keras 3 (.keras read back): ${v.keras.variables} variables, ${v.keras.bitExact ? 'all bit-exact — passed' : `differ: ${v.keras.mismatches.join(', ')} — FAILED`}`);
  return lines;
}

export function modelCardMarkdown(d: ModelCardData): string {
  const ex = loadingExamples(d);
  const out: string[] = [`# ${d.title}`, '', `Made by NetSprout ${d.engineVersion} on ${d.createdAt}.`, '', '| | |', '| --- | --- |'];
  for (const [k, v] of summaryRows(d)) out.push(`| ${k} | ${v.replace(/\|/g, '\\|')} |`);
  out.push('', '## Architecture', '', '![Architecture](architecture.svg)', '');
  if (d.metrics.confusion && d.metrics.perClass) {
    out.push(`## Accuracy by class (${d.metrics.evaluatedOn} split)`, '', '| class | precision | recall | F1 | examples |', '| --- | --- | --- | --- | --- |');
    for (const c of d.metrics.perClass) out.push(`| ${c.name} | ${pct(c.precision)} | ${pct(c.recall)} | ${c.f1.toFixed(3)} | ${c.support} |`);
    out.push('', '### Confusion matrix (rows: true class, columns: predicted)', '', `| | ${d.data.classes.join(' | ')} |`, `| --- | ${d.data.classes.map(() => '---').join(' | ')} |`);
    d.metrics.confusion.forEach((row, k) => out.push(`| **${d.data.classes[k]}** | ${row.join(' | ')} |`));
    out.push('');
  }
  out.push('## Files', '', '| file | size |', '| --- | --- |', ...d.model.files.map((f) => `| ${f.name} | ${mb(f.bytes)} |`), '');
  out.push('## Verified at export', '', ...verificationLines(d).map((l) => `- ${l}`), '');
  out.push('## Preparing an input', '', ...d.data.steps.map((s, i) => `${i + 1}. ${s}`), '');
  out.push('## Loading the model', '', '### Python, Keras 3', '', '```python', ex.keras, '```', '', '### Python, ONNX Runtime', '', '```python', ex.onnxPython, '```', '', '### JavaScript (Node.js), ONNX Runtime', '', '```js', ex.javascript, '```', '');
  return out.join('\n');
}

function heat(count: number, rowTotal: number, diagonal: boolean): string {
  const share = rowTotal ? count / rowTotal : 0;
  const alpha = Math.min(1, share * 1.2).toFixed(2);
  return diagonal ? `rgba(22,163,74,${alpha})` : `rgba(220,38,38,${alpha})`;
}

export function modelCardHtml(d: ModelCardData): string {
  const ex = loadingExamples(d);
  const parts: string[] = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
    `<title>${esc(d.title)}</title>`,
    '<style>body{font:15px/1.5 system-ui,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;color:#0f172a}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #cbd5e1;padding:.3rem .6rem;text-align:left}th{background:#f1f5f9}.cm td{text-align:right;min-width:2.5rem}.arch{overflow:auto;border:1px solid #e2e8f0;max-height:900px}pre{background:#f8fafc;border:1px solid #e2e8f0;padding:.8rem;overflow:auto}.ok{color:#15803d}.bad{color:#b91c1c;font-weight:600}</style>',
    '</head><body>',
    `<h1>${esc(d.title)}</h1><p>Made by NetSprout ${esc(d.engineVersion)} on ${esc(d.createdAt)}.</p>`,
    '<table>',
    ...summaryRows(d).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`),
    '</table>',
    '<h2>Architecture</h2>',
    `<div class="arch">${d.architectureSvg}</div>`,
  ];
  if (d.metrics.confusion && d.metrics.perClass) {
    const cm = d.metrics.confusion;
    parts.push(`<h2>Accuracy by class (${d.metrics.evaluatedOn} split)</h2>`, '<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>examples</th></tr>');
    for (const c of d.metrics.perClass) parts.push(`<tr><td>${esc(c.name)}</td><td>${pct(c.precision)}</td><td>${pct(c.recall)}</td><td>${c.f1.toFixed(3)}</td><td>${c.support}</td></tr>`);
    parts.push('</table>', '<h3>Confusion matrix</h3><p>Rows: the true class; columns: the predicted class. Green: right; red: mistaken.</p>', '<table class="cm"><tr><th></th>');
    parts.push(...d.data.classes.map((c) => `<th>${esc(c)}</th>`), '</tr>');
    cm.forEach((row, k) => {
      const total = row.reduce((a, b) => a + b, 0);
      parts.push(`<tr><th>${esc(d.data.classes[k])}</th>${row.map((n, j) => `<td style="background:${heat(n, total, j === k)}">${n}</td>`).join('')}</tr>`);
    });
    parts.push('</table>');
  }
  parts.push('<h2>Files</h2><table><tr><th>file</th><th>size</th></tr>', ...d.model.files.map((f) => `<tr><td>${esc(f.name)}</td><td>${mb(f.bytes)}</td></tr>`), '</table>');
  parts.push('<h2>Verified at export</h2><ul>', ...verificationLines(d).map((l) => `<li class="${l.includes('FAILED') ? 'bad' : 'ok'}">${esc(l)}</li>`), '</ul>');
  parts.push('<h2>Preparing an input</h2><ol>', ...d.data.steps.map((s) => `<li>${esc(s)}</li>`), '</ol>');
  parts.push('<h2>Loading the model</h2>', '<h3>Python, Keras 3</h3>', `<pre>${esc(ex.keras)}</pre>`, '<h3>Python, ONNX Runtime</h3>', `<pre>${esc(ex.onnxPython)}</pre>`, '<h3>JavaScript (Node.js), ONNX Runtime</h3>', `<pre>${esc(ex.javascript)}</pre>`);
  parts.push('</body></html>');
  return parts.join('\n');
}
