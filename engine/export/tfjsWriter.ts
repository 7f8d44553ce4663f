/**
 * The TF.js layers format for web use: `model.json` (format "layers-model", the Keras-style topology that
 * tfjs-layers writes, the weights manifest and NetSprout's metadata) and one binary shard of little-endian
 * float32 weights. Loads with `tf.loadLayersModel('…/model.json')` in a browser or Node. Image models take raw
 * 0–255 pixels (the normalisation is the model's first layer).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { toLayersModel } from '../train/layersModel.js';
import type { ExportInput } from './exportTypes.js';
import { withInputNormalisation } from './inputNormalisation.js';

export const TFJS_MODEL_FILE = 'model.json';
export const TFJS_WEIGHTS_FILE = 'group1-shard1of1.bin';

interface ModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string;
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  userDefinedMetadata: Record<string, unknown>;
}

/** Writes model.json and its weights into `dir`; returns the files written. */
export async function writeTfjs(input: ExportInput, dir: string, producer: string): Promise<string[]> {
  const { graph, weights } = withInputNormalisation(input);
  const model = toLayersModel(graph, weights);
  let artifacts: tf.io.ModelArtifacts | null = null;
  try {
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
  } finally {
    model.dispose();
  }
  const a = artifacts as tf.io.ModelArtifacts | null;
  if (!a?.weightSpecs || !a.weightData) throw new Error('tfjs-layers returned no weights when saving');
  const weightData = tf.io.concatenateArrayBuffers(Array.isArray(a.weightData) ? a.weightData : [a.weightData]);
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_core}`,
    convertedBy: producer,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: a.weightSpecs }],
    userDefinedMetadata: { classes: input.preprocess.classes, preprocess: input.preprocess },
  };
  await mkdir(dir, { recursive: true });
  const files = [path.join(dir, TFJS_MODEL_FILE), path.join(dir, TFJS_WEIGHTS_FILE)];
  await writeFile(files[1], new Uint8Array(weightData));
  await writeFile(files[0], JSON.stringify(json));
  return files;
}

/** Loads an exported model.json (and its shard) from disk with tfjs-layers, as a user's code would. */
export async function readTfjs(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(await readFile(path.join(dir, TFJS_MODEL_FILE), 'utf8')) as ModelJson;
  const shards = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(path.join(dir, p))));
  const weightData = tf.io.concatenateArrayBuffers(shards.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
  return loadLayersModel({
    load: async () => ({
      modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
    }),
  });
}
