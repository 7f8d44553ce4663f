import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseStrategy, type AutoInputs } from '../../engine/search/autoStrategy.js';
import { readJournal } from '../../engine/search/journal.js';
import { portfolioPlanParams } from '../../engine/search/portfolioPlan.js';
import { reviewsCsv, runCli } from '../helpers/jobData.js';

const base: AutoInputs = { kind: 'images', trainCount: 50000, classes: 10, dcn: 0.85, searchSeconds: 600, seedEpochSeconds: 10, latencyLimit: false };

describe('--strategy auto', () => {
  it('picks by the documented rules, in order', () => {
    expect(chooseStrategy({ ...base, latencyLimit: true }).strategy).toBe('pareto');
    // 600 s of search: 60 epochs at 10 s, 12 at 50 s, 6 at 100 s.
    expect(chooseStrategy({ ...base, seedEpochSeconds: 100 }).strategy).toBe('hill');
    expect(chooseStrategy({ ...base, kind: 'text' }).strategy).toBe('hyperband');
    expect(chooseStrategy({ ...base, kind: 'text', seedEpochSeconds: 50 }).strategy).toBe('ncevolve');
    expect(chooseStrategy({ ...base, kind: 'text', seedEpochSeconds: 100 }).strategy).toBe('hill');
    expect(chooseStrategy({ ...base, kind: 'table' }).strategy).toBe('hyperband');
    expect(chooseStrategy({ ...base, kind: 'table', seedEpochSeconds: 50 }).strategy).toBe('hyperband');
    expect(chooseStrategy({ ...base, kind: 'table', seedEpochSeconds: 100 }).strategy).toBe('hill');
    expect(chooseStrategy({ ...base, dcn: 0.7, searchSeconds: 3600 }).strategy).toBe('prune-replace');
    // A 1-hour Fashion-MNIST job on the 2-core EPYC VM: 2,690 s of search at 14.5 s a seed epoch (185 epochs) → NCEvolve.
    expect(chooseStrategy({ ...base, dcn: 0.77, searchSeconds: 2690, seedEpochSeconds: 14.5 }).strategy).toBe('ncevolve');
    expect(chooseStrategy({ ...base, dcn: 0.85, searchSeconds: 3000 }).strategy).toBe('ncevolve');
    expect(chooseStrategy({ ...base, dcn: 0.85 }).strategy).toBe('ncevolve');
    expect(chooseStrategy({ ...base, dcn: 0.7, seedEpochSeconds: 50 }).strategy).toBe('ncevolve');
    expect(chooseStrategy({ ...base, dcn: 0.97 }).strategy).toBe('hill');
    expect(chooseStrategy({ ...base, searchSeconds: 90 }).strategy).toBe('hill');
    const r = chooseStrategy({ ...base, kind: 'text' });
    expect(r.reasons.join(' ')).toMatch(/text data/);
    expect(r.reasons.join(' ')).toMatch(/60 epochs/);
  });

  it('sizes every portfolio strategy from the budget', () => {
    const small = portfolioPlanParams(60, 10);
    const large = portfolioPlanParams(7200, 10);
    expect(small.hbR).toBe(1);
    expect(large.hbR).toBe(27);
    expect(large.prIterations).toBeGreaterThan(small.prIterations);
    expect(large.ncEpochChild).toBeGreaterThan(small.ncEpochChild);
    expect(large.easBatch).toBeGreaterThanOrEqual(small.easBatch);
  });

  it("sizes NCEvolve's epochs by its first cell network, not by the seed network", () => {
    // A 1-hour Fashion-MNIST job: 2,690 s of search, the seed about 30 s an epoch, the first cell network about 95 s.
    const bySeed = portfolioPlanParams(2690, 30);
    const byCell = portfolioPlanParams(2690, 30, 95);
    expect(bySeed).toMatchObject({ ncEpochSeed: 8, ncEpochChild: 3 });
    // A tenth of the search for the first network, and about eight generations of two children, at its real cost.
    expect(byCell).toMatchObject({ ncEpochSeed: 2, ncEpochChild: 1 });
    expect(byCell.ncEpochSeed * 95).toBeLessThanOrEqual(0.1 * 2690);
    // The other strategies are sized by the seed as before.
    expect({ ...byCell, ncEpochSeed: 0, ncEpochChild: 0 }).toEqual({ ...bySeed, ncEpochSeed: 0, ncEpochChild: 0 });
  });

  it('chooses once and says why in the job log, then runs its choice', async () => {
    const data = await reviewsCsv(300);
    const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-job-')), 'job');
    const r = await runCli(['search', '--data', data, '--budget', '14s', '--strategy', 'auto', '--out', out, '--json']);
    expect(r.code, r.stderr + r.stdout.slice(-800)).toBe(0);
    const events = readJournal(path.join(out, 'journal.jsonl')).events;
    const choices = events.filter((e) => e.type === 'strategy-choice');
    expect(choices).toHaveLength(1);
    // Text: Hyperband++ with 40 seed epochs or more, NCEvolve with 10 to 40, hill climbing below: how many the
    // budget affords depends on how fast this machine is right now.
    const choice = String(choices[0].strategy);
    expect(['hyperband', 'ncevolve', 'hill']).toContain(choice);
    const log = events.find((e) => e.type === 'log' && String(e.message).startsWith(`Strategy auto → ${choice}: `));
    expect(String(log?.message)).toMatch(choice === 'hill' ? /too few/ : /text data/);
    const first = events.find((e) => e.type === 'candidate')!;
    expect(first.id).toBe({ hyperband: 'h0-0', ncevolve: 'n0', hill: 'c0' }[choice]);
    expect(events.find((e) => e.type === 'plan')).toBeDefined();
  });

  it('runs Hyperband++ on text with each candidate\'s training hyper-parameters in the journal', async () => {
    const data = await reviewsCsv(300);
    const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'netsprout-job-')), 'job');
    const r = await runCli(['search', '--data', data, '--budget', '14s', '--strategy', 'hyperband', '--out', out, '--json']);
    expect(r.code, r.stderr + r.stdout.slice(-800)).toBe(0);
    const candidates = readJournal(path.join(out, 'journal.jsonl')).events.filter((e) => e.type === 'candidate' && e.status === 'trained');
    expect(candidates.length).toBeGreaterThan(0);
    // The first configuration is the seed with default training; every candidate carries its own.
    expect(candidates[0]).toMatchObject({ id: 'h0-0', training: { optimizer: 'sgd', lrStart: 0.05 } });
    for (const c of candidates) expect(c.training).toMatchObject({ lrStart: expect.any(Number) });
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last.elapsedSeconds).toBeLessThanOrEqual(14 * 1.02 + 0.5);
  });
});
