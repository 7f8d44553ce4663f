/** `netsprout export` and `netsprout predict`. */
import path from 'node:path';
import { exportModel, parseFormats } from '../export/exportModel.js';
import { openPredictor } from '../predict/predictor.js';
import { readInputs } from '../predict/readInputs.js';
import { printJson } from './output.js';

export async function exportCommand(jobFolder: string, opts: { candidate?: string; format: string; out: string; data?: string; json?: boolean }): Promise<number> {
  const formats = parseFormats(opts.format);
  const say = (s: string) => !opts.json && process.stdout.write(`${s}\n`);
  const report = await exportModel({
    model: jobFolder,
    candidate: opts.candidate,
    formats,
    outDir: opts.out,
    data: opts.data,
    onStep: (step, i, n) => (opts.json ? printJson({ type: 'progress', step, index: i, total: n }) : say(`[${i + 1}/${n}] ${step === 'data' ? 'Loading the model and its data' : step === 'card' ? 'Measuring latency and writing the model card' : `Writing and checking ${step}`}…`)),
  });
  if (opts.json) {
    printJson({ type: 'done', ...report });
    return 0;
  }
  const v = report.verification;
  if (v.keras) say(`  model.keras: ${v.keras.variables} variables read back bit-exact.`);
  if (v.onnx) say(`  model.onnx: matches NetSprout on ${v.onnx.samples} ${v.sampleSource} inputs (largest difference ${v.onnx.maxAbsDiff.toExponential(2)}, same class for all).`);
  if (v.tfjs) say(`  tfjs/model.json: matches NetSprout on ${v.tfjs.samples} ${v.sampleSource} inputs (largest difference ${v.tfjs.maxAbsDiff.toExponential(2)}).`);
  if (report.latency) say(`  Latency: ${report.latency.medianMs.toFixed(3)} ms per input (median, batch 1, ${report.latency.runtime}).`);
  if (report.testAccuracy !== undefined && report.testAccuracy !== null) say(`  Test accuracy: ${(report.testAccuracy * 100).toFixed(2)}%.`);
  for (const n of report.notes) say(`  Note: ${n}`);
  say(`Exported to ${report.outDir} (model card: ${path.join(report.outDir, 'model-card.html')}).`);
  return 0;
}

export async function predictCommand(opts: { model: string; data: string; json?: boolean }): Promise<number> {
  const predictor = await openPredictor(opts.model);
  try {
    const inputs = await readInputs(opts.data, predictor.spec);
    const probs = inputs.names.length ? await predictor.predict(inputs) : new Float32Array(0);
    const classes = predictor.spec.classes;
    inputs.names.forEach((file, i) => {
      const p = Array.from(probs.subarray(i * classes.length, (i + 1) * classes.length));
      const best = p.indexOf(Math.max(...p));
      if (opts.json) printJson({ file, label: classes[best], probabilities: Object.fromEntries(classes.map((c, k) => [c, Number(p[k].toFixed(6))])) });
      else process.stdout.write(`${file}: ${classes[best]} (${(p[best] * 100).toFixed(1)}%)\n`);
    });
    for (const f of inputs.failed) {
      if (opts.json) printJson({ file: f.file, error: f.error });
      else process.stderr.write(`${f.file}: ${f.error}; skipped.\n`);
    }
    if (!inputs.names.length) {
      process.stderr.write(`No input could be read from ${opts.data}: give ${predictor.spec.kind === 'images' ? 'image files' : predictor.spec.kind === 'text' ? '.txt files or a CSV with a text column' : 'a CSV with the model\'s columns'}.\n`);
      return 3;
    }
    return inputs.failed.length ? 1 : 0;
  } finally {
    await predictor.close();
  }
}
