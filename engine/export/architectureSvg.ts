/**
 * The architecture drawn as a standalone SVG for the model card: one box per layer (coloured by kind, with its
 * main parameters and output shape), rows by depth from the input, arrows for every connection, and skip
 * connections that jump rows drawn as curves beside the main path. Hovering a box shows its id and parameters.
 */
import { inferShapes } from '../graph/shapes.js';
import { topologicalOrder } from '../graph/topology.js';
import type { Graph, Layer } from '../graph/types.js';
import { weightSpecs, sizeOf } from '../graph/weightSpecs.js';

const BOX_W = 210;
const BOX_H = 38;
const ROW_H = 62;
const COL_W = 240;
const MARGIN = 24;

const COLOURS: Record<string, string> = {
  input: '#e0e7ff',
  conv: '#bfdbfe',
  dense: '#fde68a',
  norm: '#e9d5ff',
  act: '#bbf7d0',
  pool: '#fecaca',
  merge: '#fed7aa',
  other: '#e5e7eb',
};

function family(layer: Layer): keyof typeof COLOURS {
  switch (layer.type) {
    case 'input':
      return 'input';
    case 'conv2d':
    case 'conv1d':
    case 'separableConv2d':
    case 'depthwiseConv2d':
    case 'embedding':
      return 'conv';
    case 'dense':
      return 'dense';
    case 'batchNorm':
      return 'norm';
    case 'activation':
    case 'dropout':
      return 'act';
    case 'maxPool2d':
    case 'avgPool2d':
    case 'maxPool1d':
    case 'avgPool1d':
    case 'globalAvgPool':
    case 'globalMaxPool':
    case 'flatten':
      return 'pool';
    case 'add':
    case 'concat':
      return 'merge';
  }
}

/** A short label: the layer's kind and its main parameters, as a person reads them. */
export function layerLabel(layer: Layer): string {
  const act = (a: string) => (a && a !== 'linear' ? ` ${a}` : '');
  switch (layer.type) {
    case 'conv2d':
      return `Conv ${layer.params.kernelSize.join('×')}, ${layer.params.filters}${layer.params.strides[0] > 1 ? ` /${layer.params.strides[0]}` : ''}${act(layer.params.activation)}`;
    case 'separableConv2d':
      return `SepConv ${layer.params.kernelSize.join('×')}, ${layer.params.filters}${act(layer.params.activation)}`;
    case 'depthwiseConv2d':
      return `Depthwise ${layer.params.kernelSize.join('×')}${act(layer.params.activation)}`;
    case 'conv1d':
      return `Conv1D ${layer.params.kernelSize}, ${layer.params.filters}${act(layer.params.activation)}`;
    case 'dense':
      return `Dense ${layer.params.units}${act(layer.params.activation)}`;
    case 'batchNorm':
      return 'BatchNorm';
    case 'activation':
      return layer.params.fn === 'relu' ? 'ReLU' : layer.params.fn;
    case 'maxPool2d':
    case 'avgPool2d':
      return `${layer.type === 'maxPool2d' ? 'MaxPool' : 'AvgPool'} ${layer.params.poolSize.join('×')}`;
    case 'maxPool1d':
    case 'avgPool1d':
      return `${layer.type === 'maxPool1d' ? 'MaxPool1D' : 'AvgPool1D'} ${layer.params.poolSize}`;
    case 'globalAvgPool':
      return 'Global avg pool';
    case 'globalMaxPool':
      return 'Global max pool';
    case 'flatten':
      return 'Flatten';
    case 'dropout':
      return `Dropout ${layer.params.rate}`;
    case 'add':
      return 'Add';
    case 'concat':
      return 'Concatenate';
    case 'embedding':
      return `Embedding ${layer.params.inputDim}→${layer.params.outputDim}`;
    case 'input':
      return 'Input';
  }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function architectureSvg(graph: Graph): string {
  const order = topologicalOrder(graph);
  const shapes = inferShapes(graph);
  const depth = new Map<string, number>();
  for (const l of order) depth.set(l.id, l.inputs.length ? Math.max(...l.inputs.map((i) => depth.get(i)! + 1)) : 0);
  const rows = new Map<number, Layer[]>();
  for (const l of order) rows.set(depth.get(l.id)!, [...(rows.get(depth.get(l.id)!) ?? []), l]);
  const widest = Math.max(...[...rows.values()].map((r) => r.length));
  const width = MARGIN * 2 + (widest - 1) * COL_W + BOX_W + 80;
  const height = MARGIN * 2 + (rows.size - 1) * ROW_H + BOX_H;
  const pos = new Map<string, { x: number; y: number }>();
  for (const [d, layers] of rows) {
    const offset = ((widest - layers.length) * COL_W) / 2;
    layers.forEach((l, k) => pos.set(l.id, { x: MARGIN + offset + k * COL_W, y: MARGIN + d * ROW_H }));
  }
  const edges: string[] = [];
  for (const l of order) {
    const to = pos.get(l.id)!;
    for (const i of l.inputs) {
      const from = pos.get(i)!;
      const x1 = from.x + BOX_W / 2;
      const y1 = from.y + BOX_H;
      const x2 = to.x + BOX_W / 2;
      const y2 = to.y;
      const span = depth.get(l.id)! - depth.get(i)!;
      if (span > 1 && x1 === x2) {
        const bend = x1 + BOX_W / 2 + 24 + 6 * Math.min(span, 6);
        edges.push(`<path d="M${from.x + BOX_W} ${from.y + BOX_H / 2} C${bend} ${from.y + BOX_H / 2}, ${bend} ${to.y + BOX_H / 2}, ${to.x + BOX_W} ${to.y + BOX_H / 2}" class="skip" marker-end="url(#arrow)"/>`);
      } else {
        edges.push(`<path d="M${x1} ${y1} C${x1} ${(y1 + y2) / 2}, ${x2} ${(y1 + y2) / 2}, ${x2} ${y2}" class="edge" marker-end="url(#arrow)"/>`);
      }
    }
  }
  const boxes = order.map((l) => {
    const { x, y } = pos.get(l.id)!;
    const shape = shapes.get(l.id)!;
    const inShapes = l.inputs.map((i) => shapes.get(i)!);
    const params = weightSpecs(l, inShapes).reduce((a, w) => a + sizeOf(w.shape), 0);
    const tip = `${l.id} (${l.type})\noutput ${shape.join('×')}${params ? `\n${params.toLocaleString('en')} parameters` : ''}\n${JSON.stringify(l.params)}`;
    return `<g class="layer"><title>${esc(tip)}</title><rect x="${x}" y="${y}" width="${BOX_W}" height="${BOX_H}" rx="6" fill="${COLOURS[family(l)]}"/><text x="${x + BOX_W / 2}" y="${y + 16}" class="name">${esc(layerLabel(l))}</text><text x="${x + BOX_W / 2}" y="${y + 31}" class="shape">${esc(shape.join(' × '))}</text></g>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Network architecture, ${order.length} layers">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#475569"/></marker></defs>',
    '<style>.edge,.skip{fill:none;stroke:#475569;stroke-width:1.4}.skip{stroke-dasharray:5 3}.layer rect{stroke:#334155;stroke-width:1}.name{font:600 12px sans-serif;text-anchor:middle;fill:#0f172a}.shape{font:11px monospace;text-anchor:middle;fill:#334155}</style>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...edges,
    ...boxes,
    '</svg>',
  ].join('\n');
}
