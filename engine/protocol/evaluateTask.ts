/**
 * evaluate: a job's model (its final model, or a kept candidate) on the held-out data it was never chosen on (the
 * test split, else validation): accuracy, confusion matrix, per-class figures (engine/export/modelCard.ts), and
 * sample predictions with their inputs (the wrong ones first, then right ones).
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/ladder.js';
import { disposePrepared, prepareData } from '../data/prepareData.js';
import { NetSproutError } from '../errors.js';
import { confusionMatrix, perClassFigures } from '../export/modelCard.js';
import { loadSourceCheckpoint, resolveModelSource } from '../export/modelSource.js';
import { GraphModel } from '../train/graphModel.js';
import { evaluate, readBatch } from '../train/trainer.js';
import { describeInput, spread } from './dataPreview.js';
import type { EvaluateResult } from './messages.js';
import type { TaskHandler } from './taskContext.js';

export const evaluateTask: TaskHandler<'evaluate'> = async (task) => {
  const source = await resolveModelSource(task.jobDir, task.candidate);
  if (!source.job) throw new NetSproutError('JOB_MISSING', `${task.jobDir} is not a job folder (no job.json).`, 'Give the folder of a search job.', [task.jobDir]);
  const spec = source.job.spec;
  if (!existsSync(spec.data)) {
    throw new NetSproutError('DATA_MISSING_PATH', `The job's dataset ${spec.data} is no longer there, so its model cannot be evaluated.`, 'Put the data back where it was (the job remembers that path).', [spec.data]);
  }
  const ckpt = await loadSourceCheckpoint(source);
  await initBackend();
  const model = GraphModel.withWeights(ckpt.graph, ckpt.weights);
  const data = await prepareData(spec.data, { kind: spec.kind, target: spec.target, seed: spec.seed });
  try {
    const inputShape = model.shapes.get(model.inputIds[0])!;
    if (data.inputShape.join('x') !== inputShape.join('x')) {
      throw new NetSproutError('DATA_CHANGED', `The dataset ${spec.data} now gives inputs of shape ${data.inputShape.join('×')}, not the model's ${inputShape.join('×')}.`, 'The data changed since the search; evaluate on the data the job was run on.', [spec.data]);
    }
    const evaluatedOn = data.test ? 'test' : 'validation';
    const evalData = data.test ?? data.validation;
    const ev = await evaluate(model, evalData);
    const classes = ckpt.preprocess.classes;
    const confusion = confusionMatrix(evalData.y, ev.predictions, classes.length);
    const all = Array.from(evalData.y, (_, i) => i);
    const wrong = all.filter((i) => ev.predictions[i] !== evalData.y[i]);
    const right = all.filter((i) => ev.predictions[i] === evalData.y[i]);
    const pickedWrong = spread(wrong, Math.floor(task.samples / 2));
    const chosen = [...pickedWrong, ...spread(right, task.samples - pickedWrong.length)];
    const samples: EvaluateResult['samples'] = [];
    if (chosen.length) {
      const x = readBatch(evalData, Int32Array.from(chosen));
      const probs = tf.tidy(() => model.predict(x));
      const xs = (await x.data()) as Float32Array | Int32Array;
      const ps = (await probs.data()) as Float32Array;
      tf.dispose([x, probs]);
      const per = xs.length / chosen.length;
      for (let k = 0; k < chosen.length; k++) {
        const p = Array.from(ps.subarray(k * classes.length, (k + 1) * classes.length));
        const best = p.indexOf(Math.max(...p));
        samples.push({ label: classes[evalData.y[chosen[k]]], predicted: classes[best], confidence: p[best], ...(await describeInput(ckpt.preprocess, xs.subarray(k * per, (k + 1) * per))) });
      }
    }
    return { candidate: source.which, classes, evaluatedOn, accuracy: ev.accuracy, confusion, perClass: perClassFigures(confusion, classes), samples };
  } finally {
    disposePrepared(data);
    model.dispose();
  }
};
