import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { smallCnn } from '../../../engine/graph/presets.js';
import { graphToJSON } from '../../../engine/graph/serialize.js';
import { candidateDetail, jobPhase, journalPhase, paretoFront, readJobView, recommendedCandidate, viewFromEvents } from '../../../main/services/jobViews.js';
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
    // The architecture in words comes from the candidate's graph; a job of an older engine kept none for c0.
    expect(view.rows[1].summary).toMatch(/^\d+ conv, \d+ dense/);
    expect(view.rows[0].summary).toBeNull();
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
    expect(missing.graphMissing).toMatch(/older NetSprout/);
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

describe('job views: every candidate\'s architecture and the phase shown', () => {
  it('summarises and draws every candidate from graphs/<id>.json, checkpoint or not, by layer kind and skips', async () => {
    const jobDir = await fakeJobFolder(path.join(await tempDir('views'), 'jobs'), 'job-g', project, false);
    const graph = smallCnn([12, 12, 1], 4);
    // The engine keeps every candidate's graph in graphs/, whether or not its weights were deleted.
    await mkdir(path.join(jobDir, 'graphs'), { recursive: true });
    for (const id of ['c0', 'c1', 'c2']) await writeFile(path.join(jobDir, 'graphs', `${id}.json`), graphToJSON(graph));
    const view = readJobView(jobDir);
    const convs = graph.layers.filter((l) => l.type === 'conv2d').length;
    const dense = graph.layers.filter((l) => l.type === 'dense').length;
    for (const r of view.rows) expect(r.summary).toMatch(new RegExp(`^${convs} conv, ${dense} dense\\b`));
    // The morph history stays in `morphs`, not in the summary.
    expect(view.rows[1].morphs).toEqual(['wider']);
    expect(view.rows.map((r) => r.summary).join(' ')).not.toMatch(/seed|wider|deeper/);
    // No checkpoint for c0 (its weights are gone), yet its architecture is drawn.
    const d = candidateDetail(jobDir, view, 'c0');
    expect(d.graph?.layers.map((l) => l.id)).toEqual(graph.layers.map((l) => l.id));
    expect(d.graphMissing).toBeUndefined();
  });

  it('does not take the plan\'s mention of the final training for the final phase', () => {
    const at = (type: string, extra: Record<string, unknown> = {}) => ({ type, elapsedSeconds: 1, ...extra });
    const planned = [
      at('started'),
      at('target'),
      at('plan'),
      at('log', { message: 'Plan: hill search for 40 s, 4 neighbours of 1 epoch(s), seed trained 2 epoch(s); 15 s for the final training.' }),
      at('candidate', { id: 'c0', parentId: null, morphs: [], status: 'trained', accuracy: 0.5, accuracyInherited: null, params: 10, seconds: 1 }),
    ];
    expect(journalPhase(planned)).toBe('search');
    // Stopped while profiling, then resumed: the new run has done nothing yet.
    expect(journalPhase([at('started'), at('plan'), at('log', { message: 'Plan: … for the final training.' }), at('resumed')])).toBe('data');
    expect(journalPhase([at('started'), at('target')])).toBe('profile');
    expect(journalPhase([...planned, at('front', { verified: true, members: [] })])).toBe('verify');
    expect(journalPhase([...planned, at('log', { message: 'Recommended candidate c0 (validation accuracy 50.00%); final training.' })])).toBe('final');
    expect(journalPhase([])).toBeNull();
    expect(viewFromEvents('/nowhere', planned as never).phase).toBe('search');
    // The strategy auto chose, once it has.
    expect(viewFromEvents('/nowhere', planned as never).chosenStrategy).toBeNull();
    expect(viewFromEvents('/nowhere', [at('strategy-choice', { strategy: 'ncevolve', reasons: [] }), ...planned] as never).chosenStrategy).toBe('ncevolve');
  });

  it('shows a running job\'s phase from its engine only: "starting" until its first event, never the last run\'s', () => {
    const lastRun = { phase: 'final' };
    expect(jobPhase('running', null, lastRun)).toBeNull();
    expect(jobPhase('running', 'profile', lastRun)).toBe('profile');
    expect(jobPhase('queued', undefined, lastRun)).toBeNull();
    expect(jobPhase('paused', null, { phase: 'search' })).toBe('search');
    expect(jobPhase('done', null, { phase: 'search' })).toBe('done');
  });
});
