import { createHash } from 'node:crypto';
import { z } from 'zod';
import { NetSproutError } from '../errors.js';
import { topologicalOrder } from './topology.js';
import { GRAPH_VERSION, type Graph } from './types.js';
import { validateGraph } from './validate.js';

const activation = z.enum(['linear', 'relu', 'relu6', 'leakyRelu', 'elu', 'selu', 'sigmoid', 'tanh', 'swish', 'gelu', 'softmax']);
const padding = z.enum(['same', 'valid']);
const pair = z.tuple([z.number().int(), z.number().int()]);
const int = z.number().int();
const empty = z.object({}).strict();
const base = { id: z.string().min(1), inputs: z.array(z.string()) };
const depthwise = {
  kernelSize: pair,
  strides: pair,
  padding,
  dilation: pair,
  depthMultiplier: int,
  useBias: z.boolean(),
  activation,
};
const pool2d = z.object({ poolSize: pair, strides: pair, padding }).strict();
const pool1d = z.object({ poolSize: int, strides: int, padding }).strict();

const layerSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('input'), params: z.object({ shape: z.array(int), dtype: z.enum(['float32', 'int32']) }).strict() }),
  z.object({
    ...base,
    type: z.literal('conv2d'),
    params: z.object({ filters: int, kernelSize: pair, strides: pair, padding, dilation: pair, useBias: z.boolean(), activation }).strict(),
  }),
  z.object({ ...base, type: z.literal('separableConv2d'), params: z.object({ ...depthwise, filters: int }).strict() }),
  z.object({ ...base, type: z.literal('depthwiseConv2d'), params: z.object(depthwise).strict() }),
  z.object({
    ...base,
    type: z.literal('conv1d'),
    params: z.object({ filters: int, kernelSize: int, strides: int, padding, dilation: int, useBias: z.boolean(), activation }).strict(),
  }),
  z.object({ ...base, type: z.literal('dense'), params: z.object({ units: int, useBias: z.boolean(), activation }).strict() }),
  z.object({ ...base, type: z.literal('batchNorm'), params: z.object({ epsilon: z.number(), momentum: z.number() }).strict() }),
  z.object({ ...base, type: z.literal('activation'), params: z.object({ fn: activation, alpha: z.number().optional() }).strict() }),
  z.object({ ...base, type: z.literal('maxPool2d'), params: pool2d }),
  z.object({ ...base, type: z.literal('avgPool2d'), params: pool2d }),
  z.object({ ...base, type: z.literal('maxPool1d'), params: pool1d }),
  z.object({ ...base, type: z.literal('avgPool1d'), params: pool1d }),
  z.object({ ...base, type: z.literal('globalAvgPool'), params: empty }),
  z.object({ ...base, type: z.literal('globalMaxPool'), params: empty }),
  z.object({ ...base, type: z.literal('flatten'), params: empty }),
  z.object({ ...base, type: z.literal('dropout'), params: z.object({ rate: z.number() }).strict() }),
  z.object({ ...base, type: z.literal('add'), params: empty }),
  z.object({ ...base, type: z.literal('concat'), params: empty }),
  z.object({ ...base, type: z.literal('embedding'), params: z.object({ inputDim: int, outputDim: int }).strict() }),
]);

const graphSchema = z
  .object({ version: z.literal(GRAPH_VERSION), layers: z.array(layerSchema), output: z.string() })
  .strict();

/** Parses and validates a graph from JSON text or a plain object. `source` names the file in error messages. */
export function graphFromJSON(input: string | unknown, source = 'the architecture'): Graph {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (e) {
      throw new NetSproutError('GRAPH_JSON', `${source} is not valid JSON: ${(e as Error).message}.`, 'Check the file.', [source]);
    }
  }
  const parsed = graphSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new NetSproutError(
      'GRAPH_SCHEMA',
      `${source} is not a NetSprout architecture: ${issue.message} at ${issue.path.join('.') || 'the top level'}.`,
      'An architecture file has {"version": 1, "layers": [...], "output": "<layer id>"}.',
      [source],
    );
  }
  const graph = parsed.data as Graph;
  validateGraph(graph);
  return graph;
}

export function graphToJSON(graph: Graph): string {
  return JSON.stringify(graph, null, 2);
}

/** JSON with object keys sorted, for hashing. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A stable hash of the architecture: independent of key order and of the order of `layers` in the file
 * (layers are hashed in topological order). Layer ids are part of the architecture and count.
 */
export function graphHash(graph: Graph): string {
  const ordered = { version: graph.version, output: graph.output, layers: topologicalOrder(graph) };
  return createHash('sha256').update(canonical(ordered)).digest('hex').slice(0, 16);
}

export function cloneGraph(graph: Graph): Graph {
  return structuredClone(graph);
}
