/** The colour and shape of each kind of layer, shared by the architecture drawing and its legend. */
export interface LayerFamily {
  name: string;
  color: string;
  shape: 'round-rectangle' | 'ellipse' | 'diamond' | 'hexagon' | 'barrel' | 'tag' | 'rectangle';
  explain: string;
}

export const LAYER_FAMILIES: Record<string, LayerFamily> = {
  input: { name: 'Input', color: '#7b8598', shape: 'tag', explain: 'Where your data enters the network.' },
  conv: { name: 'Convolution', color: '#3b7dd8', shape: 'round-rectangle', explain: 'Looks for small patterns (edges, textures, words) everywhere in the input.' },
  sepconv: { name: 'Separable conv.', color: '#6a5acd', shape: 'round-rectangle', explain: 'A cheaper convolution, split into two smaller steps.' },
  dense: { name: 'Dense', color: '#9b51c0', shape: 'rectangle', explain: 'Connects every input to every output; usually near the end.' },
  norm: { name: 'Batch norm', color: '#1b9e8f', shape: 'barrel', explain: 'Keeps the numbers in a steady range so training is stable.' },
  activation: { name: 'Activation', color: '#d9901a', shape: 'ellipse', explain: 'A simple bend (like ReLU) that lets the network learn curved boundaries.' },
  pool: { name: 'Pooling', color: '#3f9c4a', shape: 'hexagon', explain: 'Shrinks the picture by summarising small areas.' },
  reshape: { name: 'Flatten', color: '#8795a8', shape: 'rectangle', explain: 'Lays the numbers out in one long row.' },
  dropout: { name: 'Dropout', color: '#a9b3c1', shape: 'rectangle', explain: 'Randomly ignores some numbers while training, so the model does not memorise.' },
  add: { name: 'Add (skip)', color: '#d64545', shape: 'ellipse', explain: 'Adds a shortcut path back in (a skip connection).' },
  concat: { name: 'Concatenate', color: '#d04f97', shape: 'diamond', explain: 'Joins two paths side by side.' },
  embedding: { name: 'Embedding', color: '#e07a2e', shape: 'tag', explain: 'Turns words into lists of numbers the network can use.' },
  other: { name: 'Other', color: '#94a3b8', shape: 'round-rectangle', explain: 'Another kind of layer.' },
};

const FAMILY_OF: Record<string, keyof typeof LAYER_FAMILIES> = {
  input: 'input',
  conv2d: 'conv',
  conv1d: 'conv',
  separableConv2d: 'sepconv',
  depthwiseConv2d: 'sepconv',
  dense: 'dense',
  batchNorm: 'norm',
  activation: 'activation',
  maxPool2d: 'pool',
  avgPool2d: 'pool',
  maxPool1d: 'pool',
  avgPool1d: 'pool',
  globalAvgPool: 'pool',
  globalMaxPool: 'pool',
  flatten: 'reshape',
  dropout: 'dropout',
  add: 'add',
  concat: 'concat',
  embedding: 'embedding',
};

export function layerFamily(type: string): LayerFamily {
  return LAYER_FAMILIES[FAMILY_OF[type] ?? 'other'];
}

export function familyKey(type: string): string {
  return FAMILY_OF[type] ?? 'other';
}

/** A short label for a layer node: its kind and its main setting ("conv 3×3 · 32"). */
export function layerLabel(layer: { type: string; params: Record<string, unknown> }): string {
  const p = layer.params;
  const k = (v: unknown) => (Array.isArray(v) ? v.join('×') : String(v));
  switch (layer.type) {
    case 'conv2d':
    case 'conv1d':
      return `conv ${k(p.kernelSize)} · ${p.filters}`;
    case 'separableConv2d':
      return `sep ${k(p.kernelSize)} · ${p.filters}`;
    case 'depthwiseConv2d':
      return `dw ${k(p.kernelSize)}`;
    case 'dense':
      return `dense · ${p.units}`;
    case 'activation':
      return String(p.fn ?? 'act');
    case 'batchNorm':
      return 'batch norm';
    case 'maxPool2d':
    case 'maxPool1d':
      return `max pool ${k(p.poolSize)}`;
    case 'avgPool2d':
    case 'avgPool1d':
      return `avg pool ${k(p.poolSize)}`;
    case 'globalAvgPool':
      return 'global avg';
    case 'globalMaxPool':
      return 'global max';
    case 'dropout':
      return `dropout ${p.rate}`;
    case 'embedding':
      return `embed · ${p.outputDim}`;
    default:
      return layer.type;
  }
}

/** Morphism operations (engine/morph) in plain words; CandidateRow.morphs may carry a description after the op. */
const MORPH_WORDS: Record<string, string> = {
  'deeper-conv': 'added a convolution block',
  'deeper-sepconv': 'added a separable convolution block',
  'deeper-dense': 'added a dense layer',
  wider: 'widened a layer',
  'widen-kernel': 'enlarged a filter',
  branch: 'added a parallel branch',
  'skip-add': 'added a shortcut (add)',
  'skip-concat': 'added a shortcut (concatenate)',
  'remove-layer': 'removed a layer',
  'remove-input': 'removed a connection',
  narrow: 'narrowed a layer',
  sepconv: 'made a convolution separable',
};

export function morphWords(morph: string): string {
  const op = morph.split(/[\s:(]/)[0];
  return MORPH_WORDS[op] ?? morph;
}
