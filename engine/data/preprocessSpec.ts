import type { AugmentSpec } from './images/augmentation.js';
import type { TablePreprocessSpec } from './tables/csvTable.js';
import type { TextPreprocessSpec } from './text/textData.js';

export type { TablePreprocessSpec, TextPreprocessSpec };

/**
 * The whole preprocessing of a dataset as one serialisable object, saved with every model, so that training,
 * prediction and export apply exactly the same transforms.
 */
export interface ImagePreprocessSpec {
  kind: 'images';
  version: 1;
  /** Working resolution and channels the network sees. */
  height: number;
  width: number;
  channels: 1 | 3;
  /** How other sizes are brought to the working resolution, keeping their aspect ratio. */
  fit: 'pad' | 'crop';
  /** Per-channel statistics of raw 0–255 pixel values over the training split. */
  mean: number[];
  std: number[];
  classes: string[];
  /** Training-time augmentation and why it was chosen. */
  augment: AugmentSpec;
}

export type PreprocessSpec = ImagePreprocessSpec | TablePreprocessSpec | TextPreprocessSpec;

/** Applies the normalisation of a spec to raw HWC bytes. */
export function normaliseImages(spec: Pick<ImagePreprocessSpec, 'channels' | 'mean' | 'std'>, raw: Uint8Array, out = new Float32Array(raw.length)): Float32Array {
  const c = spec.channels;
  const inv = spec.std.map((s) => 1 / s);
  for (let i = 0; i < raw.length; i++) {
    const ch = i % c;
    out[i] = (raw[i] - spec.mean[ch]) * inv[ch];
  }
  return out;
}
