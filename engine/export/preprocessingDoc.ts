/**
 * `preprocessing.json`, written beside every export: what the model's input is and how to make it from a user's
 * data, in words and as the exact spec the model was trained with (vocabulary, column encodings, resolution,
 * normalisation, class names). `netsprout predict` reads it back to apply the same transforms.
 */
import type { PreprocessSpec } from '../data/preprocessSpec.js';
import { ONNX_INPUT_NAMES, ONNX_OUTPUT_NAME } from './onnxWriter.js';

export const PREPROCESSING_FILE = 'preprocessing.json';

export interface InputDescription {
  name: string;
  dtype: 'float32' | 'int32';
  /** With the batch dimension first, written as null. */
  shape: Array<number | null>;
  description: string;
}

export interface PreprocessingDoc {
  format: 'netsprout-preprocessing';
  version: 1;
  kind: PreprocessSpec['kind'];
  input: InputDescription;
  output: { name: string; shape: Array<number | null>; description: string };
  classes: string[];
  steps: string[];
  spec: PreprocessSpec;
}

export function describeInput(spec: PreprocessSpec): InputDescription {
  if (spec.kind === 'images') {
    return {
      name: ONNX_INPUT_NAMES[spec.kind],
      dtype: 'float32',
      shape: [null, spec.height, spec.width, spec.channels],
      description: `Images as float32 NHWC, ${spec.height}×${spec.width} pixels, ${spec.channels === 1 ? 'grayscale (1 channel)' : 'RGB (3 channels)'}, raw values 0–255; the model normalises them itself.`,
    };
  }
  if (spec.kind === 'text') {
    return { name: ONNX_INPUT_NAMES[spec.kind], dtype: 'int32', shape: [null, spec.sequenceLength], description: `Token ids, ${spec.sequenceLength} per text, made as "steps" says.` };
  }
  return { name: ONNX_INPUT_NAMES[spec.kind], dtype: 'float32', shape: [null, spec.width], description: `Encoded table rows, ${spec.width} numbers per row, made as "steps" says.` };
}

function steps(spec: PreprocessSpec): string[] {
  if (spec.kind === 'images') {
    return [
      `Decode the image; compose transparent pixels onto white; convert to ${spec.channels === 1 ? 'grayscale (luminance)' : 'sRGB'}.`,
      `Resize to ${spec.width}×${spec.height} keeping the aspect ratio, by ${spec.fit === 'pad' ? 'padding with black (letterbox)' : 'cropping the centre'}, with a Lanczos-3 filter.`,
      'Pass the pixel values 0–255 as float32, channels last, in a batch [N, H, W, C].',
      `Inside the model: (x − mean[c]) / std[c] with mean = [${spec.mean.map((v) => v.toFixed(4)).join(', ')}], std = [${spec.std.map((v) => v.toFixed(4)).join(', ')}].`,
    ];
  }
  if (spec.kind === 'text') {
    return [
      `Normalise the text to Unicode ${spec.normalisation} and lower case.`,
      `Split it into tokens with the regular expression /${spec.tokenPattern}/gu.`,
      `Map each token to its id: vocabulary[i] has id i + 2; unknown tokens are ${spec.unknownId}; padding is ${spec.padId}.`,
      `Keep the first ${spec.sequenceLength} tokens and pad the rest of the ${spec.sequenceLength} positions with ${spec.padId}.`,
    ];
  }
  return [
    `Read the columns ${spec.columns.map((c) => `"${c.name}"`).join(', ')} (the target "${spec.target}" is not an input).`,
    'Numeric column: a missing or non-numeric value becomes the recorded impute value; then (v − mean) / std.',
    'Categorical column: a missing value becomes the recorded impute value; then one-hot over the recorded categories, plus one last slot for any category not seen in training.',
    `Concatenate the columns in this order: ${spec.width} numbers per row.`,
  ];
}

export function preprocessingDoc(spec: PreprocessSpec): PreprocessingDoc {
  return {
    format: 'netsprout-preprocessing',
    version: 1,
    kind: spec.kind,
    input: describeInput(spec),
    output: { name: ONNX_OUTPUT_NAME, shape: [null, spec.classes.length], description: 'The probability of each class, in the order of "classes".' },
    classes: spec.classes,
    steps: steps(spec),
    spec,
  };
}
