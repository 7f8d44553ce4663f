/**
 * The candidate operations of Prune and Replace (Laube, thesis ch. 4.3.2): Identity and 3×3 max and average
 * pooling, which cannot be made later, and separable convolutions with four properties — kernel size k, dilation
 * d, depth n (stacked ReLU–SepConv–BN layers) and the width factors w_1..w_n of their outputs (the last is always 1,
 * so the edge's output keeps its channels). Six transformations make a child from a parent convolution: k ± 2,
 * d ± 1, widen the narrowest inner layer by 1 (n ≥ 2), append an identity layer; the limits below are the thesis's
 * depth-restricted space, narrowed for CPUs.
 */
import type { SeededRandom } from '../../train/seededRandom.js';

export type CandidateOp =
  | { kind: 'identity' }
  | { kind: 'maxPool' }
  | { kind: 'avgPool' }
  | { kind: 'sepConv'; k: number; d: number; widths: number[] };

export type Transformation = 'kernel+' | 'kernel-' | 'dilation+' | 'dilation-' | 'widen' | 'deepen';
export const TRANSFORMATIONS: Transformation[] = ['kernel+', 'kernel-', 'dilation+', 'dilation-', 'widen', 'deepen'];

export interface OpLimits {
  kernels: number[];
  dilations: number[];
  maxDepth: number;
  maxWidth: number;
}

/** The depth-restricted space of Table 4.3 (k ∈ {1,3,5,7}, d ∈ {1,2}, n ≤ 2), widths up to 2 for CPU budgets. */
export const DEFAULT_LIMITS: OpLimits = { kernels: [1, 3, 5, 7], dilations: [1, 2], maxDepth: 2, maxWidth: 2 };

export const INITIAL_POOL: CandidateOp[] = [{ kind: 'identity' }, { kind: 'maxPool' }, { kind: 'avgPool' }, { kind: 'sepConv', k: 3, d: 1, widths: [1] }];

export function opKey(op: CandidateOp): string {
  return op.kind === 'sepConv' ? `sep_k${op.k}_d${op.d}_w${op.widths.join('-')}` : op.kind;
}

function allowed(op: CandidateOp, limits: OpLimits): boolean {
  if (op.kind !== 'sepConv') return true;
  if (!limits.kernels.includes(op.k) || !limits.dilations.includes(op.d)) return false;
  if (op.k === 1 && op.d > 1) return false;
  if (op.widths.length > limits.maxDepth || op.widths.some((w) => w > limits.maxWidth)) return false;
  return op.widths[op.widths.length - 1] === 1;
}

/** The child of a transformation, or null when it does not apply or leaves the limits. */
export function transformOp(op: CandidateOp, t: Transformation, limits: OpLimits = DEFAULT_LIMITS): { op: CandidateOp; widenLayer?: number } | null {
  if (op.kind !== 'sepConv') return null;
  let child: CandidateOp;
  let widenLayer: number | undefined;
  switch (t) {
    case 'kernel+':
      child = { ...op, k: op.k + 2 };
      break;
    case 'kernel-':
      child = { ...op, k: op.k - 2 };
      break;
    case 'dilation+':
      child = { ...op, d: op.d + 1 };
      break;
    case 'dilation-':
      child = { ...op, d: op.d - 1 };
      break;
    case 'widen': {
      if (op.widths.length < 2) return null;
      // The narrowest inner layer, the leading one among equals.
      const inner = op.widths.slice(0, -1);
      widenLayer = inner.indexOf(Math.min(...inner));
      child = { ...op, widths: op.widths.map((w, i) => (i === widenLayer ? w + 1 : w)) };
      break;
    }
    case 'deepen':
      child = { ...op, widths: [...op.widths, 1] };
      break;
  }
  if (child.kind === 'sepConv' && (child.k < 1 || child.d < 1)) return null;
  return allowed(child, limits) ? { op: child, widenLayer } : null;
}

/**
 * Similarity of two operations (thesis Table 4.1): 0 for different types, 1 for the same; pooling of the other
 * type 2/3; separable convolutions lose 1/4 for each of a different kernel, dilation and depth, and at equal depth
 * n 1/4 · (differing widths)/(n + 1) — which reproduces every value of the table.
 */
export function opSimilarity(a: CandidateOp, b: CandidateOp): number {
  if (a.kind === 'identity' || b.kind === 'identity') return a.kind === b.kind ? 1 : 0;
  if (a.kind !== 'sepConv' && b.kind !== 'sepConv') return a.kind === b.kind ? 1 : 2 / 3;
  if (a.kind !== 'sepConv' || b.kind !== 'sepConv') return 0;
  let s = 1 - 0.25 * (a.k !== b.k ? 1 : 0) - 0.25 * (a.d !== b.d ? 1 : 0);
  if (a.widths.length !== b.widths.length) s -= 0.25;
  else s -= (0.25 * a.widths.filter((w, i) => w !== b.widths[i]).length) / (a.widths.length + 1);
  return s;
}

/** A schedule of (prune, replace) per iteration: exploring (pools grow to `maxPool`), then converging to one op. */
export function pruneReplaceSchedule(iterations: number, start = INITIAL_POOL.length, maxPool = 5): Array<{ prune: number; replace: number }> {
  const explore = Math.max(1, Math.floor(iterations / 2));
  const out: Array<{ prune: number; replace: number }> = [];
  let size = start;
  for (let i = 0; i < iterations; i++) {
    if (i < explore && iterations > 1) {
      const prune = Math.min(size - 1, i === 0 ? 1 : 2);
      const replace = Math.max(0, maxPool - (size - prune));
      out.push({ prune, replace });
      size = size - prune + replace;
    } else {
      const prune = Math.ceil((size - 1) / (iterations - i));
      out.push({ prune, replace: 0 });
      size -= prune;
    }
  }
  return out;
}

/** Parents drawn among the convolutions in proportion to their softmax weights. */
export function drawWeighted(weights: number[], rng: SeededRandom): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u <= 0) return i;
  }
  return weights.length - 1;
}
