import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../engine/backend/ladder.js';
import { checkState } from '../../engine/morph/modelState.js';
import { INITIAL_POOL, opKey, opSimilarity, pruneReplaceSchedule, transformOp, type CandidateOp } from '../../engine/search/pruneReplace/candidateOps.js';
import { prunePool, replaceInPool } from '../../engine/search/pruneReplace/pruneReplace.js';
import { deriveNetwork, fittingBatchSize, initOpWeights, initSuperState, SuperNetwork, trainIteration, transformWeights, type SuperState } from '../../engine/search/pruneReplace/superNetwork.js';
import { makeRandom } from '../../engine/train/seededRandom.js';
import { quadrantData } from '../helpers/syntheticData.js';
import { maxAbsDiff, outputsOf } from '../helpers/modelStates.js';

beforeAll(async () => {
  await initBackend();
});

const rng = makeRandom(21);
const images = (n: number) => tf.tensor4d(Float32Array.from({ length: n * 144 }, () => rng.normal()), [n, 12, 12, 1]);

/** A super-network whose pools each hold one operation (softmax weight 1), with non-trivial BN statistics. */
function singleOpState(ops: CandidateOp[], seed: number): SuperState {
  const s = initSuperState({ inputShape: [12, 12, 1], classes: 4, widths: [4, 8] }, seed);
  const r = makeRandom(seed + 1);
  s.pools = ops.map((op) => [{ op, alpha: 0.3, cells: s.config.widths.map((w) => initOpWeights(op, w, r)) }]);
  for (const pool of s.pools) for (const e of pool) for (const layers of e.cells) for (const l of layers) l.bn = [l.bn[0].map(() => 0.5 + r.next()), l.bn[1].map(() => r.normal() * 0.2), l.bn[2].map(() => r.normal() * 0.2), l.bn[3].map(() => 0.5 + r.next())];
  return s;
}

function superOutputs(state: SuperState, x: tf.Tensor): Float32Array {
  const net = new SuperNetwork(state);
  const y = tf.tidy(() => tf.softmax(net.forward(x, false)).dataSync() as Float32Array);
  net.dispose();
  return y;
}

describe('Prune and Replace candidate operations', () => {
  it('transforms convolutions within the limits and measures similarity as Table 4.1', () => {
    const sep = (k: number, d: number, widths: number[]): CandidateOp => ({ kind: 'sepConv', k, d, widths });
    expect(transformOp(sep(3, 1, [1]), 'kernel+')?.op).toEqual(sep(5, 1, [1]));
    expect(transformOp(sep(7, 1, [1]), 'kernel+')).toBeNull();
    expect(transformOp(sep(3, 1, [1]), 'widen')).toBeNull();
    expect(transformOp(sep(3, 1, [1]), 'deepen')?.op).toEqual(sep(3, 1, [1, 1]));
    expect(transformOp(sep(3, 1, [1, 1]), 'widen')).toEqual({ op: sep(3, 1, [2, 1]), widenLayer: 0 });
    expect(transformOp(sep(1, 1, [1]), 'dilation+')).toBeNull();
    expect(transformOp({ kind: 'maxPool' }, 'kernel+')).toBeNull();
    const ref = sep(3, 1, [2, 1]);
    expect(opSimilarity({ kind: 'identity' }, ref)).toBe(0);
    expect(opSimilarity({ kind: 'maxPool' }, { kind: 'avgPool' })).toBeCloseTo(0.67, 2);
    expect(opSimilarity(sep(3, 1, [1, 1]), ref)).toBeCloseTo(0.92, 2);
    expect(opSimilarity(sep(3, 1, [1]), ref)).toBeCloseTo(0.75, 2);
    expect(opSimilarity(sep(3, 2, [1]), ref)).toBeCloseTo(0.5, 2);
    expect(opSimilarity(sep(5, 2, [1]), ref)).toBeCloseTo(0.25, 2);
  });

  it('schedules exploring then converging iterations that end with one operation per edge', () => {
    for (const n of [1, 2, 3, 5, 9]) {
      let size = 4;
      const plan = pruneReplaceSchedule(n);
      for (const step of plan) {
        expect(step.prune).toBeLessThan(size);
        size = size - step.prune + step.replace;
        expect(size).toBeLessThanOrEqual(5);
      }
      expect(size).toBe(1);
    }
  });

  it('prunes the lowest-ranked candidates but keeps a convolution, and replaces them with new children of the survivors', () => {
    const s = initSuperState({ inputShape: [12, 12, 1], classes: 4, widths: [4, 8] }, 1);
    const pool = s.pools[0].map((e, i) => ({ ...e, alpha: [0.5, -1, 0.2, -2][i] }));
    // The convolution ranks lowest, but the last convolution stays while exploring.
    expect(prunePool(pool, 1, true).map((e) => opKey(e.op))).toEqual(['identity', 'avgPool', 'sep_k3_d1_w1']);
    expect(prunePool(pool, 2, true).map((e) => opKey(e.op))).toEqual(['identity', 'sep_k3_d1_w1']);
    expect(prunePool(pool, 2, false).map((e) => opKey(e.op))).toEqual(['identity', 'avgPool']);
    const kept = prunePool(pool, 2, true);
    const history = INITIAL_POOL.map(opKey);
    const next = replaceInPool(kept, history, 3, s.config.widths, makeRandom(2));
    expect(next).toHaveLength(5);
    const added = next.slice(2);
    expect(new Set(next.map((e) => opKey(e.op))).size).toBe(5);
    for (const e of added) {
      expect(e.op.kind).toBe('sepConv');
      expect(history).toContain(opKey(e.op));
    }
    expect(added[0].alpha).toBe(-2);
    // The same generator replaces the same way (a resumed job rebuilds the same pools).
    const again = replaceInPool(kept, INITIAL_POOL.map(opKey), 3, s.config.widths, makeRandom(2));
    expect(again.map((e) => opKey(e.op))).toEqual(next.map((e) => opKey(e.op)));
  });
});

describe('the super-network', () => {
  it('derives a discrete network that computes what the super-network computes, dilated and stacked convolutions included', () => {
    const x = images(3);
    const state = singleOpState([{ kind: 'sepConv', k: 3, d: 2, widths: [2, 1] }, { kind: 'avgPool' }, { kind: 'sepConv', k: 5, d: 1, widths: [1] }], 3);
    const derived = deriveNetwork(state);
    checkState(derived);
    expect(maxAbsDiff(superOutputs(state, x), outputsOf(derived, x))).toBeLessThan(1e-4);
    const withIdentity = singleOpState([{ kind: 'identity' }, { kind: 'maxPool' }, { kind: 'identity' }], 4);
    expect(maxAbsDiff(superOutputs(withIdentity, x), outputsOf(deriveNetwork(withIdentity), x))).toBeLessThan(1e-4);
    x.dispose();
  });

  it('inherits weights so that kernel widening and widening keep the operation\'s function', () => {
    const x = images(2);
    const parentOp: CandidateOp = { kind: 'sepConv', k: 3, d: 1, widths: [1, 1] };
    const parent = singleOpState([parentOp, { kind: 'identity' }, parentOp], 5);
    for (const t of ['kernel+', 'widen'] as const) {
      const child = transformOp(parentOp, t)!;
      const next: SuperState = { ...parent, pools: parent.pools.map((pool) => pool.map((e) => e.op.kind !== 'sepConv' ? e : ({ op: child.op, alpha: e.alpha, cells: transformWeights(e, child.op, t, parent.config.widths, makeRandom(6), child.widenLayer) }))) };
      expect(maxAbsDiff(superOutputs(parent, x), superOutputs(next, x)), t).toBeLessThan(1e-4);
    }
    x.dispose();
  });

  it('trains weights and, after the grace share, architecture weights; fits the batch to the memory', async () => {
    const data = quadrantData(96, 12, 2);
    const state = initSuperState({ inputShape: [12, 12, 1], classes: 4, widths: [4, 8] }, 7);
    const before = state.pools[0].map((e) => e.alpha);
    const stem = state.stem[0].slice();
    const r = await trainIteration(state, { train: data, validation: data, batchSize: 16, seconds: 60, maxSteps: 6, grace: 0.5, seed: 1 });
    expect(r.steps).toBe(6);
    expect(maxAbsDiff(stem, state.stem[0])).toBeGreaterThan(0);
    expect(maxAbsDiff(Float32Array.from(before), Float32Array.from(state.pools[0].map((e) => e.alpha)))).toBeGreaterThan(0);
    expect(fittingBatchSize(state, 1e12)).toBe(64);
    expect(fittingBatchSize(state, 1)).toBe(16);
    const mid = fittingBatchSize(state, 40e6);
    expect(mid).toBeGreaterThanOrEqual(16);
    expect(mid).toBeLessThanOrEqual(64);
    data.x.dispose();
  });
});
