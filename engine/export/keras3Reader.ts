/**
 * Reads a `.keras` file back: config.json as an IR graph, every variable of model.weights.h5 by IR layer id,
 * and the full h5 tree, so that an export can be compared with what went in.
 *
 * Weights are found the way Keras's loader finds them (keras/src/saving/saving_lib.py `_load_state`,
 * `_load_container_state`, `H5IOStore.get`): the layers are put in `model.layers` order as a reloaded Functional
 * model computes it from the graph (keras/src/ops/function.py `map_graph`), each is given its container name
 * (snake_case class name + per-class counter, keras/src/utils/naming.py), and its variables are the datasets
 * "0", "1", … of `layers/<container>/vars`, whose count must equal the layer's variable count.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { NetSproutError } from '../errors.js';
import { inferShapes } from '../graph/shapes.js';
import type { Graph } from '../graph/types.js';
import { weightSpecs } from '../graph/weightSpecs.js';
import { graphFromKeras3Config, type ParsedKerasModel } from './keras3ConfigParser.js';
import { readH5, type H5Contents } from './keras3H5.js';
import { containerNames, kerasLayerOrder } from './keras3Naming.js';
import { KERAS3_MEMBERS } from './keras3Writer.js';

export interface Keras3Container {
  /** Keras layer name. */
  layer: string;
  /** IR id, or null for the image Normalization layer. */
  irId: string | null;
  /** Group path, e.g. "layers/conv2d_1". */
  path: string;
  /** The `name` attribute of its `vars` group, if any. */
  nameAttribute: string | null;
  /** Number of datasets in its `vars` group. */
  variables: number;
}

export interface Keras3ReadResult {
  config: unknown;
  graph: Graph;
  weights: Map<string, Float32Array[]>;
  h5Tree: string[];
  metadata: Record<string, unknown>;
  /** The layers in `model.layers` order with their weight containers. */
  containers: Keras3Container[];
  /** The image normalisation layers, with mean and variance from the config (or their variables if adapted). */
  normalization: Array<{ layer: string; input: string; mean: number[]; variance: number[] }>;
  /** Zip member names in file order. */
  members: string[];
}

export async function readKeras3(file: string): Promise<Keras3ReadResult> {
  const zipped = await readBytes(file);
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(zipped);
  } catch (e) {
    throw new NetSproutError('KERAS_NOT_ZIP', `${path.basename(file)} is not a .keras archive: ${(e as Error).message}.`, 'A .keras file is a zip of config.json, metadata.json and model.weights.h5.', [file]);
  }
  for (const name of [KERAS3_MEMBERS.config, KERAS3_MEMBERS.weights]) {
    if (!members[name]) {
      throw new NetSproutError('KERAS_MISSING_MEMBER', `${path.basename(file)} has no ${name}.`, 'Only .keras files with HDF5 weights (model.weights.h5) can be read.', [file]);
    }
  }
  const config = parseJson(members[KERAS3_MEMBERS.config], KERAS3_MEMBERS.config, file);
  const metadata = members[KERAS3_MEMBERS.metadata] ? parseJson(members[KERAS3_MEMBERS.metadata], KERAS3_MEMBERS.metadata, file) : {};
  const renamed = isStringRecord((metadata as Record<string, unknown>).netsprout_layer_ids) ? ((metadata as Record<string, unknown>).netsprout_layer_ids as Record<string, string>) : {};
  const parsed = graphFromKeras3Config(config, renamed);
  const h5 = await readH5Bytes(members[KERAS3_MEMBERS.weights]);
  const { weights, containers, normalization } = collectWeights(parsed, h5, file);
  return {
    config,
    graph: parsed.graph,
    weights,
    h5Tree: h5.tree,
    metadata: metadata as Record<string, unknown>,
    containers,
    normalization,
    members: Object.keys(members),
  };
}

function collectWeights(parsed: ParsedKerasModel, h5: H5Contents, file: string): Pick<Keras3ReadResult, 'weights' | 'containers' | 'normalization'> {
  const byName = new Map(parsed.layers.map((l) => [l.name, l]));
  const order = kerasLayerOrder(parsed.layers, parsed.outputNames).map((n) => byName.get(n)!);
  const names = containerNames(order.map((l) => l.className));
  const shapes = inferShapes(parsed.graph);
  const irById = new Map(parsed.graph.layers.map((l) => [l.id, l]));
  const weights = new Map<string, Float32Array[]>();
  const containers: Keras3Container[] = [];
  const normalization: Keras3ReadResult['normalization'] = [];
  order.forEach((layer, i) => {
    const groupPath = `layers/${names[i]}`;
    const arrays = variablesOf(h5, `${groupPath}/vars`, layer.name, file);
    containers.push({ layer: layer.name, irId: layer.irId, path: groupPath, nameAttribute: h5.names.get(`${groupPath}/vars`) ?? null, variables: arrays.length });
    if (layer.irId === null) {
      const n = parsed.normalizations.find((x) => x.layer === layer.name)!;
      const mean = n.mean ?? (arrays[0] ? [...arrays[0]] : null);
      const variance = n.variance ?? (arrays[1] ? [...arrays[1]] : null);
      if (!mean || !variance) throw badWeights(`Normalization layer "${layer.name}" has neither statistics in its config nor variables`, file);
      normalization.push({ layer: layer.name, input: n.input, mean, variance });
      return;
    }
    const ir = irById.get(layer.irId)!;
    const specs = weightSpecs(ir, ir.inputs.map((id) => shapes.get(id)!));
    if (arrays.length !== specs.length) {
      throw badWeights(`layer "${layer.name}" (${groupPath}) holds ${arrays.length} variables, a ${layer.className} of this shape has ${specs.length}`, file);
    }
    specs.forEach((s, k) => {
      const stored = h5.datasets.get(`${groupPath}/vars/${k}`)!;
      if (stored.shape.join(',') !== s.shape.join(',')) {
        throw badWeights(`variable ${k} (${s.name}) of layer "${layer.name}" has shape [${stored.shape.join(', ')}], expected [${s.shape.join(', ')}]`, file);
      }
    });
    if (arrays.length > 0) weights.set(layer.irId, arrays);
  });
  return { weights, containers, normalization };
}

/** The datasets "0" … "n-1" of a `vars` group (none when the group is missing, as Keras's loader treats it). */
function variablesOf(h5: H5Contents, group: string, layer: string, file: string): Float32Array[] {
  if (!h5.groups.has(group)) return [];
  const keys = [...h5.datasets.keys()].filter((p) => p.startsWith(`${group}/`) && !p.slice(group.length + 1).includes('/')).map((p) => p.slice(group.length + 1));
  const arrays: Float32Array[] = [];
  for (let i = 0; i < keys.length; i++) {
    const d = h5.datasets.get(`${group}/${i}`);
    if (!d) throw badWeights(`the variables of layer "${layer}" (${group}) are not numbered 0 to ${keys.length - 1}: ${keys.sort().join(', ')}`, file);
    arrays.push(d.data);
  }
  return arrays;
}

function badWeights(detail: string, file: string): NetSproutError {
  return new NetSproutError('KERAS_WEIGHTS_MISMATCH', `The weights in ${path.basename(file)} do not fit its architecture: ${detail}.`, 'The file may be damaged or was not written for this architecture.', [file]);
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new NetSproutError('KERAS_READ_FAILED', `Could not read ${file}: ${(e as Error).message}.`, 'Check the path.', [file]);
  }
}

function parseJson(bytes: Uint8Array, member: string, file: string): unknown {
  try {
    return JSON.parse(strFromU8(bytes));
  } catch (e) {
    throw new NetSproutError('KERAS_BAD_CONFIG', `${member} in ${path.basename(file)} is not valid JSON: ${(e as Error).message}.`, 'The file may be damaged.', [file]);
  }
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** h5wasm opens paths, so the weights member goes through a temporary file that is always removed. */
async function readH5Bytes(bytes: Uint8Array): Promise<H5Contents> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-keras-'));
  try {
    const h5File = path.join(dir, KERAS3_MEMBERS.weights);
    await writeFile(h5File, bytes);
    return await readH5(h5File);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
