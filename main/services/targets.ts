/**
 * Target devices: where the exported model will run. Built in: this computer's processor, its GPU (only where a
 * GPU backend loads), and a web browser; plus device profiles made with `netsprout profile` on another device and
 * imported here (checked with engine/latency's reader, then copied into the data folder).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BackendsResult } from '../../engine/protocol/messages.js';
import type { TargetDevice } from '../common/appApi.js';
import type { DeviceProfileRecord } from './projectStore.js';

export function builtInTargets(backends: BackendsResult | null): TargetDevice[] {
  const cpu = os.cpus()[0]?.model?.trim() || 'this computer\'s processor';
  const gpu = backends?.backends.find((b) => b.name === 'tfjs-node-gpu');
  return [
    { target: 'cpu', name: 'This computer', description: `The processor of this computer (${cpu}, ${os.availableParallelism()} cores). Latency is measured here.`, builtIn: true, available: true },
    {
      target: 'gpu',
      name: 'This computer\'s graphics card',
      description: 'An NVIDIA graphics card through TensorFlow with CUDA.',
      builtIn: true,
      available: gpu?.available ?? false,
      ...(gpu?.available ? {} : { reason: gpu ? `No usable GPU backend: ${gpu.reason}` : 'Not checked yet.' }),
    },
    { target: 'browser', name: 'A web browser', description: 'A web page running the model with TensorFlow.js (the TF.js export). Latency is estimated from this computer.', builtIn: true, available: true },
  ];
}

export function profileTarget(p: DeviceProfileRecord): TargetDevice {
  return { target: p.file, name: p.name, description: p.description, builtIn: false, available: true };
}

/** Checks a device profile and keeps a copy of it in the data folder (importing the same file twice keeps one). */
export async function importDeviceProfile(file: string, profilesDir: string): Promise<DeviceProfileRecord> {
  // The profile reader brings the latency predictors with it: loaded when a profile is imported, not at start-up.
  const { readProfile } = await import('../../engine/latency/deviceProfile.js');
  const loaded = await readProfile(file);
  const p = loaded.profile;
  const id = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
  await mkdir(profilesDir, { recursive: true });
  const copy = path.join(profilesDir, `${id}.json`);
  await copyFile(file, copy);
  const chosen = p.predictors.find((x) => x.name === p.chosen);
  const within = chosen?.heldOut.within10;
  const cpu = p.machine.cpu.brand || p.machine.cpu.model || 'an unknown CPU';
  return {
    id,
    file: copy,
    source: path.resolve(file),
    name: `${cpu} (${p.machine.os.platform} ${p.machine.os.arch})`,
    description: `Profiled ${p.createdAt.slice(0, 10)} with ${p.runtime.library} ${p.runtime.version} (${p.runtime.backend}, ${p.runtime.threads} thread${p.runtime.threads === 1 ? '' : 's'}) on ${p.samples.length} architectures; the ${p.chosen} predictor${typeof within === 'number' ? ` is within ±10% for ${Math.round(within * 100)}% of held-out ones` : ''}.`,
    runtime: p.runtime.name,
    importedAt: new Date().toISOString(),
  };
}
