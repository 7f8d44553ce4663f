/**
 * Writes a Keras 3 `.keras` file: a zip of metadata.json, config.json and model.weights.h5, in that order and
 * stored uncompressed, as keras/src/saving/saving_lib.py `_save_model_to_fileobj` writes it with Python's
 * zipfile defaults. metadata.json is {"keras_version", "date_saved" (strftime "%Y-%m-%d@%H:%M:%S", local time)}.
 * No optimizer state is written (an uncompiled model), so the file loads with `keras.saving.load_model` and
 * predicts; the loader never reads metadata.json.
 *
 * When an IR id is not a valid Keras layer name it is renamed, and metadata.json records the mapping under
 * "netsprout_layer_ids" (Keras name → IR id) so that readKeras3 gives the original ids back.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { NetSproutError } from '../errors.js';
import { buildKeras3Model, KERAS3_FLOAT_KEYS, KERAS3_MODEL_NAME, type Keras3Model } from './keras3Config.js';
import { writeWeightsH5, type H5Container } from './keras3H5.js';
import { pythonJsonDumps } from './keras3PyJson.js';
import { exportedLayerWeights, type ExportInput } from './exportTypes.js';

export const KERAS3_MEMBERS = { metadata: 'metadata.json', config: 'config.json', weights: 'model.weights.h5' } as const;

export interface Keras3WriteOptions {
  /** The Keras 3 release whose config keys to write (default 3.6.0, which newer releases also load). */
  kerasVersion?: string;
}

export async function writeKeras3(input: ExportInput, file: string, opts: Keras3WriteOptions = {}): Promise<void> {
  if (!file.endsWith('.keras')) {
    throw new NetSproutError('EXPORT_KERAS_EXTENSION', `"${path.basename(file)}" does not end in .keras.`, 'Keras only loads .keras files whose name ends in ".keras".', [file]);
  }
  const model = buildKeras3Model(input, opts);
  const containers = weightContainers(model, input.weights);
  const weightsBytes = await h5Bytes(containers);
  const members: Zippable = {
    [KERAS3_MEMBERS.metadata]: strToU8(metadataJson(model)),
    [KERAS3_MEMBERS.config]: strToU8(pythonJsonDumps(model.config, KERAS3_FLOAT_KEYS)),
    [KERAS3_MEMBERS.weights]: weightsBytes,
  };
  // Stored (level 0), Unix, mode 0600: what Python's zipfile writes for ZipFile.open(name, "w") and writestr.
  const zip = zipSync(members, { level: 0, os: 3, attrs: 0o600 << 16 });
  try {
    await writeFile(file, zip);
  } catch (e) {
    throw new NetSproutError('EXPORT_WRITE_FAILED', `Could not write ${file}: ${(e as Error).message}.`, 'Check that the folder exists and is writable.', [file]);
  }
}

/** metadata.json as Keras writes it, plus the id mapping when some ids were renamed. */
function metadataJson(model: Keras3Model): string {
  const metadata: Record<string, unknown> = { keras_version: model.dialect.version, date_saved: kerasDateSaved(new Date()) };
  if (Object.keys(model.renamed).length > 0) metadata.netsprout_layer_ids = model.renamed;
  return pythonJsonDumps(metadata);
}

/** datetime.now().strftime("%Y-%m-%d@%H:%M:%S") */
export function kerasDateSaved(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}@${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** One h5 container per layer of `model.layers`, with the layer's weights checked against its variable shapes. */
function weightContainers(model: Keras3Model, weights: Map<string, Float32Array[]>): H5Container[] {
  return model.layers.map((layer) => {
    const arrays = layer.irId !== null ? exportedLayerWeights(layer.irId, layer.weightShapes.map((shape) => ({ shape })), weights.get(layer.irId) ?? []) : [];
    const variables = layer.weightShapes.map((shape, i) => ({ shape, data: arrays[i] }));
    return { path: `layers/${layer.container}`, name: layer.name, variables };
  });
}

/** h5wasm writes to a path, so the weights go through a temporary file that is always removed. */
async function h5Bytes(containers: H5Container[]): Promise<Uint8Array> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-keras-'));
  try {
    const h5File = path.join(dir, KERAS3_MEMBERS.weights);
    await writeWeightsH5(h5File, KERAS3_MODEL_NAME, containers);
    return new Uint8Array(await readFile(h5File));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
