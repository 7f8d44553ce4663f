import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { smallCnn } from '../../../engine/graph/presets.js';
import { graphToJSON } from '../../../engine/graph/serialize.js';
import { candidateDetail, paretoFront, readJobView, recommendedCandidate, viewFromEvents } from '../../../main/services/jobViews.js';
import { fakeJobFolder, tempDir } from '../../helpers/appFixtures.js';

const project = { id: 'p1', name: 'Flowers', dataPath: '/data/flowers', kind: 'images', createdAt: '2026-01-01T00:00:00.000Z', isSample: false };

describe('job views', () => {
  it('builds the leaderboard, the best-accuracy curve, a front, the log and a lineage from the journal', async () => {
    const jobDir = await fakeJobFolder(path.join(await tempDir('views'), 'jobs'), 'job-a', project, true);
    const graph = smallCnn([12, 12, 1], 4);
    await mkdir(path.join(jobDir, 'candidates', 'c1'), { recursive: true });
    await writeFile(path.join(jobDir, 'candidates', 'c1', 'graph.json'), graphToJSON(graph));
    const view = readJobView(jobDir);
    expect(view.rows.map((r) => r.id)).toEqual(['c0', 'c1', 'c2']);
    expect(view.rows[1]).toMatchObject({ parentId: 'c0', morphs: ['wider'], accuracy: 0.7, accuracyInherited: 0.5, status: 'trained' });
    expect(view.rows[2]).toMatchObject({ status: 'failed', reason: 'would not fit in memory' });
    // A kept checkpoint gives the architecture in words; otherwise the morphisms from the seed do.
    expect(view.rows[1].summary).toMatch(/conv/);
    expect(view.rows[0].summary).toBe('seed network');
    expect(view.bestCurve).toEqual([{ elapsedSeconds: 5, accuracy: 0.5 }, { elapsedSeconds: 9, accuracy: 0.7 }]);
    // No front event: c1 is more accurate but bigger than c0, so neither dominates the other.
    expect(view.front.map((f) => f.id)).toEqual(['c1', 'c0']);
    expect(view.summary).toEqual({ valAccuracy: 0.72, testAccuracy: 0.7, params: 2000, bestId: 'c1' });
    expect(view.phase).toBe('done');
    expect(recommendedCandidate(view, { target: 'cpu' })).toBe('c1');

    const d = candidateDetail(jobDir, view, 'c1');
    expect(d.lineage).toEqual([{ id: 'c0', morphs: [], accuracy: 0.5 }, { id: 'c1', morphs: ['wider'], accuracy: 0.7 }]);
    expect(d.flops).toBe(18000);
    expect(d.graph!.output).toBe(graph.output);
    expect(d.graph!.input).toBe(graph.layers.find((l) => l.type === 'input')!.id);
    expect(d.graph!.layers.find((l) => l.id === graph.output)!.shape).toEqual([4]);
    const missing = candidateDetail(jobDir, view, 'c0');
    expect(missing.graph).toBeNull();
    expect(missing.graphMissing).toMatch(/did not keep/);
    expect(() => candidateDetail(jobDir, view, 'c9')).toThrow(/no candidate c9/);
  });

  it('takes the front from the engine\'s front events and recommends within the limits while the job runs', () => {
    const cand = (id: string, accuracy: number, params: number, latencyPredictedMs: number) => ({ type: 'candidate', id, parentId: null, morphs: [], status: 'trained', accuracy, accuracyInherited: null, params, latencyPredictedMs, seconds: 1, elapsedSeconds: 1 });
    const view = viewFromEvents('/nowhere', [
      cand('a', 0.9, 5000, 40),
      cand('b', 0.8, 1000, 10),
      cand('c', 0.6, 3000, 30),
      { type: 'front', generation: 1, hypervolume: 0.4, members: [{ id: 'a', valAccuracy: 0.9, latencyPredictedMs: 40, params: 5000 }, { id: 'b', valAccuracy: 0.8, latencyPredictedMs: 10, params: 1000 }] },
      { type: 'front', generation: 2, hypervolume: 0.5, members: [{ id: 'a', valAccuracy: 0.9, latencyPredictedMs: 40, latencyMs: 38, params: 5000 }, { id: 'b', valAccuracy: 0.8, latencyPredictedMs: 10, params: 1000 }], verified: true },
    ]);
    expect(view.hypervolumeCurve).toEqual([{ generation: 1, hypervolume: 0.4 }, { generation: 2, hypervolume: 0.5 }]);
    expect(view.rows.filter((r) => r.onFront).map((r) => r.id)).toEqual(['a', 'b']);
    expect(view.rows.find((r) => r.id === 'a')!.latencyMs).toBe(38);
    expect(recommendedCandidate(view, { target: 'cpu' })).toBe('a');
    expect(recommendedCandidate(view, { target: 'cpu', maxLatencyMs: 20 })).toBe('b');
    expect(recommendedCandidate(view, { target: 'cpu', maxParams: 500 })).toBeNull();
    expect([...paretoFront(view.rows)].sort()).toEqual(['a', 'b']);
  });
});
