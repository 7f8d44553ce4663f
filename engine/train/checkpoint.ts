/**
 * Checkpoints: a graph's weights in a folder, restored bit-exact.
 *   graph.json    the architecture
 *   weights.json  manifest: graph hash, and per layer id its variables (name, shape, offset, length in floats)
 *   weights.bin   every variable as little-endian float32, in manifest order
 *   preprocess.json  the data's preprocessing spec, when given (so prediction applies the same transforms)
 * Files are written to temporary names and renamed, so a crash never leaves a half-written checkpoint.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { PreprocessSpec } from '../data/preprocessSpec.js';
import path from 'node:path';
import { NetSproutError } from '../errors.js';
import { graphFromJSON, graphHash, graphToJSON } from '../graph/serialize.js';
import type { Graph } from '../graph/types.js';
import { GraphModel, type LayerWeights } from './graphModel.js';

interface Manifest {
  format: 'netsprout-weights';
  version: 1;
  graphHash: string;
  layers: Array<{ id: string; weights: Array<{ name: string; shape: number[]; offset: number; length: number }> }>;
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

export async function saveCheckpoint(dir: string, graph: Graph, weights: Map<string, LayerWeights[]>, preprocess?: PreprocessSpec): Promise<void> {
  await mkdir(dir, { recursive: true });
  const manifest: Manifest = { format: 'netsprout-weights', version: 1, graphHash: graphHash(graph), layers: [] };
  let total = 0;
  for (const [id, ws] of weights) {
    manifest.layers.push({
      id,
      weights: ws.map((w) => {
        const entry = { name: w.name, shape: w.shape, offset: total, length: w.data.length };
        total += w.data.length;
        return entry;
      }),
    });
  }
  const bin = new Float32Array(total);
  let offset = 0;
  for (const [, ws] of weights) {
    for (const w of ws) {
      bin.set(w.data, offset);
      offset += w.data.length;
    }
  }
  const bytes = new Uint8Array(bin.buffer);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('NetSprout checkpoints need a little-endian machine.');
  await writeAtomic(path.join(dir, 'weights.bin'), bytes);
  await writeAtomic(path.join(dir, 'graph.json'), graphToJSON(graph));
  if (preprocess) await writeAtomic(path.join(dir, 'preprocess.json'), JSON.stringify(preprocess, null, 1));
  await writeAtomic(path.join(dir, 'weights.json'), JSON.stringify(manifest, null, 1));
}

export async function saveModelCheckpoint(dir: string, model: GraphModel, preprocess?: PreprocessSpec): Promise<void> {
  await saveCheckpoint(dir, model.graph, model.allWeights(), preprocess);
}

export interface LoadedCheckpoint {
  graph: Graph;
  weights: Map<string, Float32Array[]>;
  preprocess?: PreprocessSpec;
}

export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const files = ['graph.json', 'weights.json', 'weights.bin'].map((f) => path.join(dir, f));
  let graphText: string;
  let manifestText: string;
  let bin: Buffer;
  try {
    [graphText, manifestText, bin] = await Promise.all([readFile(files[0], 'utf8'), readFile(files[1], 'utf8'), readFile(files[2])]);
  } catch (e) {
    throw new NetSproutError('CHECKPOINT_MISSING', `No complete checkpoint in ${dir}: ${(e as Error).message}.`, 'Choose a folder written by NetSprout.', [dir]);
  }
  const graph = graphFromJSON(graphText, files[0]);
  const manifest = JSON.parse(manifestText) as Manifest;
  if (manifest.format !== 'netsprout-weights' || manifest.graphHash !== graphHash(graph)) {
    throw new NetSproutError('CHECKPOINT_MISMATCH', `The weights in ${dir} do not belong to its graph.json.`, 'The checkpoint is damaged; use another one.', [dir]);
  }
  const floats = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const weights = new Map<string, Float32Array[]>();
  for (const layer of manifest.layers) {
    weights.set(
      layer.id,
      layer.weights.map((w) => {
        if (w.offset + w.length > floats.length) {
          throw new NetSproutError('CHECKPOINT_TRUNCATED', `weights.bin in ${dir} is shorter than its manifest says.`, 'The checkpoint is damaged; use another one.', [files[2]]);
        }
        return floats.slice(w.offset, w.offset + w.length);
      }),
    );
  }
  const specFile = path.join(dir, 'preprocess.json');
  const preprocess = existsSync(specFile) ? (JSON.parse(await readFile(specFile, 'utf8')) as PreprocessSpec) : undefined;
  return { graph, weights, preprocess };
}

export async function loadModelCheckpoint(dir: string): Promise<GraphModel> {
  const { graph, weights } = await loadCheckpoint(dir);
  return GraphModel.withWeights(graph, weights);
}
