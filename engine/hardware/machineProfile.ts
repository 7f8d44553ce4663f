/**
 * The machine a profile was measured on: CPU (model, cores, SIMD flags, caches), memory, GPUs (vendor, model,
 * memory, driver), the operating system, and which compute backends and runtimes load here (the TF.js backend
 * ladder and ONNX Runtime). Gathered with systeminformation; each part that cannot be read is left empty with
 * the reason, never guessed.
 */
import os from 'node:os';
import si from 'systeminformation';

export interface GpuInfo {
  vendor: string;
  model: string;
  memoryMB: number | null;
  driver: string | null;
}

export interface BackendLoad {
  name: string;
  available: boolean;
  reason: string;
}

export interface MachineProfile {
  cpu: {
    manufacturer: string;
    brand: string;
    model: string;
    cores: number;
    physicalCores: number;
    speedGHz: number | null;
    /** The SIMD extensions among the CPU's flags (sse*, avx*, fma, neon, asimd, sve, …). */
    simd: string[];
    cacheBytes: Record<string, number>;
  };
  memoryBytes: number;
  gpus: GpuInfo[];
  os: { platform: string; distro: string; release: string; kernel: string; arch: string };
  node: string;
  backends: { chosen: string | null; threads: number | null; ladder: BackendLoad[] };
  onnxRuntime: { available: boolean; version: string | null; executionProviders: string[]; reason: string };
  notes: string[];
}

const SIMD = /^(sse\d?(_\d)?|ssse3|sse4a|avx.*|fma\d?|f16c|neon|asimd.*|sve.*|amx.*|vnni|altivec|vsx|simd|msa|lsx|lasx)$/i;

export function simdFlags(flags: string): string[] {
  return [...new Set(flags.split(/\s+/).filter((f) => SIMD.test(f)))].sort();
}

export interface MachineProfileOptions {
  /** Walk the TF.js backend ladder (loads a backend; default true). */
  backends?: boolean;
  /** Try to load onnxruntime-node (default true). */
  onnx?: boolean;
}

export async function machineProfile(opts: MachineProfileOptions = {}): Promise<MachineProfile> {
  const notes: string[] = [];
  const safe = async <T>(what: string, f: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      notes.push(`${what}: ${(e as Error).message}`);
      return fallback;
    }
  };
  const [cpu, flags, mem, graphics, osInfo] = await Promise.all([
    safe('cpu', () => si.cpu(), null),
    safe('cpu flags', () => si.cpuFlags(), ''),
    safe('memory', () => si.mem(), null),
    safe('graphics', () => si.graphics(), { controllers: [], displays: [] } as unknown as si.Systeminformation.GraphicsData),
    safe('os', () => si.osInfo(), null),
  ]);
  const gpus: GpuInfo[] = (graphics.controllers ?? []).map((c) => ({
    vendor: c.vendor ?? '',
    model: c.model ?? c.name ?? '',
    memoryMB: c.vram ?? c.memoryTotal ?? null,
    driver: c.driverVersion ?? null,
  }));
  if (!gpus.length) notes.push('no GPU was reported by the operating system');
  const cache: Record<string, number> = {};
  if (cpu?.cache) for (const [k, v] of Object.entries(cpu.cache)) if (typeof v === 'number' && v > 0) cache[k] = v;

  let backends: MachineProfile['backends'] = { chosen: null, threads: null, ladder: [] };
  if (opts.backends !== false) {
    backends = await safe(
      'backends',
      async () => {
        const { initBackend } = await import('../backend/ladder.js');
        const choice = await initBackend();
        return { chosen: choice.chosen, threads: choice.threads, ladder: choice.backends.map((b) => ({ ...b })) };
      },
      backends,
    );
  }

  let onnxRuntime: MachineProfile['onnxRuntime'] = { available: false, version: null, executionProviders: [], reason: 'not tried' };
  if (opts.onnx !== false) {
    try {
      const ort = await import('onnxruntime-node');
      let providers: string[] = [];
      try {
        providers = ort.listSupportedBackends().map((b) => b.name);
      } catch {
        providers = ['cpu'];
      }
      onnxRuntime = { available: true, version: ort.env.versions?.common ?? null, executionProviders: providers, reason: 'onnxruntime-node loaded' };
    } catch (e) {
      onnxRuntime = { available: false, version: null, executionProviders: [], reason: `onnxruntime-node did not load: ${(e as Error).message.split('\n')[0]}` };
    }
  }

  return {
    cpu: {
      manufacturer: cpu?.manufacturer ?? '',
      brand: cpu?.brand ?? os.cpus()[0]?.model ?? '',
      model: os.cpus()[0]?.model?.trim() ?? '',
      cores: cpu?.cores ?? os.availableParallelism(),
      physicalCores: cpu?.physicalCores ?? os.availableParallelism(),
      speedGHz: cpu?.speed ? cpu.speed : null,
      simd: simdFlags(flags || cpu?.flags || ''),
      cacheBytes: cache,
    },
    memoryBytes: mem?.total ?? os.totalmem(),
    gpus,
    os: {
      platform: osInfo?.platform ?? os.platform(),
      distro: osInfo?.distro ?? '',
      release: osInfo?.release ?? os.release(),
      kernel: osInfo?.kernel ?? os.release(),
      arch: osInfo?.arch ?? os.arch(),
    },
    node: process.version,
    backends,
    onnxRuntime,
    notes,
  };
}

/** One line for people: "AMD EPYC, 2 cores (avx2, avx512f, …), 24 GB, linux x64". */
export function describeMachine(m: MachineProfile): string {
  const simd = m.cpu.simd.filter((f) => /^(avx2|avx512f|neon|asimd|sve|fma)$/.test(f));
  const cpu = [m.cpu.manufacturer, m.cpu.brand].filter(Boolean).join(' ') || m.cpu.model || 'unknown CPU';
  return `${cpu}, ${m.cpu.cores} cores${simd.length ? ` (${simd.join(', ')})` : ''}, ${Math.round(m.memoryBytes / 2 ** 30)} GB, ${m.os.platform} ${m.os.arch}${m.gpus.length ? `, GPU ${m.gpus.map((g) => `${g.vendor} ${g.model}`.trim()).join(' + ')}` : ''}`;
}
