/**
 * Image augmentation on the fly, on raw bytes before normalisation: a random crop of the image padded by a few
 * pixels (a shift of up to ±pad, the mean colour coming in), and a horizontal flip where the data allows it.
 * The rule: crop for images of 16 pixels or more (pad = side / 8); flip when the mean training image looks like
 * its own mirror (correlation ≥ 0.9, as for photos of objects and clothes), not when it does not (text, digits,
 * scenes with a fixed layout). The spec records the choice and why; a person can override it.
 */
import type { SeededRandom } from '../../train/seededRandom.js';

export interface AugmentSpec {
  cropPadding: number;
  flip: boolean;
  /** How the rule decided, for the log and the model card. */
  reason: string;
}

export const FLIP_SYMMETRY = 0.9;

export function chooseAugmentation(pixelsOf: (k: number) => Uint8Array, count: number, height: number, width: number, channels: number, index: (j: number) => number = (j) => j): AugmentSpec {
  const side = Math.min(height, width);
  const cropPadding = side >= 16 ? Math.round(side / 8) : 0;
  const size = height * width * channels;
  const mean = new Float64Array(size);
  for (let j = 0; j < count; j++) {
    const p = pixelsOf(index(j));
    for (let i = 0; i < size; i++) mean[i] += p[i];
  }
  const mirror = new Float64Array(size);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) mirror[(y * width + x) * channels + c] = mean[(y * width + (width - 1 - x)) * channels + c];
  const corr = correlation(mean, mirror);
  const flip = corr >= FLIP_SYMMETRY;
  return {
    cropPadding,
    flip,
    reason: `${cropPadding ? `random crops with ${cropPadding}-pixel padding` : 'no crops (images under 16 pixels)'}; ${flip ? 'horizontal flips' : 'no flips'} (the mean image and its mirror correlate at ${corr.toFixed(3)}, threshold ${FLIP_SYMMETRY})`,
  };
}

function correlation(a: Float64Array, b: Float64Array): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= a.length;
  mb /= b.length;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return da && db ? num / Math.sqrt(da * db) : 1;
}

/** Writes an augmented copy of `src` (HWC bytes) into `dst`, with a random shift and maybe a flip. */
/** Pixels shifted in take `fill` (per channel; the training mean, which normalises to zero). */
export function augmentImage(src: Uint8Array, dst: Uint8Array, height: number, width: number, channels: number, spec: AugmentSpec, rng: SeededRandom, fill: number[]): void {
  const p = spec.cropPadding;
  const dy = p ? rng.int(2 * p + 1) - p : 0;
  const dx = p ? rng.int(2 * p + 1) - p : 0;
  const flip = spec.flip && rng.next() < 0.5;
  for (let y = 0; y < height; y++) {
    const sy = y + dy;
    for (let x = 0; x < width; x++) {
      const xx = flip ? width - 1 - x : x;
      const sx = xx + dx;
      const o = (y * width + x) * channels;
      if (sy < 0 || sy >= height || sx < 0 || sx >= width) {
        for (let c = 0; c < channels; c++) dst[o + c] = fill[c];
      } else {
        const s = (sy * width + sx) * channels;
        for (let c = 0; c < channels; c++) dst[o + c] = src[s + c];
      }
    }
  }
}
