/**
 * UnsortedSegmentSum for the WASM backend (the gradient of gather, so of every embedding layer):
 * out[s, ...] = Σ_{i : ids[i] = s} x[i, ...], computed by the backend's ScatterNd, which sums duplicate indices.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelRunner } from './kernelRunner.js';

export function unsortedSegmentSum(r: KernelRunner, x: TensorInfo, segmentIds: TensorInfo, numSegments: number): TensorInfo {
  const n = segmentIds.shape.reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(segmentIds.shape.length);
  const ids = r.backend.readSync(segmentIds.dataId) as Int32Array;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < 0 || ids[i] >= numSegments) {
      throw new Error(`UnsortedSegmentSum: segment id ${ids[i]} at position ${i} is outside [0, ${numSegments}).`);
    }
  }
  const indices = r.reshape(segmentIds, [n, 1]);
  const updates = r.reshape(x, [n, ...inner]);
  return r.run('ScatterNd', { indices, updates }, { shape: [numSegments, ...inner] });
}
