/**
 * predict: the class of each file (or CSV row) with a job's model (its final model, or a kept candidate), a
 * checkpoint, or an exported folder (engine/predict). A file that cannot be used gets its own error; the rest go on.
 */
import { resolveModelSource } from '../export/modelSource.js';
import { openPredictor } from '../predict/predictor.js';
import { readInputs } from '../predict/readInputs.js';
import { errorInfo } from './errorInfo.js';
import type { PredictResult } from './messages.js';
import type { TaskHandler } from './taskContext.js';

export const predictTask: TaskHandler<'predict'> = async (task) => {
  const modelPath = task.candidate ? (await resolveModelSource(task.model, task.candidate)).checkpointDir : task.model;
  const predictor = await openPredictor(modelPath);
  const predictions: PredictResult['predictions'] = [];
  try {
    const classes = predictor.spec.classes;
    for (const file of task.files) {
      try {
        const inputs = await readInputs(file, predictor.spec);
        const probs = inputs.names.length ? await predictor.predict(inputs) : new Float32Array(0);
        inputs.names.forEach((name, i) => {
          const p = Array.from(probs.subarray(i * classes.length, (i + 1) * classes.length));
          const best = p.indexOf(Math.max(...p));
          predictions.push({ file: name, label: classes[best], probabilities: Object.fromEntries(classes.map((c, k) => [c, Number(p[k].toFixed(6))])) });
        });
        for (const f of inputs.failed) predictions.push({ file: f.file, error: { code: 'INPUT_UNREADABLE', message: `${f.file} ${f.error}.`, hint: `Give ${predictor.spec.kind === 'images' ? 'an image file (PNG, JPEG, WebP, GIF, BMP, TIFF)' : predictor.spec.kind === 'text' ? 'a .txt file or a CSV with a text column' : "a CSV with the model's columns"}.`, files: [f.file] } });
        if (!inputs.names.length && !inputs.failed.length) {
          predictions.push({ file, error: { code: 'NO_INPUT', message: `Nothing to predict was found in ${file}.`, hint: 'Give a file of the kind the model was trained on.', files: [file] } });
        }
      } catch (e) {
        predictions.push({ file, error: errorInfo(e) });
      }
    }
  } finally {
    await predictor.close();
  }
  return { predictions };
};
