import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { smallCnn } from '../../engine/graph/presets.js';
import { runCli as run } from '../helpers/jobData.js';


const lastLine = (s: string) => JSON.parse(s.trim().split('\n').at(-1)!);

describe('netsprout profile and netsprout latency', () => {
  let dir = '';
  let profile = '';
  let arch = '';
  let summary: Record<string, unknown> = {};

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-latency-cli-'));
    profile = path.join(dir, 'device.json');
    arch = path.join(dir, 'graph.json');
    await writeFile(arch, JSON.stringify(smallCnn([28, 28, 1], 10)));
    const r = await run(['profile', '--samples', '10', '--seconds', '60', '--batch-size', '2', '--out', profile, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    summary = lastLine(r.stdout);
  }, 180_000);

  it('profile --json ends with {profile, samples, seconds, chosen, predictors: [{name, kendallTau, mape, within10}]}', async () => {
    expect(Object.keys(summary)).toEqual(['profile', 'samples', 'seconds', 'chosen', 'predictors']);
    expect(summary.profile).toBe(profile);
    expect(summary.samples).toBe(10);
    expect(summary.seconds).toBeGreaterThan(0);
    const predictors = summary.predictors as Array<Record<string, unknown>>;
    expect(predictors.map((p) => p.name)).toEqual(['lookup-table', 'ridge', 'random-forest', 'mlp', 'ridge-forest']);
    for (const p of predictors) {
      expect(Object.keys(p)).toEqual(['name', 'kendallTau', 'mape', 'within10']);
      expect(p.mape).toBeGreaterThanOrEqual(0);
      expect(p.within10).toBeGreaterThanOrEqual(0);
      expect(p.within10).toBeLessThanOrEqual(1);
    }
    expect(predictors.map((p) => p.name)).toContain(summary.chosen);
    const file = JSON.parse(await readFile(profile, 'utf8'));
    expect(file).toMatchObject({ format: 'netsprout-device-profile', version: 3, features: { nchwcBlock: expect.any(Number) }, chosen: summary.chosen, runtime: { name: 'onnx', threads: 1 }, protocol: { batchSizes: [1, 2], threads: 1, statistic: 'p10' } });
    expect(file.samples).toHaveLength(10);
    expect(file.samples[0].measurement.batches.map((b: { batchSize: number }) => b.batchSize)).toEqual([1, 2]);
    // Measured around a reference network: each sample keeps its raw measurement and the machine's speed factor.
    // (Six architectures at a time: a reading before the first group, one after each group of six and more every
    // half second between sessions.)
    expect(file.protocol.interleave).toBe(6);
    expect(file.speedReference.readings).toBeGreaterThanOrEqual(3);
    expect(file.speedReference).toMatchObject({ typicalMs: expect.any(Number) });
    for (const s of file.samples) expect(s.ms).toBeCloseTo(s.measuredMs / s.speedFactor, 9);
    // The latency learned is the 10th percentile of the runs, the median of the sessions' (the medians kept beside).
    for (const s of file.samples) {
      const b1 = s.measurement.batches[0];
      expect(b1.statistic).toBe('p10');
      expect(s.measuredMs).toBe(b1.latencyMs);
      expect(b1.latencyMs).toBe([...b1.sessionLatenciesMs].sort((a: number, b: number) => a - b)[1]);
      expect(b1.latencyMs).toBe(b1.p10Ms);
      expect(b1.sessionMediansMs).toHaveLength(3);
    }
    expect(file.machine.cpu.cores).toBeGreaterThan(0);
  });

  it('latency predicts from the profile, and with --measure measures beside it', async () => {
    const predicted = await run(['latency', '--profile', profile, '--arch', arch, '--json']);
    expect(predicted.code).toBe(0);
    const p = lastLine(predicted.stdout);
    expect(p).toMatchObject({ arch, profile, predictor: summary.chosen, predictedMs: expect.any(Number) });
    expect(p.predictedMs).toBeGreaterThan(0);
    expect(p.measuredMs).toBeUndefined();
    const measured = await run(['latency', '--profile', profile, '--arch', arch, '--measure', '--json']);
    expect(measured.code).toBe(0);
    const m = lastLine(measured.stdout);
    expect(m.predictedMs).toBe(p.predictedMs);
    expect(m.measuredMs).toBeGreaterThan(0);
    expect(m.statistic).toBe('p10');
    expect(m.measuredMs).toBeLessThanOrEqual(m.measurement.medianMs);
    // The profile's latencies are at the machine's typical speed: the measurement is compared at that speed too.
    expect(m.speedFactor).toBeGreaterThan(0);
    expect(m.measuredAtProfileSpeedMs).toBeCloseTo(m.measuredMs / m.speedFactor, 3);
    expect(m.errorPercent).toBeCloseTo(((m.predictedMs - m.measuredAtProfileSpeedMs) / m.measuredAtProfileSpeedMs) * 100, 0);
    expect(m.errorPercentRaw).toBeCloseTo(((m.predictedMs - m.measuredMs) / m.measuredMs) * 100, 0);
    expect(m.measurement.batches.map((b: { batchSize: number }) => b.batchSize)).toEqual([1, 2]);
    const human = await run(['latency', '--profile', profile, '--arch', arch]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Predicted: \d+\.\d{3} ms per input at batch 1 on onnxruntime-node/);
    const humanMeasured = await run(['latency', '--profile', profile, '--arch', arch, '--measure']);
    expect(humanMeasured.stdout).toMatch(/Measured: {2}\d+\.\d{3} ms \(10th percentile of the runs; \d+\.\d{3} ms at the speed this machine had when profiled \(it runs \d+% (slower|faster) now, by the reference network\); prediction off by -?\d+\.\d%\)/);
  });

  it('errors name the problem, the fix and the file', async () => {
    const missing = path.join(dir, 'none.json');
    const noProfile = await run(['latency', '--profile', missing, '--arch', arch, '--json']);
    expect(noProfile.code).toBe(2);
    expect(lastLine(noProfile.stdout).error).toEqual({ code: 'PROFILE_NOT_FOUND', message: `The device profile ${missing} does not exist.`, hint: expect.stringContaining('netsprout profile'), files: [missing] });
    const notProfile = await run(['latency', '--profile', arch, '--arch', arch, '--json']);
    expect(notProfile.code).toBe(2);
    expect(lastLine(notProfile.stdout).error).toMatchObject({ code: 'PROFILE_SCHEMA', files: [arch] });
    const noArch = await run(['latency', '--profile', profile, '--arch', missing]);
    expect(noArch.code).toBe(2);
    expect(noArch.stderr).toContain(`Error: The architecture file ${missing} does not exist.`);
    expect(noArch.stderr).toContain('How to fix:');
    const badRuntime = await run(['profile', '--runtime', 'tflite', '--out', path.join(dir, 'x.json'), '--json']);
    expect(badRuntime.code).toBe(2);
    expect(lastLine(badRuntime.stdout).error).toMatchObject({ code: 'RUNTIME_UNKNOWN', message: 'Unknown runtime "tflite".' });
    const badSamples = await run(['profile', '--samples', '0', '--out', path.join(dir, 'x.json'), '--json']);
    expect(lastLine(badSamples.stdout).error).toMatchObject({ code: 'CLI_BAD_OPTION', message: '--samples must be a positive whole number, got "0".' });
    const tooShort = await run(['profile', '--seconds', '0.001', '--out', path.join(dir, 'x.json'), '--json']);
    expect(tooShort.code).toBe(2);
    expect(lastLine(tooShort.stdout).error).toMatchObject({ code: 'PROFILE_TOO_FEW_SAMPLES', hint: expect.stringContaining('--seconds') });
  });
});
