import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from '../helpers/jobData.js';


const gpuInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
})();

describe('search --target and the limits', () => {
  it('refuses a latency limit without a target, and a target that is neither built in nor a file, before making a job', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-target-cli-'));
    const a = await run(['search', '--budget', '20s', '--max-latency-ms', '1', '--out', path.join(dir, 'a')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('A latency limit needs a target device');
    expect(a.stderr).toContain('--target cpu');
    const b = await run(['search', '--budget', '20s', '--target', path.join(dir, 'nowhere.json'), '--out', path.join(dir, 'b')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('is neither a built-in target nor a device profile file');
    expect(existsSync(path.join(dir, 'b'))).toBe(false);
  }, 120_000);

  it.skipIf(gpuInstalled)('says clearly that the gpu target cannot run where no GPU backend loads', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netsprout-target-cli-'));
    const r = await run(['search', '--budget', '20s', '--target', 'gpu', '--out', path.join(dir, 'g'), '--json']);
    expect(r.code).toBe(2);
    const error = JSON.parse(r.stdout.trim().split('\n').at(-1)!).error;
    expect(error.code).toBe('TARGET_UNAVAILABLE');
    expect(error.message).toContain('The target "gpu" needs a GPU backend of TensorFlow.js');
    expect(error.hint).toContain('--target cpu');
    expect(existsSync(path.join(dir, 'g'))).toBe(false);
  }, 120_000);
});
