import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { journalledSpeed, parseBudget, trainingWork, updateSpeedEstimate } from '../../engine/search/budget.js';
import { readJournal, repairJournal } from '../../engine/search/journal.js';
import { planningSpeed, speedHistory } from '../../engine/search/machineSpeed.js';
import { createJob, type StrategyName } from '../../engine/search/jobSpec.js';
import { killAfterCandidates, quadrantFolder, runCli as run } from '../helpers/jobData.js';


describe('budgets', () => {
  it('parses presets and durations, and refuses nonsense with a hint', () => {
    expect(parseBudget('try')).toBe(600);
    expect(parseBudget('low')).toBe(7200);
    expect(parseBudget('medium')).toBe(18000);
    expect(parseBudget('high')).toBe(57600);
    expect(parseBudget('15m')).toBe(900);
    expect(parseBudget('1.5h')).toBe(5400);
    expect(parseBudget('90s')).toBe(90);
    expect(() => parseBudget('soon')).toThrow(/not a budget/);
    expect(() => parseBudget('2s')).toThrow(/too short/);
  });

  it('moves the speed estimate toward each training, at most threefold per training', () => {
    expect(updateSpeedEstimate(1e-9, 1.2e-9)).toBeCloseTo(1.06e-9, 20);
    // A network far slower than the work model says (SpamAssassin's embedding-only network was 72 times the estimate
    // per multiply-add before weight updates were counted): counted as 3 times.
    expect(updateSpeedEstimate(1e-9, 7.2e-8)).toBeCloseTo(1.6e-9, 20);
    expect(updateSpeedEstimate(1e-9, 1e-12)).toBeCloseTo(0.8e-9, 20);
    // A lasting change of speed is followed within a few trainings.
    let e = 1e-9;
    for (let i = 0; i < 12; i++) e = updateSpeedEstimate(e, 1e-8);
    expect(e).toBeGreaterThan(0.95e-8);
  });

  it('costs a network by its weight updates and elementwise work too, not by multiply-adds alone', () => {
    // Two candidates of a SpamAssassin NSGA-II job (bench:strategies), as trained at batch 64: the seed text network,
    // 49.9 s an epoch, and its child shrunk to the embedding, 38.1 s. Multiply-adds alone put the child at a hundredth.
    const seed = { params: 1_300_802, macs: 10_240_128, activationElements: 96_566 };
    const embeddingOnly = { params: 1_280_258, macs: 128, activationElements: 32_566 };
    const measured = 38.1 / 49.9;
    const predicted = trainingWork(embeddingOnly, 64) / trainingWork(seed, 64);
    expect((embeddingOnly.macs + 1e5) / (seed.macs + 1e5)).toBeLessThan(measured / 50);
    expect(predicted).toBeGreaterThan(measured / 2);
    expect(predicted).toBeLessThan(measured * 2);
    // Weight updates are shared by the samples of a step: a larger batch costs less per sample.
    expect(trainingWork(seed, 128)).toBeLessThan(trainingWork(seed, 64));
  });

  it("reads a journal's measured speed, converting one written before the work model", () => {
    const seed = { params: 40_586, macs: 4_000_000, activationElements: 60_000 };
    expect(journalledSpeed({ secPerSampleWork: 2e-10 }, seed, 64)).toBe(2e-10);
    expect(journalledSpeed(undefined, seed, 64)).toBe(0);
    // The old unit was seconds per (multiply-add + 1e5): the seed's time per sample must come out unchanged.
    const old = 1e-9;
    const speed = journalledSpeed({ secPerSamplePerMac: old }, seed, 64);
    expect(speed * trainingWork(seed, 64)).toBeCloseTo(old * (seed.macs + 1e5), 15);
  });

  it("plans from the median of the probe and this machine's last jobs, so that one odd probe does not set the plan", () => {
    expect(planningSpeed(3e-10, [])).toBe(3e-10);
    // A probe three times too slow (as at the start of a 1-hour bench job) is outvoted by jobs that trained for minutes.
    expect(planningSpeed(9e-10, [3e-10, 3.2e-10, 2.9e-10])).toBeCloseTo(Math.sqrt(3e-10 * 3.2e-10), 20);
    expect(planningSpeed(9e-10, [3e-10])).toBeCloseTo(Math.sqrt(27e-20), 20);
    // A machine that really got slower: the probe and the newest job carry the median.
    expect(planningSpeed(9e-10, [3e-10, 9.5e-10, 8.8e-10])).toBeCloseTo(Math.sqrt(8.8e-10 * 9e-10), 20);
  });
});

describe('journal', () => {
  it('tolerates a torn last line and cuts it before appending again', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-journal-'));
    const file = path.join(dir, 'journal.jsonl');
    await writeFile(file, '{"type":"a"}\n{"type":"b"}\n{"type":"candi');
    expect(readJournal(file)).toEqual({ events: [{ type: 'a' }, { type: 'b' }], tornLine: true });
    expect(repairJournal(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('{"type":"a"}\n{"type":"b"}\n');
    expect(repairJournal(file)).toBe(false);
  });
});

describe('search jobs', () => {
  it('grows networks by morphisms, journals every candidate, and ends within the budget with a final model', async () => {
    const data = await quadrantFolder(240);
    const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-job-')), 'job');
    const r = await run(['search', '--data', data, '--budget', '25s', '--out', out, '--json', '--seed', '3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(Object.keys(last).sort()).toEqual(['budgetSeconds', 'candidates', 'elapsedSeconds', 'front', 'hypervolume', 'jobDir', 'params', 'testAccuracy', 'valAccuracy']);
    // Without a target the front is over validation error and size; the recommended model is on it.
    expect(last.front.length).toBeGreaterThan(0);
    expect(last.hypervolume).toBeGreaterThan(0);
    for (const m of last.front) expect(m.latencyMs).toBeNull();
    expect(last.budgetSeconds).toBe(25);
    expect(last.elapsedSeconds).toBeLessThanOrEqual(25 * 1.02 + 0.5);
    expect(last.elapsedSeconds).toBeGreaterThanOrEqual(25 * 0.9);
    expect(last.testAccuracy).toBeGreaterThan(0.4);
    const { events } = readJournal(path.join(out, 'journal.jsonl'));
    const candidates = events.filter((e) => e.type === 'candidate');
    expect(candidates.length).toBe(last.candidates);
    expect(candidates[0]).toMatchObject({ id: 'c0', parentId: null, accuracyInherited: null, status: 'trained' });
    for (const c of candidates) for (const k of ['id', 'parentId', 'morphs', 'accuracyInherited', 'accuracy', 'params', 'macs', 'seconds']) expect(c).toHaveProperty(k);
    // Each trained candidate's evaluation is timed (the final training keeps back time for evaluating from it).
    for (const c of candidates.filter((c) => c.status === 'trained')) expect(c.evalSeconds as number).toBeGreaterThan(0);
    const children = candidates.filter((c) => (c.morphs as unknown[]).length > 0);
    expect(children.length).toBeGreaterThan(0);
    // Morphisms keep the function: a child starts from (about) its parent's accuracy.
    for (const c of children) expect(typeof c.accuracyInherited).toBe('number');
    expect(existsSync(path.join(out, 'final', 'weights.bin'))).toBe(true);
    expect(existsSync(path.join(out, 'final', 'preprocess.json'))).toBe(true);
    const spec = JSON.parse(readFileSync(path.join(out, 'job.json'), 'utf8'));
    expect(spec).toMatchObject({ budgetSeconds: 25, seed: 3, strategy: 'hill', engineVersion: expect.any(String) });
  });

  it("plans with this machine's recent speed as well as the probe, and records each finished job's speed", async () => {
    // Three earlier jobs on this machine that trained ten times slower than the probe will measure: the plan takes
    // their speed and says so; the job then records what its own trainings took.
    const lde = await mkdtemp(path.join(os.tmpdir(), 'netsprout-speed-'));
    const data = await quadrantFolder(120);
    const first = path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-job-')), 'job');
    const env = { NETSPROUT_EXPERIMENTS_DIR: lde, NETSPROUT_BACKEND: 'wasm' };
    expect((await run(['search', '--data', data, '--budget', '12s', '--out', first, '--json'], env)).code).toBe(0);
    const own = speedHistory('wasm', 'images', lde);
    expect(own).toHaveLength(1);
    const probedFirst = readJournal(path.join(first, 'journal.jsonl')).events.find((e) => e.type === 'throughput')!;
    expect(probedFirst).toMatchObject({ history: 0, backend: 'wasm' });
    expect(probedFirst.secPerSampleWork).toBe(probedFirst.probed);
    // What the job's trainings took is of the probe's order (the work model and a busy machine allow a few fold).
    expect(own[0] / Number(probedFirst.probed)).toBeGreaterThan(1 / 5);
    expect(own[0] / Number(probedFirst.probed)).toBeLessThan(5);

    const slow = own[0] * 10;
    await writeFile(path.join(lde, 'machine-speed.jsonl'), [1, 2, 3].map((i) => JSON.stringify({ v: 1, backend: 'wasm', kind: 'images', secPerSampleWork: slow, trainings: i, at: '2026-12-01T00:00:00Z' })).join('\n') + '\n');
    const second = path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-job-')), 'job');
    const r = await run(['search', '--data', data, '--budget', '12s', '--out', second, '--json'], env);
    expect(r.code).toBe(0);
    const { events } = readJournal(path.join(second, 'journal.jsonl'));
    const speed = events.find((e) => e.type === 'throughput')!;
    expect(speed).toMatchObject({ history: 3, secPerSampleWork: slow });
    expect(Number(speed.probed)).toBeLessThan(slow / 2);
    expect(events.some((e) => e.type === 'log' && /throughput probe measured \d+ ms a batch .* last 3 job\(s\) trained at/.test(String(e.message)))).toBe(true);
    expect(speedHistory('wasm', 'images', lde)).toHaveLength(4);
    expect(speedHistory('wasm', 'images', lde).at(-1)).toBeLessThan(slow / 2);
    // Other backends and kinds keep their own record.
    expect(speedHistory('wasm', 'text', lde)).toEqual([]);
  });

  it('resumes after kill -9 without losing or repeating a candidate, counting the time already spent', async () => {
    const data = await quadrantFolder(240);
    const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-job-')), 'job');
    const journal = path.join(out, 'journal.jsonl');
    await killAfterCandidates(['search', '--data', data, '--budget', '30s', '--out', out, '--json'], journal, 3, 60_000);
    const before = readJournal(journal).events;
    const doneBefore = before.filter((e) => e.type === 'candidate');
    const spentBefore = Math.max(...before.map((e) => Number(e.elapsedSeconds ?? 0)));
    // A crash in the middle of a write leaves a torn line.
    await appendFile(journal, '{"type":"candidate","id":"c9');
    const r = await run(['resume', out, '--json']);
    expect(r.stdout + r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const after = readJournal(journal).events;
    const ids = after.filter((e) => e.type === 'candidate').map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of doneBefore) expect(after.find((e) => e.type === 'candidate' && e.id === c.id)).toEqual(c);
    expect(after.some((e) => e.type === 'resumed' && e.tornLineRepaired === true)).toBe(true);
    expect(summary.elapsedSeconds).toBeGreaterThanOrEqual(spentBefore);
    expect(summary.elapsedSeconds).toBeLessThanOrEqual(30 * 1.02 + 0.5);
    expect(summary.candidates).toBeGreaterThan(doneBefore.length);
    // Resuming a finished job only reports it.
    const again = await run(['resume', out, '--json']);
    expect(JSON.parse(again.stdout.trim().split('\n').pop()!)).toEqual(summary);
  });

  for (const strategy of ['bayes', 'random']) {
    it(`runs the ${strategy} strategy end to end within the budget`, async () => {
      const data = await quadrantFolder(160);
      const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-job-')), 'job');
      const r = await run(['search', '--data', data, '--budget', '20s', '--strategy', strategy, '--out', out, '--json']);
      expect(r.code, r.stderr + r.stdout.slice(-800)).toBe(0);
      const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(last.elapsedSeconds).toBeLessThanOrEqual(20 * 1.02 + 0.5);
      const candidates = readJournal(path.join(out, 'journal.jsonl')).events.filter((e) => e.type === 'candidate');
      expect(candidates.length).toBeGreaterThan(1);
      // Every proposed architecture is new (Bayesian optimisation de-duplicates; random chains rarely repeat).
      if (strategy === 'bayes') expect(candidates.every((c) => c.id === 'c0' || (c.morphs as unknown[]).length > 0)).toBe(true);
    });
  }

  it('marks a candidate that would not fit in memory failed, and says so when nothing could be trained', async () => {
    const data = await quadrantFolder(160);
    const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-job-')), 'job');
    // The seed network needs about 5.6 MB to train at batch 64 on 12×12 images.
    const r = await run(['search', '--data', data, '--budget', '20s', '--out', out], { NETSPROUT_MEMORY_LIMIT_MB: '3' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No candidate could be trained within the budget.');
    const candidates = readJournal(path.join(out, 'journal.jsonl')).events.filter((e) => e.type === 'candidate');
    expect(candidates[0]).toMatchObject({ id: 'c0', status: 'failed', reason: 'would not fit in memory' });
  });

  it('refuses to overwrite a job folder and explains a bad budget', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'netsprout-job-'));
    await writeFile(path.join(out, 'job.json'), '{}');
    const r = await run(['search', '--budget', '30s', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('already holds a job');
    const b = await run(['search', '--budget', 'forever', '--out', path.join(out, 'x')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('"forever" is not a budget');
  });

  it('refuses an unknown strategy before making a job folder, and a job.json whose strategy it does not know', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'netsprout-job-'));
    const out = path.join(root, 'job');
    // A misspelt name from a script or another caller of createJob: refused with the names it knows, no folder left.
    await expect(createJob(out, { data: 'x', budgetSeconds: 60, seed: 0, strategy: 'hil' as StrategyName })).rejects.toMatchObject({
      code: 'UNKNOWN_STRATEGY',
      message: expect.stringContaining('"hil"'),
      hint: expect.stringContaining('hill, bayes, random'),
    });
    expect(existsSync(out)).toBe(false);
    // A job.json edited by hand: resuming it names the file and the strategy instead of running hill climbing.
    await createJob(out, { data: 'x', budgetSeconds: 60, seed: 0, strategy: 'hill' });
    const spec = JSON.parse(readFileSync(path.join(out, 'job.json'), 'utf8'));
    await writeFile(path.join(out, 'job.json'), JSON.stringify({ ...spec, strategy: 'evolution' }));
    const r = await run(['resume', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"evolution" is not a search strategy');
    expect(r.stderr).toContain(path.join(out, 'job.json'));
  });
});
