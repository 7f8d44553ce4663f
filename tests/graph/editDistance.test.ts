import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../engine/graph/builder.js';
import { editDistance, layersDistance, skipsDistance, tokenize } from '../../engine/graph/editDistance.js';
import { referenceCnn } from '../../engine/graph/presets.js';
import { randomImageGraph } from '../helpers/randomGraphs.js';

/** A plain chain of dense layers of the given widths (no BN or activations, to keep the hand computation short). */
function chain(widths: number[]) {
  const b = new GraphBuilder();
  let x = b.input([4]);
  for (const w of widths) x = b.dense(x, w);
  return b.build(x);
}

describe('Auto-Keras edit distance', () => {
  it('is zero from a network to itself', () => {
    for (let s = 0; s < 20; s++) expect(editDistance(randomImageGraph(s), randomImageGraph(s))).toBe(0);
    expect(editDistance(referenceCnn(), referenceCnn())).toBe(0);
  });

  it('is symmetric and satisfies the triangle inequality on random graphs', () => {
    const graphs = Array.from({ length: 14 }, (_, s) => randomImageGraph(100 + s));
    const d = graphs.map((a) => graphs.map((b) => editDistance(a, b)));
    for (let i = 0; i < graphs.length; i++) {
      for (let j = 0; j < graphs.length; j++) {
        expect(d[i][j]).toBeCloseTo(d[j][i], 12);
        if (i !== j && JSON.stringify(graphs[i]) !== JSON.stringify(graphs[j])) expect(d[i][j]).toBeGreaterThan(0);
        for (let k = 0; k < graphs.length; k++) expect(d[i][j]).toBeLessThanOrEqual(d[i][k] + d[k][j] + 1e-9);
      }
    }
  });

  it('hand-computed: widening costs |w_a − w_b| / max(w_a, w_b) per matched layer (eq. 5)', () => {
    // [16, 32] → [16, 64]: one widening 32 → 64 costs 32/64.
    expect(editDistance(chain([16, 32]), chain([16, 64]))).toBeCloseTo(0.5, 12);
    // [10, 20] → [20, 40]: 10/20 + 20/40.
    expect(editDistance(chain([10, 20]), chain([20, 40]))).toBeCloseTo(1, 12);
  });

  it('hand-computed: inserting a layer costs 1 (eq. 4, Figure 1: insert a node of width 20 after the first)', () => {
    expect(editDistance(chain([10, 30, 40]), chain([10, 20, 30, 40]))).toBeCloseTo(1, 12);
    // [10, 30] → [10, 20, 60]: insert 20 and widen 30 → 60 costs 1 + 30/60 = 1.5, but matching 30 with 20 and
    // inserting 60 costs 10/30 + 1 = 4/3, the minimum.
    expect(editDistance(chain([10, 30]), chain([10, 20, 60]))).toBeCloseTo(4 / 3, 12);
  });

  it('hand-computed: the Levenshtein recurrence finds the cheapest matching, not the first', () => {
    // Matching 8 with 8 and inserting 64 (cost 1) beats widening 8 → 64 and inserting 8 (cost 56/64 + 1).
    expect(layersDistance([{ kind: 'dense', width: 8 }], [{ kind: 'dense', width: 64 }, { kind: 'dense', width: 8 }])).toBeCloseTo(1, 12);
    // Different kinds never match cheaper than delete + insert.
    expect(layersDistance([{ kind: 'conv', width: 8 }], [{ kind: 'dense', width: 8 }])).toBe(1);
  });

  it('hand-computed: skip connections by position and span (eq. 8), matched by the Hungarian algorithm (eq. 7)', () => {
    // d_s((u=2, δ=3), (u=4, δ=3)) = (2 + 0) / (4 + 3).
    expect(skipsDistance([{ kind: 'add', u: 2, delta: 3 }], [{ kind: 'add', u: 4, delta: 3 }])).toBeCloseTo(2 / 7, 12);
    // Greedy would match a1↔b1 (0) and leave a2↔b2 at 1 (kinds differ); optimal crosses: a1↔b2, a2↔b1.
    const a = [
      { kind: 'add', u: 1, delta: 2 },
      { kind: 'concat', u: 1, delta: 2 },
    ];
    const b = [
      { kind: 'concat', u: 1, delta: 2 },
      { kind: 'add', u: 1, delta: 2 },
    ];
    expect(skipsDistance(a, b)).toBe(0);
    // An unmatched skip costs 1.
    expect(skipsDistance(a, b.slice(0, 1))).toBe(1);
  });

  it('finds the skip connections of a graph with their rank and span', () => {
    const b = new GraphBuilder();
    const x = b.input([8, 8, 1]);
    const c1 = b.conv2d(x, 4);
    const c2 = b.conv2d(c1, 4);
    const c3 = b.conv2d(c2, 4);
    const s = b.addLayers([c3, c1]);
    const g = b.build(b.dense(b.globalAvgPool(s), 2));
    expect(tokenize(g).skips).toEqual([{ kind: 'add', u: 1, delta: 3 }]);
    expect(tokenize(g).layers.map((l) => `${l.kind}:${l.width}`)).toEqual(['conv:4', 'conv:4', 'conv:4', 'gpool:4', 'dense:2']);
  });
});
