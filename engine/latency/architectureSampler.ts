/**
 * Architectures drawn from the search space, for measuring: a seed network of engine/graph/presets.ts (the small
 * CNN or the reference CNN) at a random width, on one of the image input shapes, grown by a random number of the
 * search's own morphisms (engine/morph). The draw follows the latency guidelines the thesis applies from
 * ShuffleNet V2: every stage has one channel width (widths are multiples of 4, and morphisms widen whole add
 * groups together), splitting and concatenating (fragmentation) is drawn less often than going deeper or wider,
 * and networks stay small enough to be measured many times in a few minutes (at most `maxMacs`).
 */
import { graphMetrics } from '../graph/metrics.js';
import { referenceCnn, smallCnn } from '../graph/presets.js';
import { graphHash } from '../graph/serialize.js';
import type { Graph } from '../graph/types.js';
import { initialWeights } from '../hardware/measuredModel.js';
import { applicableMorphs, applicableShrinks, applyRandomCandidate, type MorphCandidate } from '../morph/morphCatalogue.js';
import { MorphError, type ModelState } from '../morph/modelState.js';
import type { SeededRandom } from '../train/seededRandom.js';

export interface SearchSpace {
  seeds: Array<'small-cnn' | 'reference-cnn'>;
  /** Networks to grow from instead of the image presets (a job's own seed network for tables and text). */
  seedGraphs?: Graph[];
  inputShapes: number[][];
  classes: number;
  /** Width factors applied to the seed's convolutions (rounded to multiples of 4). */
  widthFactors: number[];
  maxMorphs: number;
  maxMacs: number;
  /** Relative frequency of each morphism (or shrinking operator: narrow, sepconv, remove-layer, remove-input) when it applies. */
  morphWeights: Record<string, number>;
}

export const DEFAULT_SEARCH_SPACE: SearchSpace = {
  seeds: ['small-cnn', 'reference-cnn'],
  inputShapes: [
    [28, 28, 1],
    [32, 32, 3],
  ],
  classes: 10,
  widthFactors: [0.25, 0.5, 0.75, 1, 1.5, 2],
  maxMorphs: 8,
  maxMacs: 60e6,
  morphWeights: { 'deeper-conv': 3, 'deeper-sepconv': 2, wider: 3, 'widen-kernel': 1, 'skip-add': 1.5, 'deeper-dense': 0.5, 'skip-concat': 0.5, branch: 0.5 },
};

export interface SampledArchitecture {
  graph: Graph;
  hash: string;
  origin: { seed: string; inputShape: number[]; widthFactor: number; morphs: string[] };
}

/** The seed network with every convolution's filters and hidden dense layer's units scaled by `factor` (multiples of 4, at least 4). */
export function scaleWidths(graph: Graph, factor: number): Graph {
  const g = structuredClone(graph);
  for (const l of g.layers) {
    if ((l.type === 'conv2d' || l.type === 'separableConv2d' || l.type === 'conv1d') && l.id !== g.output) {
      l.params.filters = Math.max(4, Math.round((l.params.filters * factor) / 4) * 4);
    } else if (l.type === 'dense' && l.id !== g.output) {
      l.params.units = Math.max(4, Math.round((l.params.units * factor) / 4) * 4);
    }
  }
  return g;
}

function pickWeighted<T>(rng: SeededRandom, items: T[], weight: (t: T) => number): T {
  const total = items.reduce((s, t) => s + weight(t), 0);
  let r = rng.next() * total;
  for (const t of items) {
    r -= weight(t);
    if (r < 0) return t;
  }
  return items[items.length - 1];
}

/** One operator of kind `op` chosen uniformly among `operators` (those that turn out not to apply are skipped). */
function randomOperator(operators: MorphCandidate[], op: string, rng: SeededRandom) {
  return applyRandomCandidate(operators.filter((c) => c.op === op), rng, `No ${op} applies to this network.`);
}

export function sampleArchitecture(rng: SeededRandom, space: SearchSpace = DEFAULT_SEARCH_SPACE): SampledArchitecture {
  let seedName: string;
  let inputShape: number[];
  let widthFactor: number;
  let seedGraph: Graph;
  if (space.seedGraphs?.length) {
    const k = rng.int(space.seedGraphs.length);
    seedName = `job seed ${k}`;
    const input = space.seedGraphs[k].layers.find((l) => l.type === 'input');
    inputShape = input && input.type === 'input' ? input.params.shape : [];
    widthFactor = space.widthFactors[rng.int(space.widthFactors.length)];
    seedGraph = scaleWidths(space.seedGraphs[k], widthFactor);
  } else {
    seedName = space.seeds[rng.int(space.seeds.length)];
    inputShape = space.inputShapes[rng.int(space.inputShapes.length)];
    widthFactor = space.widthFactors[rng.int(space.widthFactors.length)];
    seedGraph = scaleWidths(seedName === 'small-cnn' ? smallCnn(inputShape, space.classes) : referenceCnn(inputShape, space.classes), widthFactor);
  }
  let state: ModelState = { graph: seedGraph, weights: initialWeights(seedGraph, rng.seed()) };
  const morphs: string[] = [];
  const steps = rng.int(space.maxMorphs + 1);
  const shrinking = ['narrow', 'sepconv', 'remove-layer', 'remove-input'].some((op) => (space.morphWeights[op] ?? 0) > 0);
  for (let i = 0; i < steps; i++) {
    const operators = [...applicableMorphs(state), ...(shrinking ? applicableShrinks(state) : [])];
    const ops = [...new Set(operators.map((c) => c.op))].filter((op) => (space.morphWeights[op] ?? 0) > 0);
    let next: ModelState | null = null;
    while (ops.length && !next) {
      const op = pickWeighted(rng, ops, (o) => space.morphWeights[o]);
      try {
        const r = randomOperator(operators, op, rng);
        if (graphMetrics(r.graph).macs <= space.maxMacs) {
          next = r;
          morphs.push(r.record.op);
        } else ops.splice(ops.indexOf(op), 1);
      } catch (e) {
        if (!(e instanceof MorphError)) throw e;
        ops.splice(ops.indexOf(op), 1);
      }
    }
    if (!next) break;
    state = next;
  }
  return { graph: state.graph, hash: graphHash(state.graph), origin: { seed: seedName, inputShape: [...inputShape], widthFactor, morphs } };
}
