/**
 * Image augmentation on the fly, on raw bytes before normalisation: a random crop of the image padded by a few
 * pixels (a shift of up to ±pad, the training images' mean border colour coming in: black for Fashion-MNIST's dark
 * backgrounds, white for product photos on white), and a horizontal flip where the data allows it.
 * The rule: crop for images of 16 pixels or more (pad = side / 8); flip when the mean training image looks like
 * its own mirror (correlation ≥ 0.9, as for photos of objects and clothes), not when it does not (text, digits,
 * scenes with a fixed layout). The spec records the choice and why; a person can override it.
 */
import type { SeededRandom } from '../../train/seededRandom.js';

export interface AugmentSpec {
  cropPadding: number;
  flip: boolean;
  /**
   * The colour (0–255 per channel) of the pixels a shift brings in: the mean of the training images' border pixels.
   * Absent without crops, and in specs made before it was recorded (those shift the training mean in).
   */
  fill?: number[];
  /** How the rule decided, for the log and the model card. */
  reason: string;
}

export const FLIP_SYMMETRY = 0.9;

type PixelsOf = (k: number) => Uint8Array;

/** The sum over the training images of each pixel value (HWC). */
function pixelSums(pixelsOf: PixelsOf, count: number, size: number, index: (j: number) => number): Float64Array {
  const sums = new Float64Array(size);
  for (let j = 0; j < count; j++) {
    const p = pixelsOf(index(j));
    for (let i = 0; i < size; i++) sums[i] += p[i];
  }
  return sums;
}

export function chooseAugmentation(pixelsOf: PixelsOf, count: number, height: number, width: number, channels: number, index: (j: number) => number = (j) => j): AugmentSpec {
  const side = Math.min(height, width);
  const cropPadding = side >= 16 ? Math.round(side / 8) : 0;
  const size = height * width * channels;
  const mean = pixelSums(pixelsOf, count, size, index);
  const fill = borderMean(mean, count, height, width, channels);
  const mirror = new Float64Array(size);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) mirror[(y * width + x) * channels + c] = mean[(y * width + (width - 1 - x)) * channels + c];
  const corr = correlation(mean, mirror);
  const flip = corr >= FLIP_SYMMETRY;
  return {
    cropPadding,
    flip,
    ...(cropPadding ? { fill } : {}),
    reason: `${cropPadding ? `random crops with ${cropPadding}-pixel padding, the border colour (${fill.join(', ')}) coming in` : 'no crops (images under 16 pixels)'}; ${flip ? 'horizontal flips' : 'no flips'} (the mean image and its mirror correlate at ${corr.toFixed(3)}, threshold ${FLIP_SYMMETRY})`,
  };
}

/** Settings a person gave, with the training images' border colour coming in when they shift. */
export function userAugmentation(settings: { cropPadding: number; flip: boolean }, pixelsOf: PixelsOf, count: number, height: number, width: number, channels: number, index: (j: number) => number = (j) => j): AugmentSpec {
  if (!settings.cropPadding) return { ...settings, reason: 'set by the user' };
  const fill = borderMean(pixelSums(pixelsOf, count, height * width * channels, index), count, height, width, channels);
  return { ...settings, fill, reason: `set by the user (the border colour (${fill.join(', ')}) coming in)` };
}

/** Per channel, the mean (rounded, 0–255) of the outermost pixels of the images whose pixel sums are `sums`. */
function borderMean(sums: Float64Array, count: number, height: number, width: number, channels: number): number[] {
  const fill: number[] = [];
  for (let c = 0; c < channels; c++) {
    let total = 0;
    let n = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (y > 0 && y < height - 1 && x > 0 && x < width - 1) continue;
        total += sums[(y * width + x) * channels + c];
        n++;
      }
    }
    fill.push(Math.round(total / Math.max(1, n * count)));
  }
  return fill;
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
/** Pixels shifted in take `fill` (per channel; the spec's fill, else the training mean). */
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
