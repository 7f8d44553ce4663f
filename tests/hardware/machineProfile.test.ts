import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeMachine, machineProfile, simdFlags } from '../../engine/hardware/machineProfile.js';

describe('machine profile', () => {
  it('picks the SIMD extensions out of the CPU flags', () => {
    expect(simdFlags('fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma avx512f avx512_vnni aes pclmulqdq')).toEqual(['avx', 'avx2', 'avx512_vnni', 'avx512f', 'fma', 'sse', 'sse2', 'sse4_1', 'sse4_2', 'ssse3']);
    expect(simdFlags('fp asimd evtstrm aes pmull sha1 crc32 asimdhp sve')).toEqual(['asimd', 'asimdhp', 'sve']);
  });

  it('describes this machine: CPU, memory, OS, the backend ladder and ONNX Runtime', async () => {
    const m = await machineProfile();
    expect(m.cpu.cores).toBeGreaterThanOrEqual(1);
    expect(m.memoryBytes).toBeGreaterThan(0);
    expect(m.os.platform).toBe(os.platform());
    expect(m.node).toBe(process.version);
    expect(Array.isArray(m.gpus)).toBe(true);
    expect(m.backends.chosen).not.toBeNull();
    expect(m.backends.ladder.map((b) => b.name)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
    expect(m.onnxRuntime).toMatchObject({ available: true, executionProviders: expect.arrayContaining(['cpu']) });
    expect(describeMachine(m)).toContain(`${m.cpu.cores} cores`);
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });
});
